package dev.llamaj.core.kernels;

import dev.llamaj.core.tensor.Tensor;

/**
 * A weight tensor as the provider holds it: a view of the mapped file on the CPU, a copy in
 * device memory on a GPU. A matrix has {@link #rows()} rows of {@link #cols()} elements; a
 * vector (a norm weight) has one row.
 */
public interface Weights extends AutoCloseable {
    /** The tensor this was made from. */
    Tensor tensor();

    default int rows() {
        return tensor().rows();
    }

    default int cols() {
        return tensor().rowLength();
    }

    /** Frees device copies; views of the mapping need nothing. */
    @Override
    default void close() {
    }
}
