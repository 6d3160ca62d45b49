package dev.llamaj.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SamplerTest {
    @Test
    void greedyPicksTheLargestLogitAndTiesGoToTheLowestId() {
        Sampler s = new Sampler(SamplingOptions.greedy());
        assertThat(s.sample(new float[] {0.1f, 3f, -2f, 3f}, new int[0])).isEqualTo(1);
        assertThat(Sampler.argmax(new float[] {5f, 5f})).isZero();
    }

    @Test
    void theSameSeedGivesTheSameDraws() {
        float[] logits = {1f, 1.2f, 0.9f, 1.1f, 0.5f};
        SamplingOptions o = SamplingOptions.builder().temperature(1f).topK(0).topP(1f).minP(0).seed(42).build();
        Sampler a = new Sampler(o);
        Sampler b = new Sampler(o);
        int[] da = new int[50];
        int[] db = new int[50];
        for (int i = 0; i < 50; i++) {
            da[i] = a.sample(logits, new int[0]);
            db[i] = b.sample(logits, new int[0]);
        }
        assertThat(da).containsExactly(db);
        assertThat(java.util.Arrays.stream(da).distinct().count()).as("a real draw, not argmax").isGreaterThan(2);
    }

    @Test
    void drawsFollowTheSoftmaxAtTemperatureOne() {
        // logits ln(1), ln(2), ln(1): probabilities 1/4, 1/2, 1/4
        float[] logits = {0f, (float) Math.log(2), 0f};
        Sampler s = new Sampler(SamplingOptions.builder().temperature(1f).topK(0).topP(1f).minP(0).seed(7).build());
        int[] counts = new int[3];
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            counts[s.sample(logits, new int[0])]++;
        }
        // binomial standard deviation at n=20000, p=0.5 is ~0.0035: 0.02 is over 5 sigma
        assertThat(counts[1] / (double) n).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.02));
        assertThat(counts[0] / (double) n).isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.02));
    }

    @Test
    void topKOfOneIsGreedy() {
        float[] logits = {0.3f, 0.1f, 2.5f, 2.4f};
        Sampler s = new Sampler(SamplingOptions.builder().temperature(1.5f).topK(1).seed(1).build());
        for (int i = 0; i < 100; i++) {
            assertThat(s.sample(logits, new int[0])).isEqualTo(2);
        }
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // probabilities ~0.6, 0.3, 0.1: top-p 0.5 keeps only the first
        float[] logits = {(float) Math.log(0.6), (float) Math.log(0.3), (float) Math.log(0.1)};
        Sampler s = new Sampler(SamplingOptions.builder().temperature(1f).topK(0).topP(0.5f).minP(0).seed(3).build());
        for (int i = 0; i < 200; i++) {
            assertThat(s.sample(logits, new int[0])).isZero();
        }
    }

    @Test
    void minPDropsUnlikelyTokens() {
        // p ~ 0.6, 0.3, 0.1: min-p 0.4 keeps tokens with p >= 0.24, i.e. ids 0 and 1
        float[] logits = {(float) Math.log(0.6), (float) Math.log(0.3), (float) Math.log(0.1)};
        Sampler s = new Sampler(SamplingOptions.builder().temperature(1f).topK(0).topP(1f).minP(0.4f).seed(5).build());
        boolean sawOne = false;
        for (int i = 0; i < 500; i++) {
            int id = s.sample(logits, new int[0]);
            assertThat(id).isNotEqualTo(2);
            sawOne |= id == 1;
        }
        assertThat(sawOne).isTrue();
    }

    @Test
    void repetitionPenaltyTurnsGreedyAwayFromRecentTokens() {
        float[] logits = {2.0f, 1.5f, -1f};
        Sampler s = new Sampler(SamplingOptions.builder().temperature(0).repeatPenalty(2f).build());
        assertThat(s.sample(logits, new int[] {0})).as("2.0/2 = 1.0 < 1.5").isEqualTo(1);
        assertThat(s.sample(logits, new int[] {2})).isZero();
        assertThat(logits[0]).as("input untouched").isEqualTo(2.0f);
    }

    @Test
    void badOptionsAreRejected() {
        assertThatThrownBy(() -> SamplingOptions.builder().temperature(-1).build()).hasMessageContaining("temperature");
        assertThatThrownBy(() -> SamplingOptions.builder().topP(0).build()).hasMessageContaining("topP");
        assertThatThrownBy(() -> SamplingOptions.builder().repeatPenalty(0).build()).hasMessageContaining("repeatPenalty");
    }
}
