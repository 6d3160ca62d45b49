package dev.llamaj.core.sampling;

/**
 * How the next token is drawn from the logits. The chain, in llama.cpp's order: repetition
 * penalty over the last {@code repeatLastN} ids → top-k → top-p → min-p → temperature → a draw
 * from the seeded generator. {@code temperature == 0} is greedy (argmax, ties to the lowest id)
 * and ignores everything else.
 *
 * @param temperature  0 for greedy; otherwise logits are divided by it before the draw
 * @param topK         keep the k most likely tokens; 0 keeps all
 * @param topP         keep the smallest set whose probability reaches p; 1 keeps all
 * @param minP         drop tokens less likely than minP × the most likely one's probability; 0 keeps all
 * @param repeatPenalty divide positive (multiply negative) logits of recent ids by this; 1 is off
 * @param repeatLastN  how many recent ids the penalty looks at
 * @param seed         the random generator's seed: the same seed gives the same tokens
 */
public record SamplingOptions(float temperature, int topK, float topP, float minP, float repeatPenalty,
                              int repeatLastN, long seed) {
    public SamplingOptions {
        check(temperature >= 0 && Float.isFinite(temperature), "temperature must be finite and >= 0", temperature);
        check(topK >= 0, "topK must be >= 0", topK);
        check(topP > 0 && topP <= 1, "topP must be in (0, 1]", topP);
        check(minP >= 0 && minP <= 1, "minP must be in [0, 1]", minP);
        check(repeatPenalty > 0 && Float.isFinite(repeatPenalty), "repeatPenalty must be finite and > 0", repeatPenalty);
        check(repeatLastN >= 0, "repeatLastN must be >= 0", repeatLastN);
    }

    private static void check(boolean ok, String what, Object value) {
        if (!ok) {
            throw new IllegalArgumentException(what + ", got " + value);
        }
    }

    /** Argmax decoding. */
    public static SamplingOptions greedy() {
        return builder().temperature(0).build();
    }

    /** Whether this always picks the most likely token. */
    public boolean isGreedy() {
        return temperature == 0;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this record's values. */
    public Builder toBuilder() {
        return new Builder().temperature(temperature).topK(topK).topP(topP).minP(minP)
                .repeatPenalty(repeatPenalty).repeatLastN(repeatLastN).seed(seed);
    }

    /**
     * Builds {@link SamplingOptions}. Defaults (llama.cpp's): temperature 0.8, top-k 40,
     * top-p 0.95, min-p 0.05, repetition penalty off (1.0) over 64 ids, a random seed.
     */
    public static final class Builder {
        private float temperature = 0.8f;
        private int topK = 40;
        private float topP = 0.95f;
        private float minP = 0.05f;
        private float repeatPenalty = 1.0f;
        private int repeatLastN = 64;
        private long seed = System.nanoTime() ^ Thread.currentThread().threadId();

        private Builder() {
        }

        public Builder temperature(float t) {
            this.temperature = t;
            return this;
        }

        public Builder topK(int k) {
            this.topK = k;
            return this;
        }

        public Builder topP(float p) {
            this.topP = p;
            return this;
        }

        public Builder minP(float p) {
            this.minP = p;
            return this;
        }

        public Builder repeatPenalty(float r) {
            this.repeatPenalty = r;
            return this;
        }

        public Builder repeatLastN(int n) {
            this.repeatLastN = n;
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public SamplingOptions build() {
            return new SamplingOptions(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed);
        }
    }
}
