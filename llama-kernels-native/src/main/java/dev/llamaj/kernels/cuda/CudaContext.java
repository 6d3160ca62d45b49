package dev.llamaj.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One device context (a device and a stream) of the native library, and the calls on it that
 * are not operations: memory, uploads and running a command buffer. Turns every failure into a
 * {@link CudaException} naming the call and CUDA's reason.
 */
final class CudaContext implements Device {
    /** Kept free beyond what is asked, for the CUDA runtime's own allocations and kernels. */
    static final long RESERVE = 256L << 20;
    private static final float[] NO_FLOATS = new float[0];

    private final long handle;
    private boolean closed;

    CudaContext(int device) {
        long h = CudaNative.llamaj_cuda_create(device);
        if (h == 0) {
            throw new CudaException("creating a CUDA context on device " + device + ": " + CudaNative.lastError());
        }
        this.handle = h;
    }

    /** {free, total} bytes of device memory. */
    long[] memoryInfo() {
        long[] mem = new long[2];
        check(CudaNative.llamaj_cuda_mem_info(handle, mem), "cudaMemGetInfo");
        return mem;
    }

    @Override
    public long allocate(long bytes, String what) {
        long[] mem = memoryInfo();
        if (bytes + RESERVE > mem[0]) {
            throw new DeviceMemoryException(what, bytes, mem[0], mem[1]);
        }
        long address = CudaNative.llamaj_cuda_alloc(handle, Math.max(bytes, 4));
        if (address == 0) {
            throw new CudaException("allocating " + bytes + " bytes for " + what + ": " + CudaNative.lastError());
        }
        return address;
    }

    @Override
    public void free(long address) {
        if (!closed) {
            check(CudaNative.llamaj_cuda_free(handle, address), "cudaFree");
        }
    }

    /** Heap segments go through native memory. */
    @Override
    public void upload(long dst, MemorySegment src, long bytes, String what) {
        if (src.byteSize() < bytes) {
            throw new IllegalArgumentException(what + ": data holds " + src.byteSize() + " bytes, its shape needs " + bytes);
        }
        if (src.isNative()) {
            check(CudaNative.llamaj_cuda_upload(handle, dst, src.address(), bytes), "uploading " + what);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copy = arena.allocate(bytes, 16);
            copy.copyFrom(src.asSlice(0, bytes));
            check(CudaNative.llamaj_cuda_upload(handle, dst, copy.address(), bytes), "uploading " + what);
        }
    }

    /** The buffer is left as it was. */
    @Override
    public void run(CommandBuffer buffer, long readSrc, float[] readDst, int readCount) {
        int rc = CudaNative.llamaj_cuda_run(handle, buffer.ints(), buffer.intCount(), buffer.longs(), buffer.longCount(),
                buffer.payload(), buffer.payloadCount(), readSrc, readDst == null ? NO_FLOATS : readDst, readCount);
        if (rc != 0) {
            throw new CudaException("running " + buffer.ops() + " recorded ops on the GPU: " + CudaNative.lastError()
                    + "; ops: " + summary(buffer));
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            CudaNative.llamaj_cuda_destroy(handle);
        }
    }

    private static String summary(CommandBuffer buffer) {
        var lines = buffer.describe();
        return lines.size() <= 12 ? String.join("; ", lines)
                : String.join("; ", lines.subList(0, 6)) + "; ... ; " + String.join("; ", lines.subList(lines.size() - 6, lines.size()));
    }

    private static void check(int rc, String call) {
        if (rc != 0) {
            throw new CudaException(call + ": " + CudaNative.lastError());
        }
    }
}
