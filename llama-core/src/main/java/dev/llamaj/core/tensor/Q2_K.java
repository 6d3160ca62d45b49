package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Super-blocks of 256 in 84 bytes: 16 bytes of scales (low 4 bits scale, high 4 bits minimum,
 * one per 16 elements), 64 bytes of 2-bit codes, f16 d, f16 dmin. Element e = 128n + 32j +
 * 16s + l is bits 2j..2j+1 of {@code qs[32n + 16s + l]}; value = d·sc·q − dmin·m for the scale
 * byte e/16.
 */
public final class Q2_K extends BlockFormat implements Quantizer {
    public static final Q2_K INSTANCE = new Q2_K();

    private Q2_K() {
        super(GgmlType.Q2_K);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        long qs = offset + 16;
        float d = f16(data, offset + 80);
        float dmin = f16(data, offset + 82);
        for (int e = 0; e < 256; e++) {
            int n = e / 128;
            int j = (e / 32) % 4;
            int sl = e % 32;
            int q = (u8(data, qs + 32 * n + sl) >>> (2 * j)) & 3;
            int packed = u8(data, offset + e / 16);
            out[outOffset + e] = d * (packed & 15) * q - dmin * (packed >>> 4);
        }
    }

    /** Fits each sub-block of 16 as d·sc·q − dmin·m (codes 0..3, 4-bit sc and m) the way the shared synth tool does. */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int b = 0; b < n / 256; b++) {
            long o = (first / 256 + b) * type().blockBytes();
            dst.asSlice(o, type().blockBytes()).fill((byte) 0);
            KFit.Affine f = KFit.affine(src, srcOffset + b * 256, 16, 3, 15);
            for (int s = 0; s < 16; s++) {
                dst.set(ValueLayout.JAVA_BYTE, o + s, (byte) (f.sc()[s] | f.m()[s] << 4));
            }
            for (int e = 0; e < 256; e++) {
                long at = o + 16 + 32 * (e / 128) + e % 32;
                dst.set(ValueLayout.JAVA_BYTE, at, (byte) (u8(dst, at) | f.q()[e] << (2 * ((e / 32) % 4))));
            }
            putF16(dst, o + 80, f.d());
            putF16(dst, o + 82, f.dmin());
        }
    }
}
