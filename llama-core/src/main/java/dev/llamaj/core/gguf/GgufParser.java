package dev.llamaj.core.gguf;

import dev.llamaj.core.ModelFormatException;
import dev.llamaj.core.gguf.GgufValue.ArrayValue;
import dev.llamaj.core.gguf.GgufValue.IntegerValue;
import dev.llamaj.core.tensor.GgmlType;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * Reads the header, metadata and tensor infos of a GGUF file (versions 2 and 3) and checks
 * every count, length, shape and offset against the file before using it.
 */
final class GgufParser {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;
    /** Arrays nest in real files one level at most; a bound keeps a crafted file from exhausting the stack. */
    static final int MAX_ARRAY_DEPTH = 16;
    /** Smallest tensor info: name length, n_dims, type, offset. */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;
    /** Smallest key/value: key length, value type, a one-byte value. */
    private static final int MIN_KV_BYTES = 8 + 4 + 1;

    /** What the parser found. */
    record Layout(int version, int alignment, long dataOffset, GgufMetadata metadata, List<GgufTensorInfo> tensors) {
    }

    private final GgufCursor in;

    GgufParser(GgufCursor in) {
        this.in = in;
    }

    Layout parse() {
        int magic = in.u32("the magic number");
        if (magic != MAGIC) {
            throw in.error(0, String.format("expected the magic bytes 'GGUF' (47 47 55 46), found %02x %02x %02x %02x",
                    magic & 0xFF, (magic >>> 8) & 0xFF, (magic >>> 16) & 0xFF, magic >>> 24));
        }
        int version = version();
        int tensorCount = in.count("the tensor count", MIN_TENSOR_INFO_BYTES);
        int kvCount = in.count("the metadata key/value count", MIN_KV_BYTES);
        GgufMetadata metadata = new GgufMetadata(in.file(), metadata(kvCount));
        int alignment = alignment(metadata);
        List<RawTensor> raw = new ArrayList<>(Math.min(tensorCount, 1 << 16));
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tensorCount; i++) {
            RawTensor t = tensorInfo(i);
            if (!names.add(t.name)) {
                throw in.error(t.at, "tensor name '" + t.name + "' appears twice (expected unique names)");
            }
            raw.add(t);
        }
        long dataOffset = alignUp(in.position(), alignment);
        List<GgufTensorInfo> tensors = place(raw, alignment, dataOffset);
        return new Layout(version, alignment, dataOffset, metadata, tensors);
    }

    private int version() {
        int version = in.u32("the version");
        if (version == 2 || version == 3) {
            return version;
        }
        String hint = version == 1 ? " (version 1 files, with 32-bit counts, predate GGUF 2; convert the file again)"
                : Integer.reverseBytes(version) == 3 || Integer.reverseBytes(version) == 2 ? " (a big-endian GGUF?)" : "";
        throw in.error(4, "unsupported GGUF version " + Integer.toUnsignedString(version) + ", expected 2 or 3" + hint);
    }

    private LinkedHashMap<String, GgufValue> metadata(int count) {
        LinkedHashMap<String, GgufValue> values = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            long at = in.position();
            String key = in.string("metadata key " + i);
            GgufValueType type = valueType("the type of metadata key '" + key + "'");
            GgufValue value = value(type, key, 0);
            if (values.putIfAbsent(key, value) != null) {
                throw in.error(at, "metadata key '" + key + "' appears twice (expected unique keys)");
            }
        }
        return values;
    }

    private GgufValueType valueType(String what) {
        long at = in.position();
        int id = in.u32(what);
        GgufValueType type = GgufValueType.byId(Integer.toUnsignedLong(id));
        if (type == null) {
            throw in.error(at, what + " is " + Integer.toUnsignedString(id) + ", expected a GGUF value type 0..12");
        }
        return type;
    }

    private GgufValue value(GgufValueType type, String key, int depth) {
        String what = "the value of '" + key + "'";
        return switch (type) {
            case UINT8, INT8 -> new IntegerValue(type, widen(type, in.u8(what)));
            case UINT16, INT16 -> new IntegerValue(type, widen(type, in.u16(what)));
            case UINT32, INT32 -> new IntegerValue(type, widen(type, in.u32(what)));
            case UINT64, INT64 -> new IntegerValue(type, in.u64(what));
            case FLOAT32 -> GgufValue.float32(in.f32(what));
            case FLOAT64 -> GgufValue.float64(in.f64(what));
            case BOOL -> GgufValue.bool(bool(what));
            case STRING -> GgufValue.string(in.string(what));
            case ARRAY -> array(key, depth + 1);
        };
    }

    private static long widen(GgufValueType type, long v) {
        return switch (type) {
            case UINT8 -> v & 0xFFL;
            case UINT16 -> v & 0xFFFFL;
            case UINT32 -> v & 0xFFFF_FFFFL;
            default -> v;
        };
    }

    private boolean bool(String what) {
        long at = in.position();
        byte b = in.u8(what);
        if (b != 0 && b != 1) {
            throw in.error(at, what + " is " + (b & 0xFF) + ", expected a bool (0 or 1)");
        }
        return b == 1;
    }

    private ArrayValue array(String key, int depth) {
        if (depth > MAX_ARRAY_DEPTH) {
            throw in.error("arrays in '" + key + "' nest deeper than " + MAX_ARRAY_DEPTH + " levels");
        }
        GgufValueType type = valueType("the element type of array '" + key + "'");
        int n = in.count("the length of array '" + key + "'", type.minimumSize());
        String what = "the elements of array '" + key + "'";
        Object elements = switch (type) {
            case UINT8, INT8 -> bulk(ValueLayout.JAVA_BYTE, new byte[n], what);
            case UINT16, INT16 -> bulk(ValueLayout.JAVA_SHORT_UNALIGNED, new short[n], what);
            case UINT32, INT32 -> bulk(ValueLayout.JAVA_INT_UNALIGNED, new int[n], what);
            case UINT64, INT64 -> bulk(ValueLayout.JAVA_LONG_UNALIGNED, new long[n], what);
            case FLOAT32 -> bulk(ValueLayout.JAVA_FLOAT_UNALIGNED, new float[n], what);
            case FLOAT64 -> bulk(ValueLayout.JAVA_DOUBLE_UNALIGNED, new double[n], what);
            case BOOL -> {
                boolean[] b = new boolean[n];
                for (int i = 0; i < n; i++) {
                    b[i] = bool("element " + i + " of array '" + key + "'");
                }
                yield b;
            }
            case STRING -> {
                String[] s = new String[n];
                for (int i = 0; i < n; i++) {
                    s[i] = in.string("element " + i + " of array '" + key + "'");
                }
                yield s;
            }
            case ARRAY -> {
                ArrayValue[] a = new ArrayValue[n];
                for (int i = 0; i < n; i++) {
                    a[i] = array(key + "[" + i + "]", depth + 1);
                }
                yield a;
            }
        };
        return new ArrayValue(type, elements);
    }

    private Object bulk(ValueLayout layout, Object array, String what) {
        in.bulk(layout, array, java.lang.reflect.Array.getLength(array), what);
        return array;
    }

    private int alignment(GgufMetadata metadata) {
        if (!metadata.contains("general.alignment")) {
            return DEFAULT_ALIGNMENT;
        }
        GgufValue v = metadata.value("general.alignment");
        if (!(v instanceof IntegerValue i) || !i.fitsLong()) {
            throw new ModelFormatException(in.file(), "metadata key 'general.alignment' is " + v.type() + " " + v
                    + ", expected a uint32 power of two");
        }
        long a = i.bits();
        if (a <= 0 || a > (1L << 30) || Long.bitCount(a) != 1) {
            throw new ModelFormatException(in.file(), "metadata key 'general.alignment' is " + a
                    + ", expected a power of two (at most 2^30)");
        }
        return (int) a;
    }

    private record RawTensor(long at, String name, GgmlType type, long[] shape, long offset, long byteSize) {
    }

    private RawTensor tensorInfo(int index) {
        long at = in.position();
        String name = in.string("the name of tensor " + index);
        long dimsAt = in.position();
        int nDims = in.u32("the dimension count of tensor '" + name + "'");
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw in.error(dimsAt, "tensor '" + name + "' has " + Integer.toUnsignedString(nDims)
                    + " dimensions, expected 1.." + MAX_DIMS);
        }
        long[] shape = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long dimAt = in.position();
            shape[d] = in.u64("dimension " + d + " of tensor '" + name + "'");
            if (shape[d] <= 0) {
                throw in.error(dimAt, "dimension " + d + " of tensor '" + name + "' is "
                        + Long.toUnsignedString(shape[d]) + ", expected a positive size below 2^63");
            }
            if (elements > Long.MAX_VALUE / shape[d]) {
                throw in.error(dimAt, "the shape of tensor '" + name + "' overflows: its element count exceeds 2^63");
            }
            elements *= shape[d];
        }
        long typeAt = in.position();
        int typeId = in.u32("the type of tensor '" + name + "'");
        GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
        if (type == null) {
            throw in.error(typeAt, "tensor '" + name + "' has unknown ggml type id " + Integer.toUnsignedString(typeId));
        }
        if (shape[0] % type.blockSize() != 0) {
            throw in.error(dimsAt, "tensor '" + name + "' of type " + type + " has rows of " + shape[0]
                    + " elements, expected a multiple of the block size " + type.blockSize());
        }
        long byteSize = type.bytesFor(elements);
        if (byteSize < 0) {
            throw in.error(dimsAt, "tensor '" + name + "' of type " + type + " with " + elements
                    + " elements has a size that overflows");
        }
        long offset = in.u64("the data offset of tensor '" + name + "'");
        return new RawTensor(at, name, type, shape, offset, byteSize);
    }

    /** Checks each tensor's data lies inside the file, aligned, and overlaps no other. */
    private List<GgufTensorInfo> place(List<RawTensor> raw, int alignment, long dataOffset) {
        long dataSize = in.size() - dataOffset;
        List<GgufTensorInfo> tensors = new ArrayList<>(raw.size());
        for (RawTensor t : raw) {
            if (t.offset < 0 || t.offset % alignment != 0) {
                throw in.error(t.at, "tensor '" + t.name + "' data offset " + Long.toUnsignedString(t.offset)
                        + " is not a multiple of the alignment " + alignment);
            }
            if (dataSize < 0 || t.offset > dataSize || t.byteSize > dataSize - t.offset) {
                throw in.error(t.at, "tensor '" + t.name + "' data (" + t.byteSize + " bytes at data offset "
                        + t.offset + ", file offset " + (dataOffset + t.offset) + ") runs past the end of the file ("
                        + in.size() + " bytes; the data section starts at " + dataOffset + ", aligned to " + alignment + ")");
            }
            tensors.add(new GgufTensorInfo(t.name, t.type, t.shape, t.offset, t.byteSize));
        }
        List<GgufTensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensorInfo a = byOffset.get(i - 1);
            GgufTensorInfo b = byOffset.get(i);
            if (a.offset() + a.byteSize() > b.offset()) {
                throw new ModelFormatException(in.file(), "tensor '" + a.name() + "' (data offset " + a.offset() + ", "
                        + a.byteSize() + " bytes) overlaps tensor '" + b.name() + "' (data offset " + b.offset()
                        + "); expected disjoint tensor data");
            }
        }
        return tensors;
    }

    static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }
}
