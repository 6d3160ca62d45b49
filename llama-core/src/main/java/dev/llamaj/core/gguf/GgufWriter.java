package dev.llamaj.core.gguf;

import dev.llamaj.core.gguf.GgufValue.ArrayValue;
import dev.llamaj.core.gguf.GgufValue.BoolValue;
import dev.llamaj.core.gguf.GgufValue.FloatValue;
import dev.llamaj.core.gguf.GgufValue.IntegerValue;
import dev.llamaj.core.gguf.GgufValue.StringValue;
import dev.llamaj.core.tensor.GgmlType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF version 3 file: metadata of every type, then tensor infos, then each tensor's
 * data at an offset aligned to {@code general.alignment} (32 unless set). Metadata and tensor
 * infos are collected first (the header needs them all); {@link #write(Path)} then streams the
 * file through a {@link FileChannel}. Tensor data comes from arrays, memory segments, a
 * {@link TensorSource}, or nothing at all ({@link #addSparseTensor}: zeros left as a hole, so a
 * test can make a multi-gigabyte file in milliseconds on a filesystem with sparse files).
 */
public final class GgufWriter {
    /** Writes exactly the tensor's byte size to {@code out}. */
    @FunctionalInterface
    public interface TensorSource {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Entry(String name, GgmlType type, long[] shape, long byteSize, TensorSource source) {
    }

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();

    /** Adds a metadata key; keys are written in the order added. */
    public GgufWriter put(String key, GgufValue value) {
        if (key == null || key.isEmpty() || value == null) {
            throw new IllegalArgumentException("a metadata key needs a non-empty name and a value");
        }
        if (metadata.putIfAbsent(key, value) != null) {
            throw new IllegalArgumentException("metadata key '" + key + "' added twice");
        }
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValue.string(value));
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufValue.uint32(value));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValue.int32(value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValue.float32(value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValue.bool(value));
    }

    /** Sets {@code general.alignment} (a uint32 power of two). */
    public GgufWriter alignment(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        }
        return putUInt32("general.alignment", alignment);
    }

    /** An F32 tensor of {@code shape} (innermost first) holding {@code values}. */
    public GgufWriter addTensor(String name, long[] shape, float[] values) {
        float[] copy = values.clone();
        return addTensor(name, GgmlType.F32, shape, out -> {
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < copy.length; i++) {
                if (!b.hasRemaining()) {
                    flush(b, out);
                }
                b.putFloat(copy[i]);
            }
            flush(b, out);
        }, values.length * 4L);
    }

    /** A tensor of any type whose encoded blocks are {@code data}. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, byte[] data) {
        byte[] copy = data.clone();
        return addTensor(name, type, shape, out -> writeFully(ByteBuffer.wrap(copy), out), data.length);
    }

    /** A tensor of any type whose encoded blocks are the bytes of {@code data} (read at write time). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        return addTensor(name, type, shape, out -> {
            long chunk = 1 << 20;
            for (long at = 0; at < data.byteSize(); at += chunk) {
                byte[] bytes = data.asSlice(at, Math.min(chunk, data.byteSize() - at)).toArray(ValueLayout.JAVA_BYTE);
                writeFully(ByteBuffer.wrap(bytes), out);
            }
        }, data.byteSize());
    }

    /** A tensor whose data {@code source} writes when the file is written. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorSource source) {
        return addTensor(name, type, shape, source, -1);
    }

    /** A tensor of zeros that takes no disk space where the filesystem supports sparse files. */
    public GgufWriter addSparseTensor(String name, GgmlType type, long... shape) {
        return addTensor(name, type, shape, null, -1);
    }

    private GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorSource source, long given) {
        long byteSize = checkedSize(name, type, shape);
        if (given >= 0 && given != byteSize) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type + " and shape "
                    + java.util.Arrays.toString(shape) + " takes " + byteSize + " bytes, but " + given + " were given");
        }
        if (tensors.stream().anyMatch(t -> t.name.equals(name))) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        tensors.add(new Entry(name, type, shape.clone(), byteSize, source));
        return this;
    }

    private static long checkedSize(String name, GgmlType type, long[] shape) {
        if (shape.length < 1 || shape.length > GgufParser.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' needs 1.." + GgufParser.MAX_DIMS + " dimensions");
        }
        long elements = 1;
        for (long d : shape) {
            if (d <= 0 || elements > Long.MAX_VALUE / d) {
                throw new IllegalArgumentException("tensor '" + name + "' has a bad shape " + java.util.Arrays.toString(shape));
            }
            elements *= d;
        }
        long bytes = shape[0] % type.blockSize() == 0 ? type.bytesFor(elements) : -1;
        if (bytes < 0) {
            throw new IllegalArgumentException("tensor '" + name + "': rows of " + shape[0] + " elements are not whole "
                    + type + " blocks of " + type.blockSize());
        }
        return bytes;
    }

    /** Writes the file (replacing any file at {@code path}). */
    public void write(Path path) throws IOException {
        int alignment = alignment();
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        u32(header, GgufParser.MAGIC);
        u32(header, 3);
        u64(header, tensors.size());
        u64(header, metadata.size());
        metadata.forEach((key, value) -> {
            string(header, key);
            u32(header, value.type().id());
            value(header, value);
        });
        long[] offsets = new long[tensors.size()];
        long offset = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Entry t = tensors.get(i);
            offsets[i] = offset;
            string(header, t.name);
            u32(header, t.shape.length);
            for (long d : t.shape) {
                u64(header, d);
            }
            u32(header, t.type.id());
            u64(header, offset);
            offset = GgufParser.alignUp(offset + t.byteSize, alignment);
        }
        long dataOffset = GgufParser.alignUp(header.size(), alignment);
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ByteBuffer.wrap(header.toByteArray()), out);
            long end = dataOffset;
            for (int i = 0; i < tensors.size(); i++) {
                Entry t = tensors.get(i);
                out.position(dataOffset + offsets[i]);
                if (t.source != null) {
                    t.source.writeTo(out);
                    if (out.position() != dataOffset + offsets[i] + t.byteSize) {
                        throw new IOException("tensor '" + t.name + "' source wrote " + (out.position() - dataOffset
                                - offsets[i]) + " bytes, expected " + t.byteSize);
                    }
                }
                end = dataOffset + offsets[i] + t.byteSize;
            }
            if (out.size() < end) {
                // a trailing hole: one zero byte at the end gives the file its full length
                out.write(ByteBuffer.allocate(1), end - 1);
            }
        }
    }

    private int alignment() {
        GgufValue v = metadata.get("general.alignment");
        if (v == null) {
            return GgufParser.DEFAULT_ALIGNMENT;
        }
        if (v instanceof IntegerValue i && i.bits() > 0 && i.bits() <= (1 << 30) && Long.bitCount(i.bits()) == 1) {
            return (int) i.bits();
        }
        throw new IllegalStateException("general.alignment " + v + " is not a power of two");
    }

    private static void value(ByteArrayOutputStream out, GgufValue value) {
        switch (value) {
            case IntegerValue i -> fixed(out, i.bits(), i.type().size());
            case FloatValue f when f.type() == GgufValueType.FLOAT32 -> u32(out, Float.floatToRawIntBits((float) f.value()));
            case FloatValue f -> u64(out, Double.doubleToRawLongBits(f.value()));
            case BoolValue b -> out.write(b.value() ? 1 : 0);
            case StringValue s -> string(out, s.value());
            case ArrayValue a -> {
                u32(out, a.elementType().id());
                u64(out, a.length());
                for (int i = 0; i < a.length(); i++) {
                    value(out, a.get(i));
                }
            }
        }
    }

    private static void fixed(ByteArrayOutputStream out, long v, int bytes) {
        for (int i = 0; i < bytes; i++) {
            out.write((int) (v >>> (8 * i)));
        }
    }

    private static void u32(ByteArrayOutputStream out, int v) {
        fixed(out, v, 4);
    }

    private static void u64(ByteArrayOutputStream out, long v) {
        fixed(out, v, 8);
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(out, b.length);
        out.writeBytes(b);
    }

    /** Writes a buffer that was filled with puts, then empties it for reuse. */
    private static void flush(ByteBuffer b, WritableByteChannel out) throws IOException {
        b.flip();
        writeFully(b, out);
        b.clear();
    }

    private static void writeFully(ByteBuffer b, WritableByteChannel out) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }
}
