package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Blocks of 32: f16 scale d, then 32 signed bytes q; value = d·q. */
public final class Q8_0 extends BlockFormat implements Quantizer {
    public static final Q8_0 INSTANCE = new Q8_0();

    private Q8_0() {
        super(GgmlType.Q8_0);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        float d = f16(data, offset);
        for (int i = 0; i < 32; i++) {
            out[outOffset + i] = d * i8(data, offset + 2 + i);
        }
    }

    /**
     * ggml's reference rounding: d = max|x| / 127, q = round(x / d) half away from zero, using
     * the unrounded d for the division and storing d as f16.
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int b = 0; b < n / 32; b++) {
            int base = srcOffset + b * 32;
            long offset = (first / 32 + b) * 34;
            float amax = 0;
            for (int i = 0; i < 32; i++) {
                amax = Math.max(amax, Math.abs(src[base + i]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            putF16(dst, offset, d);
            for (int i = 0; i < 32; i++) {
                dst.set(ValueLayout.JAVA_BYTE, offset + 2 + i, (byte) roundHalfAway(src[base + i] * id));
            }
        }
    }

    /** C's roundf: halves go away from zero (Math.round sends −2.5 to −2). */
    private static int roundHalfAway(float v) {
        int magnitude = Math.round(Math.abs(v));
        return v < 0 ? -magnitude : magnitude;
    }
}
