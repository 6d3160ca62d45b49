package dev.llamaj.core.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Exact values of the activation rounding, worked out by hand from llama.cpp's x86 rules
 * (round half to even, Q8_0 scale amax/127 stored as F16, Q8_K scale 1/(-127/max)).
 */
class ActivationQuantizerTest {
    @Test
    void q8_0RoundsHalfToEvenWithScaleAmaxOver127() {
        float[] x = new float[32];
        x[0] = 127f;   // amax: d = 1, 1/d = 1, so quants are x rounded
        x[1] = 2.5f;   // a tie: half-even gives 2 (roundf would give 3)
        x[2] = 3.5f;   // tie to 4
        x[3] = -2.5f;  // tie to -2
        x[4] = 0.49f;
        x[5] = -126.6f;
        byte[] q = new byte[32];
        float[] d = new float[1];
        float[] s = new float[1];
        ActivationQuantizer.q8_0(x, 0, 32, q, 0, d, 0, s);
        byte[] expected = new byte[32];
        expected[0] = 127;
        expected[1] = 2;
        expected[2] = 4;
        expected[3] = -2;
        expected[4] = 0;
        expected[5] = -127;
        assertArrayEquals(expected, q);
        assertEquals(1f, d[0]);
        assertEquals(127 + 2 + 4 - 2 - 127, s[0]);
    }

    @Test
    void q8_0ScaleIsRoundedThroughF16() {
        float[] x = new float[32];
        x[7] = -1f; // d = 1/127 = 0.007874..., which F16 stores as 0.007873535
        byte[] q = new byte[32];
        float[] d = new float[1];
        ActivationQuantizer.q8_0(x, 0, 32, q, 0, d, 0, null);
        assertEquals(-127, q[7]);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(1f / 127f)), d[0]);
        assertEquals(0.007873535f, d[0]);
    }

    @Test
    void q8_0OfZerosIsZero() {
        byte[] q = new byte[64];
        java.util.Arrays.fill(q, (byte) 5);
        float[] d = {9, 9};
        float[] s = {9, 9};
        ActivationQuantizer.q8_0(new float[64], 0, 64, q, 0, d, 0, s);
        assertArrayEquals(new byte[64], q);
        assertArrayEquals(new float[2], d);
        assertArrayEquals(new float[2], s);
    }

    @Test
    void q8_KKeepsTheSignOfTheLargestValueInTheScale() {
        float[] x = new float[256];
        x[0] = 127f; // max is positive: iscale = -1, so quants flip sign and d = -1
        x[1] = 2.5f;
        x[17] = -3.5f;
        byte[] q = new byte[256];
        float[] d = new float[1];
        int[] sums = new int[16];
        ActivationQuantizer.q8_K(x, 0, 256, q, 0, d, 0, sums, 0);
        assertEquals(-1f, d[0]);
        assertEquals(-127, q[0]);
        assertEquals(-2, q[1]);   // rint(-2.5) = -2
        assertEquals(4, q[17]);   // rint(3.5) = 4
        assertEquals(-129, sums[0]);
        assertEquals(4, sums[1]);
        assertEquals(0, sums[15]);
    }

    @Test
    void q8_KWithNegativeMax() {
        float[] x = new float[256];
        x[255] = -254f; // iscale = 0.5, d = 2
        x[100] = 5f;    // 2.5 -> 2
        x[101] = 7f;    // 3.5 -> 4
        byte[] q = new byte[256];
        float[] d = new float[1];
        int[] sums = new int[16];
        ActivationQuantizer.q8_K(x, 0, 256, q, 0, d, 0, sums, 0);
        assertEquals(2f, d[0]);
        assertEquals(-127, q[255]);
        assertEquals(2, q[100]);
        assertEquals(4, q[101]);
        assertEquals(6, sums[6]);
        assertEquals(-127, sums[15]);
    }

    @Test
    void bf16AndF16RoundToNearestEven() {
        // BF16 keeps 7 mantissa bits: 1 + 2^-8 is halfway between 1 and 1 + 2^-7, goes to 1 (even)
        assertEquals(1f, ActivationQuantizer.roundBF16(1f + 0x1p-8f));
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even)
        assertEquals(1f + 0x1p-6f, ActivationQuantizer.roundBF16(1f + 3 * 0x1p-8f));
        assertEquals(-2f, ActivationQuantizer.roundBF16(-2f));
        // F16 keeps 10 bits: 1 + 2^-11 is a tie, goes to 1
        assertEquals(1f, ActivationQuantizer.roundF16(1f + 0x1p-11f));
        assertEquals(1f + 0x1p-9f, ActivationQuantizer.roundF16(1f + 3 * 0x1p-11f));
    }

    /**
     * Rows that exercise the vector roundings' corners: Gaussian blocks, exact ties after scaling
     * (integers and halves with a maximum of 127), a maximum magnitude present with both signs
     * (the first one sets Q8_K's sign), an all-zero block and a block with a NaN.
     */
    private static float[] cornerRows(int blocks, int block) {
        java.util.Random random = new java.util.Random(11);
        float[] x = new float[blocks * block];
        for (int b = 0; b < blocks; b++) {
            int base = b * block;
            switch (b % 5) {
                case 0 -> {
                    for (int i = 0; i < block; i++) {
                        x[base + i] = (float) random.nextGaussian();
                    }
                }
                case 1 -> {
                    for (int i = 0; i < block; i++) {
                        x[base + i] = (random.nextInt(255) - 127) / 2f;
                    }
                    x[base + random.nextInt(block)] = 127;
                }
                case 2 -> {
                    for (int i = 0; i < block; i++) {
                        x[base + i] = (float) random.nextGaussian();
                    }
                    x[base + 3] = -9;
                    x[base + block - 2] = 9;
                }
                case 3 -> {
                    // all zeros
                }
                default -> {
                    for (int i = 0; i < block; i++) {
                        x[base + i] = (float) random.nextGaussian();
                    }
                    x[base + 5] = Float.NaN;
                }
            }
        }
        return x;
    }

    @Test
    void vectorQ8_0IsExactlyTheReference() {
        float[] x = cornerRows(40, 32);
        byte[] q = new byte[x.length];
        byte[] qr = new byte[x.length];
        float[] d = new float[40];
        float[] dr = new float[40];
        float[] s = new float[40];
        float[] sr = new float[40];
        ActivationQuantizer.q8_0(x, 0, x.length, q, 0, d, 0, s);
        ActivationQuantizer.q8_0Reference(x, 0, x.length, qr, 0, dr, 0, sr);
        assertArrayEquals(qr, q);
        assertArrayEquals(dr, d);
        assertArrayEquals(sr, s);
    }

    @Test
    void vectorQ8_KIsExactlyTheReference() {
        float[] x = cornerRows(10, 256);
        byte[] q = new byte[x.length];
        byte[] qr = new byte[x.length];
        float[] d = new float[10];
        float[] dr = new float[10];
        int[] sums = new int[160];
        int[] sumsr = new int[160];
        ActivationQuantizer.q8_K(x, 0, x.length, q, 0, d, 0, sums, 0);
        ActivationQuantizer.q8_KReference(x, 0, x.length, qr, 0, dr, 0, sumsr, 0);
        assertArrayEquals(qr, q);
        assertArrayEquals(dr, d);
        assertArrayEquals(sumsr, sums);
    }
}
