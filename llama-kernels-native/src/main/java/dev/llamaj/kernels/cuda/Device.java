package dev.llamaj.kernels.cuda;

import java.lang.foreign.MemorySegment;

/**
 * What {@link CudaKernels} needs from a device: memory, uploads, and running a recorded
 * command buffer. {@link CudaContext} is the real one; tests put a recording fake behind the
 * kernels to check what they ask of the device, without a GPU.
 */
interface Device extends AutoCloseable {
    /** Zero-filled device memory; a {@link DeviceMemoryException} when it cannot fit. */
    long allocate(long bytes, String what);

    void free(long address);

    /** Copies {@code bytes} bytes of {@code src} to {@code dst} and waits. */
    void upload(long dst, MemorySegment src, long bytes, String what);

    /** Runs the buffer's ops, then copies {@code readCount} floats from {@code readSrc} to {@code readDst}; waits. */
    void run(CommandBuffer buffer, long readSrc, float[] readDst, int readCount);

    @Override
    void close();
}
