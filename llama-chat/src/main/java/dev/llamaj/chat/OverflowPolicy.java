package dev.llamaj.chat;

/** What a {@link ChatSession} does when the next turn would not fit its context. */
public enum OverflowPolicy {
    /**
     * Forget the oldest user/assistant pairs until it fits; the system prompt is always kept.
     * {@link Reply#dropped()} lists what was forgotten.
     */
    DROP_OLDEST,
    /** Throw {@link dev.llamaj.core.ContextOverflowException} and change nothing. */
    FAIL
}
