package dev.llamaj.core.kernels.vector;

import dev.llamaj.core.kernels.memory.ZeroedMemory;

import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Keys and values off the Java heap, laid out [layer][position][kvDim] for keys then the same
 * for values, so one head's history is a strided walk through contiguous rows.
 */
final class VectorKvCache implements KvCache {
    private final int layers;
    private final int capacity;
    private final int kvDim;
    private final KvCacheType type;
    private final Arena arena;
    final MemorySegment keys;
    final MemorySegment values;
    final int elementBytes;

    VectorKvCache(int layers, int capacity, int kvDim, KvCacheType type) {
        if (layers < 1 || capacity < 1 || kvDim < 1) {
            throw new IllegalArgumentException("KV cache needs positive sizes, got layers=" + layers + " capacity="
                    + capacity + " kvDim=" + kvDim);
        }
        this.layers = layers;
        this.capacity = capacity;
        this.kvDim = kvDim;
        this.type = type;
        this.elementBytes = type == KvCacheType.F16 ? 2 : 4;
        long half = (long) layers * capacity * kvDim * elementBytes;
        this.arena = Arena.ofShared();
        try {
            this.keys = ZeroedMemory.allocate(half, arena);
            this.values = ZeroedMemory.allocate(half, arena);
        } catch (IllegalStateException e) {
            arena.close();
            throw new IllegalArgumentException("a KV cache of 2 × " + half + " bytes (" + layers + " layers × " + capacity
                    + " positions × " + kvDim + ", " + type + ") cannot be allocated: " + e.getMessage(), e);
        }
    }

    static VectorKvCache of(KvCache c) {
        if (c instanceof VectorKvCache v) {
            return v;
        }
        throw new IllegalArgumentException("KV cache " + c.getClass().getName() + " does not belong to the vector kernels");
    }

    /** Byte offset of row {@code pos} of layer {@code layer} within {@link #keys} or {@link #values}. */
    long rowOffset(int layer, int pos) {
        return ((long) layer * capacity + pos) * kvDim * elementBytes;
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
        return keys.byteSize() + values.byteSize();
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
