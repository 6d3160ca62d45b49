package dev.llamaj.core.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named tensor stored in one of ggml's formats. {@code shape} is in GGUF order, innermost
 * first: a weight matrix of {@code rows} rows of {@code shape[0]} elements has shape
 * {@code [rowLength, rows]}. {@code data} is usually a view of the memory-mapped file.
 */
public record Tensor(String name, GgmlType type, long[] shape, MemorySegment data) {
    public Tensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Elements in all. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Elements per row (the innermost dimension). */
    public int rowLength() {
        return Math.toIntExact(shape[0]);
    }

    /** Rows: the product of every dimension but the innermost. */
    public int rows() {
        return Math.toIntExact(elementCount() / shape[0]);
    }

    /** Bytes one row takes. */
    public long rowBytes() {
        return type.bytesFor(shape[0]);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && t.name.equals(name) && t.type == type && Arrays.equals(t.shape, shape)
                && t.data.equals(data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }
}
