package dev.llamaj.core;

/**
 * The outcome of {@link Generator#generate}.
 *
 * @param ids             generated ids, including a final EOS id when {@code stopReason == EOS}
 * @param text            their text, cut before the stop string when {@code stopReason == STOP_STRING}
 * @param stopReason      why it stopped
 * @param prefilledTokens prompt tokens that went through the model before the first draw
 * @param prefillNanos    time spent on them
 * @param decodeNanos     time spent producing the generated tokens after the first
 */
public record Generation(int[] ids, String text, StopReason stopReason, int prefilledTokens, long prefillNanos,
                         long decodeNanos) {
    public Generation {
        ids = ids.clone();
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    /** Prompt tokens per second (0 when nothing was prefilled). */
    public double prefillTokensPerSecond() {
        return prefilledTokens == 0 || prefillNanos == 0 ? 0 : prefilledTokens * 1e9 / prefillNanos;
    }

    /** Generated tokens per second after the first (each needs one forward pass). */
    public double decodeTokensPerSecond() {
        int steps = ids.length - 1;
        return steps <= 0 || decodeNanos == 0 ? 0 : steps * 1e9 / decodeNanos;
    }
}
