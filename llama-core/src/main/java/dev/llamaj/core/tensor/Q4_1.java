package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;

/** Blocks of 32: f16 scale d, f16 minimum m, then 16 bytes of nibbles as in Q4_0; value = d·q + m. */
public final class Q4_1 extends BlockFormat {
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
}
