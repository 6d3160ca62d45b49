package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;

/**
 * How one {@link GgmlType} stores its values: the block layout, a dequantizer and a scalar dot
 * product that reads blocks in place. These are the plain-Java reference every kernel provider
 * is tested against; they favour clarity over speed.
 *
 * <p>Element positions are counted from the start of {@code data}; {@code first} and {@code n}
 * must be multiples of the type's block size (rows of a weight matrix always are).
 */
public interface TensorFormat {
    /** The type this format reads. */
    GgmlType type();

    /** Writes elements {@code first .. first+n-1} of {@code data} as floats to {@code out[outOffset..]}. */
    void dequantize(MemorySegment data, long first, float[] out, int outOffset, int n);

    /** Sum over i &lt; n of element {@code first+i} times {@code x[xOffset+i]}. */
    float dot(MemorySegment data, long first, float[] x, int xOffset, int n);

    /** The format of {@code type}; throws {@link UnsupportedOperationException} for types we cannot compute with. */
    static TensorFormat of(GgmlType type) {
        return TensorFormats.of(type);
    }
}
