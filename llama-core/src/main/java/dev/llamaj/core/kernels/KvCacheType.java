package dev.llamaj.core.kernels;

/** How a KV cache stores keys and values. F16 halves the memory with no visible loss. */
public enum KvCacheType {
    F16, F32
}
