package dev.llamaj.kernels.cuda;

import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;

/** Keys and values in device memory: for each, layers × capacity rows of kvDim, F16 or F32. */
final class CudaKvCache implements KvCache {
    private final CudaKernels kernels;
    private final int layers;
    private final int capacity;
    private final int kvDim;
    private final KvCacheType type;
    private final long keys;
    private final long values;
    private boolean closed;

    CudaKvCache(CudaKernels kernels, int layers, int capacity, int kvDim, KvCacheType type, long keys, long values) {
        this.kernels = kernels;
        this.layers = layers;
        this.capacity = capacity;
        this.kvDim = kvDim;
        this.type = type;
        this.keys = keys;
        this.values = values;
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public int kvDim() {
        return kvDim;
    }

    @Override
    public KvCacheType type() {
        return type;
    }

    @Override
    public long bytes() {
        return 2 * layerBytes() * layers;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            kernels.release(keys);
            kernels.release(values);
        }
    }

    /** Device address of layer {@code layer}'s first key row. */
    long keys(int layer) {
        return keys + layer * layerBytes();
    }

    long values(int layer) {
        return values + layer * layerBytes();
    }

    CudaKernels kernels() {
        return kernels;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the KV cache is closed");
        }
    }

    private long layerBytes() {
        return (long) capacity * kvDim * (type == KvCacheType.F16 ? 2 : 4);
    }
}
