package dev.llamaj.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One attention case for the conformance test: a prefill of 5 rows at position 0 followed by a
 * decode row at position 5 that must read the prefill's keys and values back from the cache.
 *
 * <p>Bound, per output row and head: the output is a convex combination of value rows, so an
 * error δ in every score moves it by at most max|v|·2δ (Σ|Δp| ≤ 2·max|Δs| for a softmax).
 * Scores may differ by the float dot's 2·headDim·u of Σ|q·k|, and by 2^-11 of it where a
 * provider rounds q to f16 for an F16 cache, as llama.cpp does: δ = (2^-10 + 2·headDim·u)·
 * max_t Σ_d |q_d·k_td| / √headDim. Summing the weighted values in float adds positions·2^-23
 * of max|v|, and the exp a last ulp (2^-20).
 */
record Attention(int heads, int kvHeads, int headDim, KvCacheType type, long seed) {
    private static final int PREFILL = 5;
    private static final int CAPACITY = 8;
    private static final int LAYER = 1;

    void compare(Kernels ref, Kernels fast) {
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        float[][] q = KernelConformanceTest.gaussian(PREFILL + 1, qDim, seed);
        float[][] k = KernelConformanceTest.gaussian(PREFILL + 1, kvDim, seed + 1);
        float[][] v = KernelConformanceTest.gaussian(PREFILL + 1, kvDim, seed + 2);
        float[][] expected = run(ref, q, k, v);
        float[][] actual = run(fast, q, k, v);
        for (int i = 0; i <= PREFILL; i++) {
            for (int h = 0; h < heads; h++) {
                double bound = bound(q[i], k, v, i + 1, h);
                for (int d = 0; d < headDim; d++) {
                    int at = h * headDim + d;
                    assertEquals(expected[i][at], actual[i][at], bound,
                            this + ": position " + i + " head " + h + " element " + d);
                }
            }
        }
    }

    /** Rows 0..PREFILL-1 from the prefill call, row PREFILL from the decode call. */
    private float[][] run(Kernels kernels, float[][] q, float[][] k, float[][] v) {
        float[][] out = new float[PREFILL + 1][];
        try (KvCache cache = kernels.kvCache(2, CAPACITY, kvHeads * headDim, type)) {
            float[][] prefill = step(kernels, cache, slice(q, 0, PREFILL), slice(k, 0, PREFILL), slice(v, 0, PREFILL), 0);
            System.arraycopy(prefill, 0, out, 0, PREFILL);
            KernelConformanceTest.assertUntouched(prefill, PREFILL, "attention");
            out[PREFILL] = step(kernels, cache, slice(q, PREFILL, 1), slice(k, PREFILL, 1), slice(v, PREFILL, 1), PREFILL)[0];
        }
        return out;
    }

    private float[][] step(Kernels kernels, KvCache cache, float[][] q, float[][] k, float[][] v, int startPos) {
        try (Activations qa = Ops.load(kernels, q, 1); Activations ka = Ops.load(kernels, k, 1);
             Activations va = Ops.load(kernels, v, 1); Activations out = kernels.activations(q.length + 1, q[0].length)) {
            kernels.attention(out, qa, ka, va, cache, LAYER, startPos, q.length, heads, kvHeads);
            return KernelConformanceTest.read(out);
        }
    }

    private static float[][] slice(float[][] rows, int from, int n) {
        float[][] s = new float[n][];
        System.arraycopy(rows, from, s, 0, n);
        return s;
    }

    private double bound(float[] q, float[][] k, float[][] v, int positions, int h) {
        int base = (h / (heads / kvHeads)) * headDim;
        double maxQk = 0;
        double maxV = 0;
        for (int t = 0; t < positions; t++) {
            double qk = 0;
            for (int d = 0; d < headDim; d++) {
                qk += Math.abs((double) q[h * headDim + d] * k[t][base + d]);
                maxV = Math.max(maxV, Math.abs(v[t][base + d]));
            }
            maxQk = Math.max(maxQk, qk);
        }
        double scoreError = (0x1p-10 + 2 * headDim * 0x1p-24) * maxQk / Math.sqrt(headDim);
        return maxV * (2 * scoreError + positions * 0x1p-23 + 0x1p-20);
    }
}
