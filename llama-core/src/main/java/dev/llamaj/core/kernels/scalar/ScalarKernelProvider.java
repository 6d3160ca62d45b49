package dev.llamaj.core.kernels.scalar;

import dev.llamaj.core.kernels.Availability;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.Kernels;

/**
 * Plain Java kernels, one thread, F32 activations and double sums: the exact-math reference
 * every other provider is tested against, and the fallback that runs anywhere.
 */
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
        return Availability.yes("plain Java, runs on any JVM (single-threaded reference; slow)");
    }

    /** Opens scalar kernels; {@code options.threads()} is ignored: the reference runs on the caller's thread. */
    @Override
    public Kernels open(KernelOptions options) {
        return new ScalarKernels();
    }
}
