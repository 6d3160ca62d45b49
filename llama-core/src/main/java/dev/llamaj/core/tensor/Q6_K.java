package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Super-blocks of 256 in 210 bytes: 128 bytes ql of low nibbles, 64 bytes qh of 2-bit highs,
 * 16 signed 8-bit scales, f16 d. Element e = 128n + 32k + l has its low 4 bits in
 * {@code ql[64n + l + 32(k&1)]} (low nibble for k &lt; 2, high for k ≥ 2) and its high 2 bits
 * in bits 2k..2k+1 of {@code qh[32n + l]}; value = d·scale[e/16]·(q − 32).
 */
public final class Q6_K extends BlockFormat implements Quantizer {
    public static final Q6_K INSTANCE = new Q6_K();

    private Q6_K() {
        super(GgmlType.Q6_K);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        long ql = offset;
        long qh = offset + 128;
        long scales = offset + 192;
        float d = f16(data, offset + 208);
        for (int n = 0; n < 2; n++) {
            for (int k = 0; k < 4; k++) {
                for (int l = 0; l < 32; l++) {
                    int e = 128 * n + 32 * k + l;
                    int low = (u8(data, ql + 64 * n + l + 32 * (k & 1)) >>> (k < 2 ? 0 : 4)) & 15;
                    int high = (u8(data, qh + 32 * n + l) >>> (2 * k)) & 3;
                    int q = (low | high << 4) - 32;
                    out[outOffset + e] = d * i8(data, scales + e / 16) * q;
                }
            }
        }
    }

    /** Fits each sub-block of 16 with a signed 8-bit scale putting its largest-magnitude element on code −32, the way the shared synth tool does. */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int b = 0; b < n / 256; b++) {
            long o = (first / 256 + b) * type().blockBytes();
            dst.asSlice(o, type().blockBytes()).fill((byte) 0);
            KFit.Symmetric f = KFit.symmetric(src, srcOffset + b * 256, 32, 127, -127);
            for (int e = 0; e < 256; e++) {
                int n128 = e / 128;
                int k = (e / 32) % 4;
                int l = e % 32;
                int q = f.q()[e] + 32;
                long low = o + 64 * n128 + l + 32 * (k & 1);
                long high = o + 128 + 32 * n128 + l;
                dst.set(ValueLayout.JAVA_BYTE, low, (byte) (u8(dst, low) | (q & 15) << (k < 2 ? 0 : 4)));
                dst.set(ValueLayout.JAVA_BYTE, high, (byte) (u8(dst, high) | (q >>> 4) << (2 * k)));
            }
            for (int s = 0; s < 16; s++) {
                dst.set(ValueLayout.JAVA_BYTE, o + 192 + s, (byte) f.sc()[s]);
            }
            putF16(dst, o + 208, f.d());
        }
    }
}
