package dev.llamaj.core.kernels.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Large zero-filled off-heap blocks (KV caches) that cost nothing until used. {@link Arena#allocate}
 * writes every byte up front: for a 7B model's 4096-position cache (2 GB) that is seconds spent
 * creating a session, and memory committed that a short chat never touches. The C library's
 * {@code calloc} maps fresh pages for large blocks, which the kernel zeroes on first touch.
 * Falls back to {@link Arena#allocate} where native calls are not permitted.
 */
public final class ZeroedMemory {
    private static final MethodHandle CALLOC;
    private static final MethodHandle FREE;

    static {
        MethodHandle calloc = null;
        MethodHandle free = null;
        try {
            Linker linker = Linker.nativeLinker();
            calloc = linker.downcallHandle(linker.defaultLookup().find("calloc").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            free = linker.downcallHandle(linker.defaultLookup().find("free").orElseThrow(),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        } catch (RuntimeException | LinkageError e) {
            calloc = null;
            free = null;
        }
        CALLOC = calloc;
        FREE = free;
    }

    private ZeroedMemory() {
    }

    /**
     * {@code bytes} zero bytes, freed when {@code arena} closes.
     *
     * @throws IllegalStateException when the memory cannot be had (it says how much was asked for)
     */
    public static MemorySegment allocate(long bytes, Arena arena) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes");
        }
        if (CALLOC != null) {
            MemorySegment raw;
            try {
                raw = (MemorySegment) CALLOC.invokeExact(1L, bytes);
            } catch (Throwable e) {
                raw = MemorySegment.NULL;
            }
            if (!raw.equals(MemorySegment.NULL)) {
                return raw.reinterpret(bytes, arena, ZeroedMemory::free);
            }
            throw new IllegalStateException("cannot allocate " + bytes + " bytes (" + (bytes >> 20)
                    + " MiB) off the Java heap: the system is out of memory");
        }
        try {
            return arena.allocate(bytes, 64);
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException("cannot allocate " + bytes + " bytes (" + (bytes >> 20)
                    + " MiB) off the Java heap", e);
        }
    }

    private static void free(MemorySegment s) {
        try {
            FREE.invokeExact(s);
        } catch (Throwable e) {
            throw new IllegalStateException("free failed", e);
        }
    }
}
