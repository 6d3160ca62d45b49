package dev.llamaj.core.kernels.scalar;

import dev.llamaj.core.kernels.memory.ZeroedMemory;

import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Keys and values in one off-heap segment: for each layer, {@code capacity} key rows then
 * {@code capacity} value rows of {@code kvDim} elements, F32 or F16.
 */
final class OffHeapKvCache implements KvCache {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int layers;
    private final int capacity;
    private final int kvDim;
    private final KvCacheType type;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment data;

    OffHeapKvCache(int layers, int capacity, int kvDim, KvCacheType type) {
        if (layers < 1 || capacity < 1 || kvDim < 1) {
            throw new IllegalArgumentException("a KV cache needs positive layers, capacity and kvDim, got "
                    + layers + ", " + capacity + ", " + kvDim);
        }
        this.layers = layers;
        this.capacity = capacity;
        this.kvDim = kvDim;
        this.type = type;
        long bytes;
        try {
            bytes = Math.multiplyExact(Math.multiplyExact(Math.multiplyExact(2L * layers, capacity), kvDim), elementBytes());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("a KV cache of " + layers + " layers × " + capacity + " positions × " + kvDim
                    + " does not fit in memory", e);
        }
        try {
            this.data = ZeroedMemory.allocate(bytes, arena);
        } catch (IllegalStateException e) {
            arena.close();
            throw new IllegalArgumentException("a KV cache of " + bytes + " bytes (" + layers + " layers × " + capacity
                    + " positions × " + kvDim + ", " + type + ") cannot be allocated off the heap: " + e.getMessage(), e);
        }
    }

    private int elementBytes() {
        return type == KvCacheType.F16 ? 2 : 4;
    }

    private long index(int layer, int kind, int pos) {
        return ((2L * layer + kind) * capacity + pos) * kvDim;
    }

    /** Stores {@code src[offset .. offset+kvDim)} as the key (kind 0) or value (kind 1) row at pos. */
    void store(int layer, int kind, int pos, float[] src, int offset) {
        long base = index(layer, kind, pos);
        for (int i = 0; i < kvDim; i++) {
            if (type == KvCacheType.F16) {
                data.setAtIndex(F16, base + i, Float.floatToFloat16(src[offset + i]));
            } else {
                data.setAtIndex(F32, base + i, src[offset + i]);
            }
        }
    }

    /** Element {@code i} of the key (kind 0) or value (kind 1) row at pos. */
    float get(int layer, int kind, int pos, int i) {
        long at = index(layer, kind, pos) + i;
        return type == KvCacheType.F16 ? Float.float16ToFloat(data.getAtIndex(F16, at)) : data.getAtIndex(F32, at);
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
        return data.byteSize();
    }

    @Override
    public void close() {
        arena.close();
    }
}
