package dev.llamaj.kernels.cuda;

import dev.llamaj.core.kernels.Activations;

/** A float matrix in device memory, rows contiguous. Reads flush the recorded ops first. */
final class CudaActivations implements Activations {
    private final CudaKernels kernels;
    private final int rows;
    private final int cols;
    private final long address;
    private boolean closed;

    CudaActivations(CudaKernels kernels, int rows, int cols, long address) {
        this.kernels = kernels;
        this.rows = rows;
        this.cols = cols;
        this.address = address;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void write(int row, float[] src) {
        checkOpen();
        kernels.write(this, row, src);
    }

    @Override
    public void read(int row, float[] dst) {
        checkOpen();
        kernels.read(this, row, dst);
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

    long rowAddress(int row) {
        return address + (long) row * cols * Float.BYTES;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("activations " + this + " are closed");
        }
    }

    @Override
    public String toString() {
        return "cuda activations " + rows + " × " + cols;
    }
}
