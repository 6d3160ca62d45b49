package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Super-blocks of 256 in 144 bytes: f16 d, f16 dmin, 12 bytes of 6-bit scales and minimums
 * ({@link KScales}), 128 bytes of nibbles. Element e = 64j + 32h + l is nibble h (0 low, 1 high)
 * of byte 32j + l and belongs to sub-block s = 2j + h; value = d·sc_s·q − dmin·m_s.
 */
public final class Q4_K extends BlockFormat implements Quantizer {
    public static final Q4_K INSTANCE = new Q4_K();

    private Q4_K() {
        super(GgmlType.Q4_K);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        float d = f16(data, offset);
        float dmin = f16(data, offset + 2);
        long qs = offset + 16;
        for (int j = 0; j < 4; j++) {
            for (int h = 0; h < 2; h++) {
                int s = 2 * j + h;
                float scale = d * KScales.scale(data, offset + 4, s);
                float min = dmin * KScales.min(data, offset + 4, s);
                for (int l = 0; l < 32; l++) {
                    int q = (u8(data, qs + 32 * j + l) >>> (4 * h)) & 15;
                    out[outOffset + 64 * j + 32 * h + l] = scale * q - min;
                }
            }
        }
    }

    /** Fits each sub-block of 32 as d·sc·q − dmin·m (codes 0..15, 6-bit sc and m) the way the shared synth tool does. */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int b = 0; b < n / 256; b++) {
            long o = (first / 256 + b) * type().blockBytes();
            dst.asSlice(o, type().blockBytes()).fill((byte) 0);
            KFit.Affine f = KFit.affine(src, srcOffset + b * 256, 8, 15, 63);
            putF16(dst, o, f.d());
            putF16(dst, o + 2, f.dmin());
            KScales.pack(dst, o + 4, f.sc(), f.m());
            for (int e = 0; e < 256; e++) {
                int j = e / 64;
                int h = (e / 32) % 2;
                long at = o + 16 + 32 * j + e % 32;
                dst.set(ValueLayout.JAVA_BYTE, at, (byte) (u8(dst, at) | f.q()[e] << (4 * h)));
            }
        }
    }
}
