package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Super-blocks of 256 in 176 bytes: f16 d, f16 dmin, 12 bytes of scales and minimums
 * ({@link KScales}), 32 bytes qh of fifth bits, 128 bytes of low nibbles laid out as Q4_K.
 * Element e = 64j + 32h + l takes its fifth bit from bit 2j + h of {@code qh[l]};
 * value = d·sc_s·q − dmin·m_s with s = 2j + h.
 */
public final class Q5_K extends BlockFormat implements Quantizer {
    public static final Q5_K INSTANCE = new Q5_K();

    private Q5_K() {
        super(GgmlType.Q5_K);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        float d = f16(data, offset);
        float dmin = f16(data, offset + 2);
        long qh = offset + 16;
        long qs = offset + 48;
        for (int j = 0; j < 4; j++) {
            for (int h = 0; h < 2; h++) {
                int s = 2 * j + h;
                float scale = d * KScales.scale(data, offset + 4, s);
                float min = dmin * KScales.min(data, offset + 4, s);
                for (int l = 0; l < 32; l++) {
                    int low = (u8(data, qs + 32 * j + l) >>> (4 * h)) & 15;
                    int high = (u8(data, qh + l) >>> s) & 1;
                    out[outOffset + 64 * j + 32 * h + l] = scale * (low | high << 4) - min;
                }
            }
        }
    }

    /** Fits each sub-block of 32 as d·sc·q − dmin·m (codes 0..31, 6-bit sc and m) the way the shared synth tool does. */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int b = 0; b < n / 256; b++) {
            long o = (first / 256 + b) * type().blockBytes();
            dst.asSlice(o, type().blockBytes()).fill((byte) 0);
            KFit.Affine f = KFit.affine(src, srcOffset + b * 256, 8, 31, 63);
            putF16(dst, o, f.d());
            putF16(dst, o + 2, f.dmin());
            KScales.pack(dst, o + 4, f.sc(), f.m());
            for (int e = 0; e < 256; e++) {
                int s = e / 32;
                int q = f.q()[e];
                long low = o + 48 + 32 * (e / 64) + e % 32;
                long high = o + 16 + e % 32;
                dst.set(ValueLayout.JAVA_BYTE, low, (byte) (u8(dst, low) | (q & 15) << (4 * (s % 2))));
                dst.set(ValueLayout.JAVA_BYTE, high, (byte) (u8(dst, high) | (q >>> 4) << s));
            }
        }
    }
}
