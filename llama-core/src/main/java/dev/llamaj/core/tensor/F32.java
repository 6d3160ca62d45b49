package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** 32-bit IEEE floats, little endian, no blocks. */
public final class F32 implements Quantizer {
    public static final F32 INSTANCE = new F32();
    private static final ValueLayout.OfFloat LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private F32() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public void dequantize(MemorySegment data, long first, float[] out, int outOffset, int n) {
        BlockFormat.checkRange(GgmlType.F32, first, n);
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = data.get(LE, (first + i) * 4);
        }
    }

    @Override
    public float dot(MemorySegment data, long first, float[] x, int xOffset, int n) {
        BlockFormat.checkRange(GgmlType.F32, first, n);
        // double accumulation: this is the exact-math reference the fast kernels are held to
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) data.get(LE, (first + i) * 4) * x[xOffset + i];
        }
        return (float) sum;
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n) {
        BlockFormat.checkRange(GgmlType.F32, first, n);
        for (int i = 0; i < n; i++) {
            dst.set(LE, (first + i) * 4, src[srcOffset + i]);
        }
    }
}
