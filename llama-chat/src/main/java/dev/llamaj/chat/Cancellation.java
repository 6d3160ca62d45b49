package dev.llamaj.chat;

/**
 * A flag another thread sets to stop a streaming reply. The generating thread checks it before
 * each token, so a reply stops within one token of {@link #cancel()}. One per turn: once
 * cancelled it stays cancelled. Thread-safe.
 */
public final class Cancellation {
    private volatile boolean cancelled;

    /** Asks the turn using this handle to stop; safe from any thread, any number of times. */
    public void cancel() {
        cancelled = true;
    }

    /** Whether {@link #cancel()} was called. */
    public boolean isCancelled() {
        return cancelled;
    }
}
