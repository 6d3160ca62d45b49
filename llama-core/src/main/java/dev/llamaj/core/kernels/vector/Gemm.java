package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The prefill micro-kernel: a block of up to 4 weight rows (already decoded to floats) times
 * every token of a batch, 4 rows × 4 tokens at a time in 16 vector accumulators so that each
 * loaded vector feeds 4 multiply-adds. The activations are the rounded ones decoded back to
 * floats (q·d), so the products are those llama.cpp's integer dot products add up, summed in
 * float instead of in int32 (a difference of float rounding only).
 */
final class Gemm {
    private Gemm() {
    }

    /**
     * {@code out[t·outCols + r0 + i] = w_i · x_t} for rows i &lt; nr (rows of {@code cols} in
     * {@code w}) and tokens t &lt; n (rows of {@code cols} in {@code x}); {@code cols} is a
     * multiple of {@link Simd#L}.
     */
    static void rowBlock(float[] w, int nr, float[] x, int n, int cols, float[] out, int outCols, int r0) {
        int t = 0;
        if (nr == 4) {
            for (; t + 4 <= n; t += 4) {
                kernel4x4(w, x, t, cols, out, outCols, r0);
            }
        }
        for (; t < n; t++) {
            for (int i = 0; i < nr; i++) {
                out[t * outCols + r0 + i] = dot(w, i * cols, x, t * cols, cols);
            }
        }
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int k = 0; k < n; k += L) {
            acc = FloatVector.fromArray(F, a, ao + k).fma(FloatVector.fromArray(F, b, bo + k), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static void kernel4x4(float[] w, float[] x, int t0, int cols, float[] out, int outCols, int r0) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int x0 = t0 * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        for (int k = 0; k < cols; k += L) {
            FloatVector a0 = FloatVector.fromArray(F, x, x0 + k);
            FloatVector a1 = FloatVector.fromArray(F, x, x1 + k);
            FloatVector a2 = FloatVector.fromArray(F, x, x2 + k);
            FloatVector a3 = FloatVector.fromArray(F, x, x3 + k);
            FloatVector w0 = FloatVector.fromArray(F, w, k);
            c00 = w0.fma(a0, c00);
            c01 = w0.fma(a1, c01);
            c02 = w0.fma(a2, c02);
            c03 = w0.fma(a3, c03);
            FloatVector w1 = FloatVector.fromArray(F, w, cols + k);
            c10 = w1.fma(a0, c10);
            c11 = w1.fma(a1, c11);
            c12 = w1.fma(a2, c12);
            c13 = w1.fma(a3, c13);
            FloatVector w2 = FloatVector.fromArray(F, w, 2 * cols + k);
            c20 = w2.fma(a0, c20);
            c21 = w2.fma(a1, c21);
            c22 = w2.fma(a2, c22);
            c23 = w2.fma(a3, c23);
            FloatVector w3 = FloatVector.fromArray(F, w, 3 * cols + k);
            c30 = w3.fma(a0, c30);
            c31 = w3.fma(a1, c31);
            c32 = w3.fma(a2, c32);
            c33 = w3.fma(a3, c33);
        }
        int o0 = t0 * outCols + r0;
        store(out, o0, c00, c10, c20, c30);
        store(out, o0 + outCols, c01, c11, c21, c31);
        store(out, o0 + 2 * outCols, c02, c12, c22, c32);
        store(out, o0 + 3 * outCols, c03, c13, c23, c33);
    }

    private static void store(float[] out, int o, FloatVector r0, FloatVector r1, FloatVector r2, FloatVector r3) {
        out[o] = r0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = r1.reduceLanes(VectorOperators.ADD);
        out[o + 2] = r2.reduceLanes(VectorOperators.ADD);
        out[o + 3] = r3.reduceLanes(VectorOperators.ADD);
    }
}
