package dev.llamaj.core.gguf;

import dev.llamaj.core.ModelFormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A little-endian reading position over a mapped GGUF file. Every read checks that the bytes
 * are there first, so a truncated or lying file ends in a {@link ModelFormatException} naming
 * the offset and what was being read, never in an exception from the memory API.
 */
final class GgufCursor {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment data;
    private long position;

    GgufCursor(Path file, MemorySegment data) {
        this.file = file;
        this.data = data;
    }

    Path file() {
        return file;
    }

    long position() {
        return position;
    }

    long size() {
        return data.byteSize();
    }

    long remaining() {
        return data.byteSize() - position;
    }

    /** An error at the current position. */
    ModelFormatException error(String message) {
        return error(position, message);
    }

    ModelFormatException error(long offset, String message) {
        return new ModelFormatException(file, "at byte offset " + offset + ": " + message);
    }

    private long take(int bytes, String what) {
        if (remaining() < bytes) {
            throw error("unexpected end of file reading " + what + " (needs " + bytes + " bytes, the file has "
                    + size() + ")");
        }
        long at = position;
        position += bytes;
        return at;
    }

    byte u8(String what) {
        return data.get(ValueLayout.JAVA_BYTE, take(1, what));
    }

    short u16(String what) {
        return data.get(U16, take(2, what));
    }

    int u32(String what) {
        return data.get(U32, take(4, what));
    }

    long u64(String what) {
        return data.get(U64, take(8, what));
    }

    float f32(String what) {
        return data.get(F32, take(4, what));
    }

    double f64(String what) {
        return data.get(F64, take(8, what));
    }

    /**
     * A count of items each taking at least {@code minItemBytes} bytes: rejected unless that many
     * items could fit in the rest of the file and in a Java array, so nothing huge is allocated.
     */
    int count(String what, int minItemBytes) {
        long at = position;
        long n = u64(what);
        long fits = remaining() / minItemBytes;
        if (n < 0 || n > fits) {
            throw error(at, what + " is " + Long.toUnsignedString(n) + ", but the " + remaining()
                    + " bytes left in the file hold at most " + fits + " (expected a count that fits the file)");
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw error(at, what + " is " + n + ", more than this reader supports (" + (Integer.MAX_VALUE - 8) + ")");
        }
        return (int) n;
    }

    /** A GGUF string: a uint64 byte length, then that many bytes of UTF-8. */
    String string(String what) {
        long at = position;
        long length = u64("the length of " + what);
        if (length < 0 || length > remaining()) {
            throw error(at, "the length of " + what + " is " + Long.toUnsignedString(length) + " bytes, but only "
                    + remaining() + " bytes are left in the file");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw error(at, "the length of " + what + " is " + length + " bytes, more than a Java string holds");
        }
        byte[] bytes = new byte[(int) length];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, position, bytes, 0, bytes.length);
        position += length;
        // Lenient like llama.cpp: malformed UTF-8 becomes U+FFFD rather than rejecting the file.
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Copies {@code n} values of {@code layout} into {@code array} (bounds already checked by {@link #count}). */
    void bulk(ValueLayout layout, Object array, int n, String what) {
        long bytes = n * layout.byteSize();
        if (bytes > remaining()) {
            throw error("unexpected end of file reading " + what + " (needs " + bytes + " bytes)");
        }
        ValueLayout le = layout.withOrder(ByteOrder.LITTLE_ENDIAN);
        MemorySegment.copy(data, le, position, array, 0, n);
        position += bytes;
    }

    void seek(long offset) {
        position = offset;
    }
}
