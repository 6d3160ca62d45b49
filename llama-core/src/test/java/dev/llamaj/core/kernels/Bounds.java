package dev.llamaj.core.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamaj.core.tensor.GgmlType;

/**
 * How far a correct provider may differ from {@code scalar}, derived from what it may do
 * differently. u = 2^-24 is a float's unit roundoff.
 */
final class Bounds {
    private static final double U = 0x1p-24;

    private Bounds() {
    }

    /**
     * One output of a matrix product, W row w times x. Any summation order costs at most
     * 2·cols·u·Σ|w·x| (the float worst case, over-covering double-sum references too). On top:
     * <ul>
     * <li>F32 weights: nothing.
     * <li>F16 / BF16: llama.cpp rounds x to the weight's type first: 2^-11 / 2^-8 relative to each
     *     |x|, so 2^-11·Σ|w·x| / 2^-8·Σ|w·x|.
     * <li>quantized: llama.cpp rounds x to 8-bit blocks of the weight's block size (Q8_0, Q8_1,
     *     Q8_K) with scale amax_b/127, each element off by at most half a step, amax_b/254, so
     *     Σ_b (amax_b/254)·Σ_{j∈b}|w_j|. The block scale (and Q8_1's block sum, which meets the
     *     weights' minimum) may be stored as f16: a further 2^-11 of each block's largest |w|
     *     times Σ|x| over the block.
     * </ul>
     */
    static double dot(GgmlType type, float[] w, float[] x) {
        int cols = w.length;
        double products = 0;
        for (int j = 0; j < cols; j++) {
            products += Math.abs((double) w[j] * x[j]);
        }
        double bound = 2 * cols * U * products;
        switch (type) {
            case F32 -> {
            }
            case F16 -> bound += 0x1p-11 * products;
            case BF16 -> bound += 0x1p-8 * products;
            default -> bound += activationRounding(type.blockSize(), w, x);
        }
        return bound;
    }

    private static double activationRounding(int blockSize, float[] w, float[] x) {
        double bound = 0;
        for (int b = 0; b < w.length; b += blockSize) {
            double amaxX = 0;
            double amaxW = 0;
            double sumW = 0;
            double sumX = 0;
            for (int j = b; j < b + blockSize; j++) {
                amaxX = Math.max(amaxX, Math.abs(x[j]));
                amaxW = Math.max(amaxW, Math.abs(w[j]));
                sumW += Math.abs(w[j]);
                sumX += Math.abs(x[j]);
            }
            bound += amaxX / 254 * sumW + 0x1p-11 * amaxW * sumX;
        }
        return bound;
    }

    /**
     * RoPE at position pos: a provider may build the angle pos·base^(-2j/ropeDim) in float by
     * repeated multiplication, up to (ropeDim/2 + 2) roundings: angle error ≤ pos·(ropeDim/2+2)·u;
     * sin/cos in float add about 2^-22, the rotation's products 2^-21; the error of a rotated
     * pair is that times the pair's length, bounded by the row's largest pair.
     */
    static double rope(int pos, int ropeDim, float[] x) {
        double maxPair = 0;
        for (int j = 0; j + 1 < x.length; j += 2) {
            maxPair = Math.max(maxPair, Math.hypot(x[j], x[j + 1]));
        }
        double angle = pos * (ropeDim / 2 + 2) * U + 0x1p-22;
        return maxPair * (angle + 0x1p-21);
    }

    static double maxAbs(float[] row) {
        double m = 0;
        for (float v : row) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** Rows 0..rows-1 agree element-wise within relative·|expected| + absolute. */
    static void assertClose(float[][] expected, float[][] actual, int rows, double relative, double absolute, String what) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                double bound = relative * Math.abs(expected[i][j]) + absolute;
                double diff = Math.abs((double) expected[i][j] - actual[i][j]);
                int row = i;
                int col = j;
                assertTrue(diff <= bound, () -> what + " row " + row + " element " + col + ": expected " + expected[row][col]
                        + ", got " + actual[row][col] + " (bound " + bound + ")");
            }
        }
    }
}
