package dev.llamaj.kernels.cuda;

import dev.llamaj.core.LlamaException;

/** A CUDA call failed: the message names the call (or the op of a command buffer) and CUDA's reason. */
public class CudaException extends LlamaException {
    private static final long serialVersionUID = 1L;

    public CudaException(String message) {
        super(message);
    }
}
