package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Blocks of 32: f16 scale d, f16 minimum m, a little-endian u32 of fifth bits (bit j for
 * element j), then 16 bytes of low nibbles as in Q4_0; value = d·q + m.
 */
public final class Q5_1 extends BlockFormat implements Quantizer {
    public static final Q5_1 INSTANCE = new Q5_1();

    private Q5_1() {
        super(GgmlType.Q5_1);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        float d = f16(data, offset);
        float m = f16(data, offset + 2);
        int qh = data.get(INT_LE, offset + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(data, offset + 8 + j);
            int lo = (q & 15) | ((qh >>> j) & 1) << 4;
            int hi = (q >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
            out[outOffset + j] = d * lo + m;
            out[outOffset + j + 16] = d * hi + m;
        }
    }

    /**
     * ggml's reference rounding: m = the block's minimum, d = (max − min) / 31, stored as f16
     * but used unrounded for q = trunc((x − m) / d + 0.5), clamped to 0..31.
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int b = 0; b < n / 32; b++) {
            int base = srcOffset + b * 32;
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < 32; i++) {
                min = Math.min(min, src[base + i]);
                max = Math.max(max, src[base + i]);
            }
            float d = (max - min) / 31;
            float id = d != 0 ? 1 / d : 0;
            int[] q = new int[32];
            for (int i = 0; i < 32; i++) {
                q[i] = Math.max(0, Math.min(31, (int) ((src[base + i] - min) * id + 0.5f)));
            }
            FiveBits.store(dst, (first / 32 + b) * 24, d, min, q);
        }
    }
}
