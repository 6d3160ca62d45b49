package dev.llamaj.core.kernels.vector;

import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.Tensor;

/** A weight tensor read in place from its memory segment (usually the mapped file): nothing is copied. */
record VectorWeights(Tensor tensor) implements Weights {
    static VectorWeights of(Weights w) {
        if (w instanceof VectorWeights v) {
            return v;
        }
        throw new IllegalArgumentException("weights " + w.tensor().name() + " do not belong to the vector kernels");
    }
}
