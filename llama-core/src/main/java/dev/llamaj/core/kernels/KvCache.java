package dev.llamaj.core.kernels;

/**
 * Keys and values of every layer for positions {@code 0 .. capacity-1}, owned by the provider
 * (off the Java heap). Which positions are valid is the caller's business: attention at
 * position p reads positions 0..p.
 */
public interface KvCache extends AutoCloseable {
    int layers();

    /** Positions it can hold. */
    int capacity();

    /** KV heads × head size: the width of one key or value row. */
    int kvDim();

    KvCacheType type();

    /** Off-heap (or device) bytes it holds. */
    long bytes();

    @Override
    void close();
}
