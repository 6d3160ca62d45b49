package dev.llamaj.kernels.cuda;

import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.Tensor;

/** A weight tensor copied to device memory in its own format (blocks as in the file). */
final class CudaWeights implements Weights {
    private final CudaKernels kernels;
    private final Tensor tensor;
    private final long address;
    private boolean closed;

    CudaWeights(CudaKernels kernels, Tensor tensor, long address) {
        this.kernels = kernels;
        this.tensor = tensor;
        this.address = address;
    }

    @Override
    public Tensor tensor() {
        return tensor;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            kernels.release(address);
        }
    }

    CudaKernels kernels() {
        return kernels;
    }

    long address() {
        return address;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("weights " + tensor + " are closed");
        }
    }

    @Override
    public String toString() {
        return "cuda weights " + tensor;
    }
}
