package dev.llamaj.core.kernels;

/**
 * What a provider is opened with.
 *
 * @param threads worker threads for CPU providers (ignored by a GPU provider); at least 1
 */
public record KernelOptions(int threads) {
    public KernelOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
    }

    /** One thread per available processor. */
    public static KernelOptions defaults() {
        return new KernelOptions(Runtime.getRuntime().availableProcessors());
    }
}
