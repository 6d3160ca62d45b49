package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Blocks of 32: f16 scale d, a little-endian u32 whose bit j is the fifth bit of element j,
 * then 16 bytes of low nibbles as in Q4_0; value = d·(q − 16).
 */
public final class Q5_0 extends BlockFormat {
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
}
