package dev.llamaj.core.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test-only: locates tensors in a trusted GGUF file (the shared goldens) so the formats can be
 * checked against real files before the project's GGUF reader exists. It checks nothing a
 * hostile file could break; the real reader does that.
 */
final class GgufTensors implements AutoCloseable {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[] SCALAR_BYTES = {1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8};

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment file;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private long pos;
    private long alignment = 32;

    GgufTensors(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
        if (file.get(U32, 0) != 0x46554747) {
            throw new IOException(path + " is not a GGUF file");
        }
        pos = 8;
        long tensorCount = u64();
        long kvCount = u64();
        for (long i = 0; i < kvCount; i++) {
            String key = string();
            int type = u32();
            if (key.equals("general.alignment")) {
                alignment = file.get(U32, pos);
            }
            skipValue(type);
        }
        String[] names = new String[(int) tensorCount];
        long[][] shapes = new long[names.length][];
        GgmlType[] types = new GgmlType[names.length];
        long[] offsets = new long[names.length];
        for (int t = 0; t < names.length; t++) {
            names[t] = string();
            shapes[t] = new long[u32()];
            for (int d = 0; d < shapes[t].length; d++) {
                shapes[t][d] = u64();
            }
            types[t] = GgmlType.byId(u32());
            offsets[t] = u64();
        }
        long dataStart = (pos + alignment - 1) / alignment * alignment;
        for (int t = 0; t < names.length; t++) {
            long elements = 1;
            for (long d : shapes[t]) {
                elements *= d;
            }
            MemorySegment data = file.asSlice(dataStart + offsets[t], types[t].bytesFor(elements));
            tensors.put(names[t], new Tensor(names[t], types[t], shapes[t], data));
        }
    }

    Map<String, Tensor> tensors() {
        return tensors;
    }

    Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return t;
    }

    private void skipValue(int type) {
        if (type == 8) {
            string();
        } else if (type == 9) {
            int elementType = u32();
            long n = u64();
            for (long i = 0; i < n; i++) {
                skipValue(elementType);
            }
        } else {
            pos += SCALAR_BYTES[type];
        }
    }

    private int u32() {
        int v = file.get(U32, pos);
        pos += 4;
        return v;
    }

    private long u64() {
        long v = file.get(U64, pos);
        pos += 8;
        return v;
    }

    private String string() {
        int n = Math.toIntExact(u64());
        byte[] bytes = file.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
        pos += n;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        arena.close();
    }
}
