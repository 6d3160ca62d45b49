package dev.llamaj.core;

/** The root of every error llamaj reports. Unchecked: callers handle what they can act on. */
public class LlamaException extends RuntimeException {
    public LlamaException(String message) {
        super(message);
    }

    public LlamaException(String message, Throwable cause) {
        super(message, cause);
    }
}
