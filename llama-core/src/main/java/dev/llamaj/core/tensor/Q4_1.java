package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Blocks of 32: f16 scale d, f16 minimum m, then 16 bytes of nibbles as in Q4_0; value = d·q + m. */
public final class Q4_1 extends BlockFormat implements Quantizer {
    public static final Q4_1 INSTANCE = new Q4_1();

    private Q4_1() {
        super(GgmlType.Q4_1);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        float d = f16(data, offset);
        float m = f16(data, offset + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(data, offset + 4 + j);
            out[outOffset + j] = d * (q & 15) + m;
            out[outOffset + j + 16] = d * (q >>> 4) + m;
        }
    }

    /**
     * ggml's reference rounding: m = the block's minimum, d = (max − min) / 15, both stored as
     * f16 but used unrounded to compute q = min(15, trunc((x − m) / d + 0.5)).
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int b = 0; b < n / 32; b++) {
            int base = srcOffset + b * 32;
            long offset = (first / 32 + b) * 20;
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < 32; i++) {
                min = Math.min(min, src[base + i]);
                max = Math.max(max, src[base + i]);
            }
            float d = (max - min) / 15;
            float id = d != 0 ? 1 / d : 0;
            putF16(dst, offset, d);
            putF16(dst, offset + 2, min);
            for (int j = 0; j < 16; j++) {
                int lo = Math.min(15, (int) ((src[base + j] - min) * id + 0.5f));
                int hi = Math.min(15, (int) ((src[base + j + 16] - min) * id + 0.5f));
                dst.set(ValueLayout.JAVA_BYTE, offset + 4 + j, (byte) (lo | hi << 4));
            }
        }
    }
}
