package dev.llamaj.core.kernels.vector;

import dev.llamaj.core.kernels.Availability;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.Kernels;

/** Placeholder until the vector provider lands. */
public final class VectorKernelProvider implements KernelProvider {
    @Override
    public String name() {
        return "vector";
    }

    @Override
    public int rank() {
        return 100;
    }

    @Override
    public Availability availability() {
        return Availability.no("not implemented yet");
    }

    @Override
    public Kernels open(KernelOptions options) {
        throw new UnsupportedOperationException("vector kernels are not implemented yet");
    }
}
