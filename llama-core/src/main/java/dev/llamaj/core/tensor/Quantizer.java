package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A {@link TensorFormat} that can also store floats: used to build test models and, later, to
 * convert and quantize files. The 32-element block formats follow ggml's reference rounding;
 * the k-quants use the shared synth tool's simple fit (llama.cpp searches harder for slightly
 * smaller errors, but any valid block decodes the same way).
 */
public interface Quantizer extends TensorFormat {
    /**
     * Stores {@code src[srcOffset .. srcOffset+n)} as elements {@code first .. first+n-1} of
     * {@code dst}; {@code first} and {@code n} must be multiples of the block size.
     */
    void quantize(float[] src, int srcOffset, MemorySegment dst, long first, int n);
}
