package dev.llamaj.kernels.cuda;

import dev.llamaj.core.kernels.Availability;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.Kernels;

/** Placeholder until the cuda provider lands. */
public final class CudaKernelProvider implements KernelProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int rank() {
        return 200;
    }

    @Override
    public Availability availability() {
        return Availability.no("not implemented yet");
    }

    @Override
    public Kernels open(KernelOptions options) {
        throw new UnsupportedOperationException("cuda kernels are not implemented yet");
    }
}
