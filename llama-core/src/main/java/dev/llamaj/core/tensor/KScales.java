package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 12-byte packing of eight 6-bit scales and eight 6-bit minimums shared by Q4_K and Q5_K:
 * bytes 0–3 hold scales 0–3 (low 6 bits) and the top 2 bits of scales 4–7; bytes 4–7 the same
 * for minimums; bytes 8–11 the low 4 bits of scales 4–7 (low nibble) and of minimums 4–7
 * (high nibble).
 */
final class KScales {
    private KScales() {
    }

    /** Scale of sub-block {@code s} (0..7) of the scales at {@code offset}. */
    static int scale(MemorySegment data, long offset, int s) {
        if (s < 4) {
            return BlockFormat.u8(data, offset + s) & 63;
        }
        return (BlockFormat.u8(data, offset + s + 4) & 15) | (BlockFormat.u8(data, offset + s - 4) >>> 6) << 4;
    }

    /** Minimum of sub-block {@code s} (0..7) of the scales at {@code offset}. */
    static int min(MemorySegment data, long offset, int s) {
        if (s < 4) {
            return BlockFormat.u8(data, offset + s + 4) & 63;
        }
        return (BlockFormat.u8(data, offset + s + 4) >>> 4) | (BlockFormat.u8(data, offset + s) >>> 6) << 4;
    }

    /** Packs eight 6-bit scales and minimums into the 12 bytes at {@code offset}. */
    static void pack(MemorySegment data, long offset, int[] sc, int[] m) {
        for (int s = 0; s < 4; s++) {
            data.set(ValueLayout.JAVA_BYTE, offset + s, (byte) ((sc[s] & 63) | (sc[s + 4] >>> 4) << 6));
            data.set(ValueLayout.JAVA_BYTE, offset + 4 + s, (byte) ((m[s] & 63) | (m[s + 4] >>> 4) << 6));
            data.set(ValueLayout.JAVA_BYTE, offset + 8 + s, (byte) ((sc[s + 4] & 15) | (m[s + 4] & 15) << 4));
        }
    }
}
