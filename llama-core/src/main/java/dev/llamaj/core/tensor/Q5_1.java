package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Blocks of 32: f16 scale d, f16 minimum m, a little-endian u32 of fifth bits (bit j for
 * element j), then 16 bytes of low nibbles as in Q4_0; value = d·q + m.
 */
public final class Q5_1 extends BlockFormat {
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
}
