package dev.llamaj.core.kernels.scalar;

import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.core.tensor.TensorFormat;

/** A weight tensor read in place from its segment (usually the mapped file) through its format. */
record MappedWeights(Tensor tensor, TensorFormat format) implements Weights {
    static MappedWeights of(Tensor tensor) {
        TensorFormat format = TensorFormat.of(tensor.type());
        long rowLength = tensor.shape()[0];
        if (rowLength < 1 || rowLength % tensor.type().blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + tensor.name() + ": rows of " + rowLength + " elements do not fit "
                    + tensor.type() + " blocks of " + tensor.type().blockSize());
        }
        long bytes = tensor.type().bytesFor(tensor.elementCount());
        if (bytes < 0 || tensor.data().byteSize() < bytes) {
            throw new IllegalArgumentException("tensor " + tensor.name() + " (" + tensor.type() + " " + tensor.elementCount()
                    + " elements) needs " + bytes + " bytes, its data has " + tensor.data().byteSize());
        }
        return new MappedWeights(tensor, format);
    }

    /** Element offset of row {@code row}. */
    long first(int row) {
        return (long) row * cols();
    }
}
