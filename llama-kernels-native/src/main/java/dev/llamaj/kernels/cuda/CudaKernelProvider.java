package dev.llamaj.kernels.cuda;

import dev.llamaj.core.KernelUnavailableException;
import dev.llamaj.core.kernels.Availability;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.Kernels;

/**
 * Kernels on an NVIDIA GPU: weights uploaded once in their own format, activations and the KV
 * cache on the device, every operation recorded and sent to the device in one call per flush.
 * Needs only the NVIDIA driver at run time (the CUDA runtime is linked into the library inside
 * this jar). Ranked above {@code vector}, so it is the default wherever it is available.
 */
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
        return CudaProbe.availability();
    }

    @Override
    public Kernels open(KernelOptions options) {
        Availability availability = availability();
        if (!availability.available()) {
            throw new KernelUnavailableException("kernels 'cuda' are not available: " + availability.reason());
        }
        return new CudaKernels(new CudaContext(0));
    }
}
