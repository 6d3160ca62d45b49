package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** 32-bit IEEE floats, little endian, no blocks. */
public final class F32 implements TensorFormat {
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
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = data.get(LE, (first + i) * 4);
        }
    }

    @Override
    public float dot(MemorySegment data, long first, float[] x, int xOffset, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += data.get(LE, (first + i) * 4) * x[xOffset + i];
        }
        return sum;
    }
}
