package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Blocks of 32: f16 scale d, a little-endian u32 whose bit j is the fifth bit of element j,
 * then 16 bytes of low nibbles as in Q4_0; value = d·(q − 16).
 */
public final class Q5_0 extends BlockFormat implements Quantizer {
    public static final Q5_0 INSTANCE = new Q5_0();

    private Q5_0() {
        super(GgmlType.Q5_0);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        float d = f16(data, offset);
        int qh = data.get(INT_LE, offset + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(data, offset + 6 + j);
            int lo = (q & 15) | ((qh >>> j) & 1) << 4;
            int hi = (q >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
            out[outOffset + j] = d * (lo - 16);
            out[outOffset + j + 16] = d * (hi - 16);
        }
    }

    /**
     * ggml's reference rounding: the element of largest magnitude m (sign kept) sets d = m / −16
     * (code 0); q = min(31, trunc(x / d + 16.5)), low 4 bits in the nibbles, bit 4 in qh.
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int b = 0; b < n / 32; b++) {
            int base = srcOffset + b * 32;
            float max = 0;
            for (int i = 0; i < 32; i++) {
                if (Math.abs(src[base + i]) > Math.abs(max)) {
                    max = src[base + i];
                }
            }
            float d = max / -16;
            float id = d != 0 ? 1 / d : 0;
            int[] q = new int[32];
            for (int i = 0; i < 32; i++) {
                q[i] = Math.max(0, Math.min(31, (int) (src[base + i] * id + 16.5f)));
            }
            FiveBits.store(dst, (first / 32 + b) * 22, d, null, q);
        }
    }
}
