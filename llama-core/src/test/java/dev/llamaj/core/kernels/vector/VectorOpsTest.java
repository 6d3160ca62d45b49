package dev.llamaj.core.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.RandomBlocks;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.core.tensor.TensorFormat;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The element-wise operations and attention against plain double-precision formulas. */
class VectorOpsTest {
    private static VectorKernels kernels;

    @BeforeAll
    static void open() {
        kernels = new VectorKernels(2);
    }

    @AfterAll
    static void close() {
        kernels.close();
    }

    private static Activations filled(int rows, int cols, long seed) {
        Activations a = kernels.activations(rows, cols);
        float[] v = RandomBlocks.vector(rows * cols, seed);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(v, r * cols, row, 0, cols);
            a.write(r, row);
        }
        return a;
    }

    private static float[] row(Activations a, int r) {
        float[] v = new float[a.cols()];
        a.read(r, v);
        return v;
    }

    /** RMSNorm in float differs from double only by float rounding: 1e-5 relative. */
    @Test
    void rmsNorm() {
        int cols = 77; // a ragged vector tail
        try (Arena arena = Arena.ofShared()) {
            Tensor w = RandomBlocks.matrix(arena, "norm", GgmlType.F32, 1, cols, 3);
            float[] wv = new float[cols];
            TensorFormat.of(GgmlType.F32).dequantize(w.data(), 0, wv, 0, cols);
            Activations x = filled(3, cols, 1);
            Activations out = kernels.activations(3, cols);
            kernels.rmsNorm(out, x, kernels.weights(w), 1e-5f, 3);
            for (int r = 0; r < 3; r++) {
                float[] in = row(x, r);
                double ss = 0;
                for (float v : in) {
                    ss += (double) v * v;
                }
                double scale = 1 / Math.sqrt(ss / cols + 1e-5);
                float[] got = row(out, r);
                for (int i = 0; i < cols; i++) {
                    double expected = in[i] * scale * wv[i];
                    assertEquals(expected, got[i], 1e-5 * Math.abs(expected) + 1e-7);
                }
            }
            kernels.rmsNorm(x, x, kernels.weights(w), 1e-5f, 3); // in place
            assertArrayEquals(row(out, 2), row(x, 2));
        }
    }

    /**
     * RoPE: pairs (2j, 2j+1) rotated by pos·base^(-2j/ropeDim). llama.cpp builds the angle by
     * repeated float multiplication; at positions below 100 that differs from the exact angle
     * by a few float ulps of ~100 rad (≈1e-5), so 1e-4 absolute on unit-sized values.
     */
    @Test
    void ropeRotatesAdjacentPairsUpToRopeDim() {
        int heads = 3;
        int headDim = 16;
        int ropeDim = 12; // the last 4 of each head stay as they are
        Activations x = filled(4, heads * headDim, 9);
        float[][] before = new float[4][];
        for (int r = 0; r < 4; r++) {
            before[r] = row(x, r);
        }
        int start = 90;
        kernels.rope(x, heads, headDim, ropeDim, 10000f, start, 4);
        for (int r = 0; r < 4; r++) {
            float[] got = row(x, r);
            for (int h = 0; h < heads; h++) {
                for (int j = 0; j < headDim / 2; j++) {
                    int i = h * headDim + 2 * j;
                    if (2 * j >= ropeDim) {
                        assertEquals(before[r][i], got[i]);
                        assertEquals(before[r][i + 1], got[i + 1]);
                        continue;
                    }
                    double theta = (start + r) * Math.pow(10000, -2.0 * j / ropeDim);
                    double c = Math.cos(theta);
                    double s = Math.sin(theta);
                    assertEquals(before[r][i] * c - before[r][i + 1] * s, got[i], 1e-4);
                    assertEquals(before[r][i] * s + before[r][i + 1] * c, got[i + 1], 1e-4);
                }
            }
        }
    }

    @Test
    void swigluAddSoftmaxAndCopyRows() {
        int cols = 45;
        Activations g = filled(2, cols, 1);
        Activations u = filled(2, cols, 2);
        float[] g0 = row(g, 1);
        float[] u0 = row(u, 1);
        kernels.swiglu(g, u, 2);
        float[] got = row(g, 1);
        for (int i = 0; i < cols; i++) {
            double expected = g0[i] / (1 + Math.exp(-g0[i])) * u0[i];
            assertEquals(expected, got[i], 1e-6 * Math.abs(expected) + 1e-7);
        }
        kernels.add(g, u, 2);
        float[] sum = row(g, 1);
        for (int i = 0; i < cols; i++) {
            assertEquals(got[i] + u0[i], sum[i]);
        }
        kernels.softmax(u, 2);
        float[] p = row(u, 1);
        double max = Double.NEGATIVE_INFINITY;
        for (float v : u0) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (float v : u0) {
            z += Math.exp(v - max);
        }
        for (int i = 0; i < cols; i++) {
            assertEquals(Math.exp(u0[i] - max) / z, p[i], 1e-6);
        }
        Activations dst = kernels.activations(3, cols);
        kernels.copyRows(dst, 2, g, 1, 1);
        assertArrayEquals(sum, row(dst, 2));
        assertArrayEquals(new float[cols], row(dst, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> kernels.copyRows(dst, 2, g, 0, 2));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "Q8_0", "Q4_K", "Q6_K"})
    void embedDequantizesRows(GgmlType type) {
        int cols = 256;
        try (Arena arena = Arena.ofShared()) {
            Tensor table = RandomBlocks.matrix(arena, "tok", type, 10, cols, 4);
            Activations out = kernels.activations(3, cols);
            kernels.embed(out, kernels.weights(table), new int[] {7, 0, 7});
            float[] expected = new float[cols];
            TensorFormat.of(type).dequantize(table.data(), 7L * cols, expected, 0, cols);
            assertArrayEquals(expected, row(out, 0));
            assertArrayEquals(expected, row(out, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> kernels.embed(out, kernels.weights(table), new int[] {10}));
        }
    }

    /**
     * Attention over a prompt fed in two batches (causal within each) against a double-precision
     * reference over all positions. F32 cache: float rounding only (1e-5). F16 cache: keys,
     * values, the query and the softmax weights are rounded to F16 (2^-11 relative each), which
     * on unit-sized random data stays below 5e-3.
     */
    @ParameterizedTest
    @EnumSource(KvCacheType.class)
    void groupedCausalAttention(KvCacheType type) {
        int heads = 4;
        int kvHeads = 2;
        int headDim = 24; // not a multiple of the vector length: exercises the tails
        int positions = 7;
        Activations q = filled(positions, heads * headDim, 21);
        Activations k = filled(positions, kvHeads * headDim, 22);
        Activations v = filled(positions, kvHeads * headDim, 23);
        Activations out = kernels.activations(positions, heads * headDim);
        try (KvCache cache = kernels.kvCache(2, 16, kvHeads * headDim, type)) {
            assertEquals(2L * 2 * 16 * kvHeads * headDim * (type == KvCacheType.F16 ? 2 : 4), cache.bytes());
            // first 4 positions, then 3 more: the second batch sees the first through the cache
            kernels.attention(out, q, k, v, cache, 1, 0, 4, heads, kvHeads);
            Activations q2 = kernels.activations(3, heads * headDim);
            Activations k2 = kernels.activations(3, kvHeads * headDim);
            Activations v2 = kernels.activations(3, kvHeads * headDim);
            Activations out2 = kernels.activations(3, heads * headDim);
            kernels.copyRows(q2, 0, q, 4, 3);
            kernels.copyRows(k2, 0, k, 4, 3);
            kernels.copyRows(v2, 0, v, 4, 3);
            kernels.attention(out2, q2, k2, v2, cache, 1, 4, 3, heads, kvHeads);
            kernels.copyRows(out, 4, out2, 0, 3);
            double tol = type == KvCacheType.F16 ? 5e-3 : 1e-5;
            for (int i = 0; i < positions; i++) {
                float[] qi = row(q, i);
                float[] got = row(out, i);
                for (int h = 0; h < heads; h++) {
                    int g = h / (heads / kvHeads);
                    double[] w = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int p = 0; p <= i; p++) {
                        float[] kp = row(k, p);
                        double d = 0;
                        for (int c = 0; c < headDim; c++) {
                            d += qi[h * headDim + c] * kp[g * headDim + c];
                        }
                        w[p] = d / Math.sqrt(headDim);
                        max = Math.max(max, w[p]);
                    }
                    double z = 0;
                    for (int p = 0; p <= i; p++) {
                        w[p] = Math.exp(w[p] - max);
                        z += w[p];
                    }
                    for (int c = 0; c < headDim; c++) {
                        double expected = 0;
                        for (int p = 0; p <= i; p++) {
                            expected += w[p] / z * row(v, p)[g * headDim + c];
                        }
                        assertEquals(expected, got[h * headDim + c], tol, "position " + i + " head " + h + " dim " + c);
                    }
                }
            }
            assertThrows(IndexOutOfBoundsException.class, () -> kernels.attention(out2, q2, k2, v2, cache, 1, 14, 3, heads, kvHeads));
            assertThrows(IllegalArgumentException.class, () -> kernels.attention(out2, q2, k2, v2, cache, 1, 0, 3, 3, 2));
        }
    }
}
