package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Writes a Q5_0 / Q5_1 block: f16 d, f16 m (Q5_1 only), u32 of fifth bits, 16 bytes of low nibbles. */
final class FiveBits {
    private FiveBits() {
    }

    /** {@code q} holds 32 codes in 0..31; {@code min} is null for Q5_0. */
    static void store(MemorySegment dst, long offset, float d, Float min, int[] q) {
        BlockFormat.putF16(dst, offset, d);
        long at = offset + 2;
        if (min != null) {
            BlockFormat.putF16(dst, at, min);
            at += 2;
        }
        int qh = 0;
        for (int i = 0; i < 32; i++) {
            qh |= ((q[i] >>> 4) & 1) << i;
        }
        dst.set(BlockFormat.INT_LE, at, qh);
        for (int j = 0; j < 16; j++) {
            dst.set(ValueLayout.JAVA_BYTE, at + 4 + j, (byte) ((q[j] & 15) | (q[j + 16] & 15) << 4));
        }
    }
}
