package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Blocks of 32: f16 scale d, then 16 bytes; element j (j &lt; 16) is the low nibble of byte j,
 * element j+16 its high nibble; value = d·(q − 8).
 */
public final class Q4_0 extends BlockFormat implements Quantizer {
    public static final Q4_0 INSTANCE = new Q4_0();

    private Q4_0() {
        super(GgmlType.Q4_0);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        float d = f16(data, offset);
        for (int j = 0; j < 16; j++) {
            int q = u8(data, offset + 2 + j);
            out[outOffset + j] = d * ((q & 15) - 8);
            out[outOffset + j + 16] = d * ((q >>> 4) - 8);
        }
    }

    /**
     * ggml's reference rounding: the element of largest magnitude m (sign kept) sets d = m / −8,
     * so it lands exactly on code 0; q = min(15, floor(x / d + 8.5)).
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int b = 0; b < n / 32; b++) {
            int base = srcOffset + b * 32;
            long offset = (first / 32 + b) * 18;
            float max = 0;
            for (int i = 0; i < 32; i++) {
                if (Math.abs(src[base + i]) > Math.abs(max)) {
                    max = src[base + i];
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1 / d : 0;
            putF16(dst, offset, d);
            for (int j = 0; j < 16; j++) {
                int lo = code(src[base + j] * id);
                int hi = code(src[base + j + 16] * id);
                dst.set(ValueLayout.JAVA_BYTE, offset + 2 + j, (byte) (lo | hi << 4));
            }
        }
    }

    private static int code(float scaled) {
        return Math.max(0, Math.min(15, (int) (scaled + 8.5f)));
    }
}
