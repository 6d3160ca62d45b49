package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;

/** bfloat16: the upper 16 bits of an IEEE float, little endian, no blocks. */
public final class BF16 extends BlockFormat implements Quantizer {
    public static final BF16 INSTANCE = new BF16();

    private BF16() {
        super(GgmlType.BF16);
    }

    /** The float whose upper half is {@code bits}. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** {@code value} rounded to bfloat16, to nearest with ties to even (NaN stays NaN). */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        out[outOffset] = toFloat(data.get(SHORT_LE, offset));
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int i = 0; i < n; i++) {
            dst.set(SHORT_LE, (first + i) * 2, fromFloat(src[srcOffset + i]));
        }
    }
}
