package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The common shape of ggml's block formats: {@link GgmlType#blockSize()} elements stored in
 * {@link GgmlType#blockBytes()} bytes. A subclass only says how one block decodes; dequantizing
 * and the dot product walk the blocks in place, one block's worth of floats at a time, so a
 * matrix is never expanded. The dot product accumulates in double: this is the exact-math
 * reference, not the fast path.
 */
abstract class BlockFormat implements TensorFormat {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final GgmlType type;

    BlockFormat(GgmlType type) {
        this.type = type;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    /** Decodes the block that starts at byte {@code offset} into {@code out[outOffset .. outOffset+blockSize)}. */
    abstract void decodeBlock(MemorySegment data, long offset, float[] out, int outOffset);

    @Override
    public final void dequantize(MemorySegment data, long first, float[] out, int outOffset, int n) {
        checkRange(type, first, n);
        int bs = type.blockSize();
        long block = first / bs;
        for (int b = 0; b < n / bs; b++) {
            decodeBlock(data, (block + b) * type.blockBytes(), out, outOffset + b * bs);
        }
    }

    @Override
    public final float dot(MemorySegment data, long first, float[] x, int xOffset, int n) {
        checkRange(type, first, n);
        int bs = type.blockSize();
        long block = first / bs;
        float[] values = new float[bs];
        double sum = 0;
        for (int b = 0; b < n / bs; b++) {
            decodeBlock(data, (block + b) * type.blockBytes(), values, 0);
            int base = xOffset + b * bs;
            for (int i = 0; i < bs; i++) {
                sum += (double) values[i] * x[base + i];
            }
        }
        return (float) sum;
    }

    /** Rejects element ranges that do not start and end on block boundaries. */
    static void checkRange(GgmlType type, long first, int n) {
        int bs = type.blockSize();
        if (first < 0 || n < 0 || first % bs != 0 || n % bs != 0) {
            throw new IllegalArgumentException(type + " stores blocks of " + bs + " elements: first (" + first
                    + ") and n (" + n + ") must be non-negative multiples of " + bs);
        }
    }

    /** The unsigned byte at {@code offset}. */
    static int u8(MemorySegment data, long offset) {
        return data.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** The signed byte at {@code offset}. */
    static int i8(MemorySegment data, long offset) {
        return data.get(ValueLayout.JAVA_BYTE, offset);
    }

    /** The IEEE half-precision float at {@code offset}, little endian. */
    static float f16(MemorySegment data, long offset) {
        return Float.float16ToFloat(data.get(SHORT_LE, offset));
    }

    /** Writes {@code value} rounded to half precision (nearest, ties to even) at {@code offset}. */
    static void putF16(MemorySegment data, long offset, float value) {
        data.set(SHORT_LE, offset, Float.floatToFloat16(value));
    }
}
