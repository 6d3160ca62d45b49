package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Super-blocks of 256 in 110 bytes: 32 bytes hmask, 64 bytes of 2-bit codes, 12 bytes of
 * sixteen 6-bit scales stored +32, f16 d. Element e = 128n + 32j + 16s + l has its low 2 bits
 * in bits 2j of {@code qs[32n + 16s + l]}; bit 4n + j of {@code hmask[16s + l]} set means
 * q = low, clear means q = low − 4; value = d·(sc − 32)·q for scale e/16. Scale t keeps its
 * low 4 bits in byte t (t &lt; 8, low nibble) or byte t − 8 (high nibble) and its top 2 bits in
 * byte 8 + t%4 at bit 2·(t/4).
 */
public final class Q3_K extends BlockFormat implements Quantizer {
    public static final Q3_K INSTANCE = new Q3_K();

    private Q3_K() {
        super(GgmlType.Q3_K);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        long hmask = offset;
        long qs = offset + 32;
        long scales = offset + 96;
        float d = f16(data, offset + 108);
        for (int e = 0; e < 256; e++) {
            int n = e / 128;
            int j = (e / 32) % 4;
            int sl = e % 32;
            int low = (u8(data, qs + 32 * n + sl) >>> (2 * j)) & 3;
            int high = (u8(data, hmask + sl) >>> (4 * n + j)) & 1;
            int q = high != 0 ? low : low - 4;
            out[outOffset + e] = d * (scale(data, scales, e / 16) - 32) * q;
        }
    }

    private static int scale(MemorySegment data, long scales, int t) {
        int low = t < 8 ? u8(data, scales + t) & 15 : u8(data, scales + t - 8) >>> 4;
        int top = (u8(data, scales + 8 + t % 4) >>> (2 * (t / 4))) & 3;
        return low | top << 4;
    }

    /** Fits each sub-block of 16 with a signed 6-bit scale putting its largest-magnitude element on code −4, the way the shared synth tool does. */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int b = 0; b < n / 256; b++) {
            long o = (first / 256 + b) * type().blockBytes();
            dst.asSlice(o, type().blockBytes()).fill((byte) 0);
            KFit.Symmetric f = KFit.symmetric(src, srcOffset + b * 256, 4, 31, -32);
            for (int e = 0; e < 256; e++) {
                int n128 = e / 128;
                int j = (e / 32) % 4;
                int sl = e % 32;
                int q = f.q()[e] + 4;
                long low = o + 32 + 32 * n128 + sl;
                dst.set(ValueLayout.JAVA_BYTE, low, (byte) (u8(dst, low) | (q & 3) << (2 * j)));
                dst.set(ValueLayout.JAVA_BYTE, o + sl, (byte) (u8(dst, o + sl) | (q >>> 2) << (4 * n128 + j)));
            }
            for (int t = 0; t < 16; t++) {
                int u = f.sc()[t] + 32;
                long low = o + 96 + t % 8;
                dst.set(ValueLayout.JAVA_BYTE, low, (byte) (u8(dst, low) | (u & 15) << (t < 8 ? 0 : 4)));
                long top = o + 96 + 8 + t % 4;
                dst.set(ValueLayout.JAVA_BYTE, top, (byte) (u8(dst, top) | ((u >>> 4) & 3) << (2 * (t / 4))));
            }
            putF16(dst, o + 108, f.d());
        }
    }
}
