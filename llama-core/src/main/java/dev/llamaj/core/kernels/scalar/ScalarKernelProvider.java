package dev.llamaj.core.kernels.scalar;

import dev.llamaj.core.kernels.Availability;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.Kernels;

/** Placeholder until the scalar provider lands. */
public final class ScalarKernelProvider implements KernelProvider {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public Availability availability() {
        return Availability.no("not implemented yet");
    }

    @Override
    public Kernels open(KernelOptions options) {
        throw new UnsupportedOperationException("scalar kernels are not implemented yet");
    }
}
