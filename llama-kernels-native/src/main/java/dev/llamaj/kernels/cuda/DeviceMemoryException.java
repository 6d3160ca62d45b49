package dev.llamaj.kernels.cuda;

/** The device has too little free memory for what was asked (a model's weights, a KV cache). */
public final class DeviceMemoryException extends CudaException {
    private static final long serialVersionUID = 1L;
    private final long needed;
    private final long free;

    public DeviceMemoryException(String what, long needed, long free, long total) {
        super("not enough GPU memory for " + what + ": needs " + mib(needed) + " MiB, " + mib(free) + " MiB free of "
                + mib(total) + " MiB (use a smaller model or quantization, a shorter context, or another provider)");
        this.needed = needed;
        this.free = free;
    }

    /** Bytes asked for. */
    public long needed() {
        return needed;
    }

    /** Bytes free on the device when asked. */
    public long free() {
        return free;
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }
}
