package dev.llamaj.core.tensor;

/**
 * The simple, deterministic fit the shared synth tool uses for k-quant super-blocks of 256
 * (not llama.cpp's iterative search: any valid block decodes the same way, and matching the
 * tool's choices lets tests compare our bytes with its files). All arithmetic is in float,
 * rounding half to even, as numpy's float32 does.
 */
final class KFit {
    private KFit() {
    }

    /** Result of an affine fit: value ≈ d·sc[s]·q − dmin·m[s]. */
    record Affine(float d, float dmin, int[] sc, int[] m, int[] q) {
    }

    /** Result of a symmetric fit: value ≈ d·sc[s]·q, sc signed. */
    record Symmetric(float d, int[] sc, int[] q) {
    }

    /** Fits {@code subBlocks} sub-blocks of {@code 256/subBlocks} with codes 0..qmax and 0..smax scales and mins. */
    static Affine affine(float[] x, int base, int subBlocks, int qmax, int smax) {
        int len = 256 / subBlocks;
        float[] scale = new float[subBlocks];
        float[] mins = new float[subBlocks];
        float maxScale = 0;
        float maxMin = 0;
        for (int s = 0; s < subBlocks; s++) {
            float mn = 0;
            float mx = Float.NEGATIVE_INFINITY;
            for (int l = 0; l < len; l++) {
                mn = Math.min(mn, x[base + s * len + l]);
                mx = Math.max(mx, x[base + s * len + l]);
            }
            scale[s] = (mx - mn) / qmax;
            mins[s] = -mn;
            maxScale = Math.max(maxScale, scale[s]);
            maxMin = Math.max(maxMin, mins[s]);
        }
        float d = half(maxScale / smax);
        float dmin = half(maxMin / smax);
        int[] sc = new int[subBlocks];
        int[] m = new int[subBlocks];
        int[] q = new int[256];
        for (int s = 0; s < subBlocks; s++) {
            sc[s] = clampRint(scale[s] * inverse(d), 0, smax);
            m[s] = clampRint(mins[s] * inverse(dmin), 0, smax);
            float effScale = d * sc[s];
            float effMin = dmin * m[s];
            for (int l = 0; l < len; l++) {
                q[s * len + l] = clampRint((x[base + s * len + l] + effMin) * inverse(effScale), 0, qmax);
            }
        }
        return new Affine(d, dmin, sc, m, q);
    }

    /**
     * Fits 16 sub-blocks of 16: each sub-block's signed scale puts its largest-magnitude element
     * on code {@code -half}; scales are quantized to ±smax against d = max|scale| / smax; codes
     * lie in −half..half−1.
     */
    static Symmetric symmetric(float[] x, int base, int half, int smax, int scMin) {
        float[] s = new float[16];
        float maxAbs = 0;
        for (int b = 0; b < 16; b++) {
            float mx = 0;
            for (int l = 0; l < 16; l++) {
                float v = x[base + 16 * b + l];
                if (Math.abs(v) > Math.abs(mx)) {
                    mx = v;
                }
            }
            s[b] = mx / -half;
            maxAbs = Math.max(maxAbs, Math.abs(s[b]));
        }
        float d = half(maxAbs / smax);
        int[] sc = new int[16];
        int[] q = new int[256];
        for (int b = 0; b < 16; b++) {
            sc[b] = clampRint(s[b] * inverse(d), scMin, smax);
            float eff = d * sc[b];
            for (int l = 0; l < 16; l++) {
                q[16 * b + l] = clampRint(x[base + 16 * b + l] * inverse(eff), -half, half - 1);
            }
        }
        return new Symmetric(d, sc, q);
    }

    /** {@code v} rounded to f16 and back, as the scales are stored. */
    static float half(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    private static float inverse(float v) {
        return v != 0 ? 1f / v : 0f;
    }

    private static int clampRint(float v, int lo, int hi) {
        return (int) Math.max(lo, Math.min(hi, Math.rint(v)));
    }
}
