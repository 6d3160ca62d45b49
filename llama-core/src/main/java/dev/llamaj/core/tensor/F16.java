package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;

/** IEEE half-precision floats, little endian, no blocks. */
public final class F16 extends BlockFormat implements Quantizer {
    public static final F16 INSTANCE = new F16();

    private F16() {
        super(GgmlType.F16);
    }

    @Override
    void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset) {
        out[outOffset] = f16(data, offset);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        checkRange(type(), first, n);
        for (int i = 0; i < n; i++) {
            putF16(dst, (first + i) * 2, src[srcOffset + i]);
        }
    }
}
