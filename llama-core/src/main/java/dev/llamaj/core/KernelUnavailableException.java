package dev.llamaj.core;

/** A kernel provider that was asked for by name and cannot run here; the message says why. */
public class KernelUnavailableException extends LlamaException {
    public KernelUnavailableException(String message) {
        super(message);
    }
}
