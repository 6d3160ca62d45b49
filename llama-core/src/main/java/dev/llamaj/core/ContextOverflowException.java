package dev.llamaj.core;

/** Tokens that do not fit the context the session was created with. */
public class ContextOverflowException extends LlamaException {
    private final int required;
    private final int available;

    public ContextOverflowException(String message, int required, int available) {
        super(message);
        this.required = required;
        this.available = available;
    }

    /** Positions the operation needed. */
    public int required() {
        return required;
    }

    /** Positions the context had left (or in all, as the message says). */
    public int available() {
        return available;
    }
}
