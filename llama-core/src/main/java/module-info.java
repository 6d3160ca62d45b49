import dev.llamaj.core.kernels.KernelProvider;

/**
 * The engine: GGUF files, tensor formats, the Llama 2 transformer, sampling, and the
 * {@link KernelProvider} SPI with the {@code scalar} and {@code vector} CPU providers.
 */
module dev.llamaj.core {
    requires transitive dev.llamaj.tokenizer;
    // optional: without it the vector provider reports itself unavailable and scalar runs
    requires static jdk.incubator.vector;

    exports dev.llamaj.core;
    exports dev.llamaj.core.gguf;
    exports dev.llamaj.core.tensor;
    exports dev.llamaj.core.kernels;
    exports dev.llamaj.core.sampling;

    uses KernelProvider;
    provides KernelProvider with
            dev.llamaj.core.kernels.scalar.ScalarKernelProvider,
            dev.llamaj.core.kernels.vector.VectorKernelProvider;
}
