package dev.llamaj.core.model;

import dev.llamaj.core.LlamaConfig;
import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.Kernels;
import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;

/**
 * One session's memory for the forward pass: the KV cache and activation buffers for up to
 * {@link #batchCapacity()} tokens at a time, all owned by the kernel provider.
 */
public final class ForwardState implements AutoCloseable {
    final KvCache cache;
    final Activations x;
    final Activations xb;
    final Activations q;
    final Activations k;
    final Activations v;
    final Activations attended;
    final Activations gate;
    final Activations up;
    final Activations logits;
    private final int batchCapacity;

    public ForwardState(Kernels kernels, LlamaConfig c, int contextLength, int batchCapacity, KvCacheType cacheType) {
        this.batchCapacity = batchCapacity;
        int dim = c.embeddingLength();
        this.cache = kernels.kvCache(c.blockCount(), contextLength, c.kvDim(), cacheType);
        this.x = kernels.activations(batchCapacity, dim);
        this.xb = kernels.activations(batchCapacity, dim);
        this.q = kernels.activations(batchCapacity, dim);
        this.k = kernels.activations(batchCapacity, c.kvDim());
        this.v = kernels.activations(batchCapacity, c.kvDim());
        this.attended = kernels.activations(batchCapacity, dim);
        this.gate = kernels.activations(batchCapacity, c.feedForwardLength());
        this.up = kernels.activations(batchCapacity, c.feedForwardLength());
        this.logits = kernels.activations(batchCapacity, c.vocabSize());
    }

    /** Most tokens one forward call takes. */
    public int batchCapacity() {
        return batchCapacity;
    }

    /** Positions the cache holds. */
    public int contextLength() {
        return cache.capacity();
    }

    /** Copies logits row {@code row} of the last forward call into {@code dst}. */
    public void readLogits(int row, float[] dst) {
        logits.read(row, dst);
    }

    /** Off-heap (or device) bytes of the KV cache. */
    public long cacheBytes() {
        return cache.bytes();
    }

    @Override
    public void close() {
        for (AutoCloseable a : new AutoCloseable[] {x, xb, q, k, v, attended, gate, up, logits, cache}) {
            try {
                a.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing forward state", e);
            }
        }
    }
}
