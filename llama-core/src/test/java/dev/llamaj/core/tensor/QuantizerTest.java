package dev.llamaj.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Quantizers store what their format decodes, within the format's rounding error. */
class QuantizerTest {
    private static final int N = 256 * 5;

    private static float[] roundTrip(Quantizer q, float[] src, Arena arena) {
        MemorySegment dst = arena.allocate(q.type().bytesFor(N));
        q.quantize(src, 0, dst, 0, N);
        float[] out = new float[N];
        q.dequantize(dst, 0, out, 0, N);
        return out;
    }

    /** Q8_0: q = round(x/d), d = amax/127 stored as f16; error ≤ d/2 plus d's f16 rounding (2^-11·|x|). */
    @Test
    void q8_0ErrorIsHalfAStep() {
        float[] src = RandomBlocks.vector(N, 3);
        try (Arena arena = Arena.ofConfined()) {
            float[] out = roundTrip(Q8_0.INSTANCE, src, arena);
            for (int b = 0; b < N / 32; b++) {
                double d = amax(src, b) / 127;
                for (int i = b * 32; i < b * 32 + 32; i++) {
                    assertTrue(Math.abs(out[i] - src[i]) <= d / 2 + Math.abs(src[i]) * 0x1p-10, "element " + i);
                }
            }
        }
    }

    /**
     * Q4_0: d = m/−8 for the element m of largest magnitude, which is stored exactly (code 0);
     * elements on the other side reach +8 steps but the top code is 7, so the error is at most
     * one step d there, half a step elsewhere (plus d's f16 rounding).
     */
    @Test
    void q4_0ErrorIsAtMostOneStepAndTheExtremeIsExact() {
        float[] src = RandomBlocks.vector(N, 4);
        try (Arena arena = Arena.ofConfined()) {
            float[] out = roundTrip(Q4_0.INSTANCE, src, arena);
            for (int b = 0; b < N / 32; b++) {
                double d = amax(src, b) / 8;
                int extreme = b * 32;
                for (int i = b * 32; i < b * 32 + 32; i++) {
                    assertTrue(Math.abs(out[i] - src[i]) <= d * (1 + 0x1p-9), "element " + i);
                    if (Math.abs(src[i]) > Math.abs(src[extreme])) {
                        extreme = i;
                    }
                }
                assertEquals(src[extreme], out[extreme], Math.abs(src[extreme]) * 0x1p-10);
            }
        }
    }

    /**
     * Q4_1 / Q5_1: q = round((x − min)/d) with d = (max − min)/levels, so half a step before
     * d and min are stored as f16, which moves a value by at most (levels·d + |min|)·2^-11.
     */
    @Test
    void affineFormatsErrorIsHalfAStepPlusScaleRounding() {
        float[] src = RandomBlocks.vector(N, 5);
        try (Arena arena = Arena.ofConfined()) {
            for (Quantizer q : new Quantizer[] {Q4_1.INSTANCE, Q5_1.INSTANCE}) {
                int levels = q == Q4_1.INSTANCE ? 15 : 31;
                float[] out = roundTrip(q, src, arena);
                for (int b = 0; b < N / 32; b++) {
                    double min = Double.MAX_VALUE;
                    double max = -Double.MAX_VALUE;
                    for (int i = b * 32; i < b * 32 + 32; i++) {
                        min = Math.min(min, src[i]);
                        max = Math.max(max, src[i]);
                    }
                    double d = (max - min) / levels;
                    double bound = d / 2 + (levels * d + Math.abs(min)) * 0x1p-11 + 1e-7;
                    for (int i = b * 32; i < b * 32 + 32; i++) {
                        assertTrue(Math.abs(out[i] - src[i]) <= bound, q.type() + " element " + i);
                    }
                }
            }
        }
    }

    /** Q5_0 is Q4_0 with 32 levels: at most one step d = amax/16 (half a step but on the clipped side). */
    @Test
    void q5_0ErrorIsAtMostOneStep() {
        float[] src = RandomBlocks.vector(N, 6);
        try (Arena arena = Arena.ofConfined()) {
            float[] out = roundTrip(Q5_0.INSTANCE, src, arena);
            for (int b = 0; b < N / 32; b++) {
                double d = amax(src, b) / 16;
                for (int i = b * 32; i < b * 32 + 32; i++) {
                    assertTrue(Math.abs(out[i] - src[i]) <= d * (1 + 0x1p-9), "element " + i);
                }
            }
        }
    }

    /** An all-zero block quantizes to d = 0 and decodes to zeros, not NaN. */
    @Test
    void zeroBlocksStayZero() {
        try (Arena arena = Arena.ofConfined()) {
            for (Quantizer q : new Quantizer[] {Q8_0.INSTANCE, Q4_0.INSTANCE, Q4_1.INSTANCE, Q5_0.INSTANCE, Q5_1.INSTANCE,
                Q2_K.INSTANCE, Q3_K.INSTANCE, Q4_K.INSTANCE, Q5_K.INSTANCE, Q6_K.INSTANCE}) {
                float[] out = roundTrip(q, new float[N], arena);
                for (float v : out) {
                    assertEquals(0f, v, 0f); // −0 is fine (Q4_0 stores d = −0)
                }
            }
        }
    }

    @Test
    void floatFormatsRoundToNearest() {
        float[] src = {1f, -3f, 1.0009766f, 0x1.0101p0f};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(8);
            float[] out = new float[4];
            F16.INSTANCE.quantize(src, 0, s, 0, 4);
            F16.INSTANCE.dequantize(s, 0, out, 0, 4);
            assertEquals(1.0009766f, out[2]);
            BF16.INSTANCE.quantize(src, 0, s, 0, 4);
            BF16.INSTANCE.dequantize(s, 0, out, 0, 4);
            assertEquals(-3f, out[1]);
            assertEquals(0x1.02p0f, out[3]); // 1 + 2^-8 + 2^-16 rounds up to 1 + 2^-7
        }
    }

    private static double amax(float[] src, int block) {
        double m = 0;
        for (int i = block * 32; i < block * 32 + 32; i++) {
            m = Math.max(m, Math.abs(src[i]));
        }
        return m;
    }
}
