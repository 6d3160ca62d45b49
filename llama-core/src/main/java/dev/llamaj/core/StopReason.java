package dev.llamaj.core;

/** Why generation stopped. */
public enum StopReason {
    /** The model produced its end-of-sequence token. */
    EOS,
    /** The token limit was reached (or the context filled up). */
    LENGTH,
    /** The text reached one of the stop strings (not included in the text). */
    STOP_STRING,
    /** The caller cancelled. */
    CANCELLED
}
