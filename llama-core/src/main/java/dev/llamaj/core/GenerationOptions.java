package dev.llamaj.core;

import dev.llamaj.core.sampling.SamplingOptions;
import java.util.List;

/**
 * What {@link Generator#generate} does after the prompt.
 *
 * @param sampling    how each token is drawn
 * @param maxTokens   the most tokens to generate
 * @param stopStrings generation stops when the text contains one of these
 */
public record GenerationOptions(SamplingOptions sampling, int maxTokens, List<String> stopStrings) {
    public GenerationOptions {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must be >= 0, got " + maxTokens);
        }
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("a stop string must not be empty");
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults: greedy, 256 tokens, no stop strings. */
    public static final class Builder {
        private SamplingOptions sampling = SamplingOptions.greedy();
        private int maxTokens = 256;
        private List<String> stopStrings = List.of();

        private Builder() {
        }

        public Builder sampling(SamplingOptions s) {
            this.sampling = s;
            return this;
        }

        public Builder maxTokens(int n) {
            this.maxTokens = n;
            return this;
        }

        public Builder stopStrings(List<String> stops) {
            this.stopStrings = stops;
            return this;
        }

        public Builder stop(String... stops) {
            return stopStrings(List.of(stops));
        }

        public GenerationOptions build() {
            return new GenerationOptions(sampling, maxTokens, stopStrings);
        }
    }
}
