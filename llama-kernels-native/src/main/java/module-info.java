/** A CUDA {@link dev.llamaj.core.kernels.KernelProvider}, native code called through JNA. */
module dev.llamaj.kernels.cuda {
    requires dev.llamaj.core;
    requires com.sun.jna;
    provides dev.llamaj.core.kernels.KernelProvider with dev.llamaj.kernels.cuda.CudaKernelProvider;
}
