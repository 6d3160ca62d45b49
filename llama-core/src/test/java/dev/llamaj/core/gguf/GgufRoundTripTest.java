package dev.llamaj.core.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llamaj.core.ModelFormatException;
import dev.llamaj.core.gguf.GgufValue.ArrayValue;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link GgufWriter} writes, {@link GgufFile} reads back unchanged. */
class GgufRoundTripTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    private static Map<String, GgufValue> everyType() {
        Map<String, GgufValue> v = new LinkedHashMap<>();
        v.put("u8", GgufValue.uint8(255));
        v.put("i8", GgufValue.int8(-128));
        v.put("u16", GgufValue.uint16(65_535));
        v.put("i16", GgufValue.int16(-32_768));
        v.put("u32", GgufValue.uint32(0xFFFF_FFFFL));
        v.put("i32", GgufValue.int32(Integer.MIN_VALUE));
        v.put("u64", GgufValue.uint64(-1L));
        v.put("i64", GgufValue.int64(Long.MIN_VALUE));
        v.put("f32", GgufValue.float32(-1.5e-7f));
        v.put("f64", GgufValue.float64(Math.PI));
        v.put("f32.nan", GgufValue.float32(Float.NaN));
        v.put("bool.true", GgufValue.bool(true));
        v.put("bool.false", GgufValue.bool(false));
        v.put("string", GgufValue.string("naïve café 🦙 ▁Hello"));
        v.put("string.empty", GgufValue.string(""));
        v.put("a.u8", GgufValue.array(GgufValueType.UINT8, new byte[] {0, 1, (byte) 255}));
        v.put("a.i8", GgufValue.array(GgufValueType.INT8, new byte[] {-128, 0, 127}));
        v.put("a.u16", GgufValue.array(GgufValueType.UINT16, new short[] {(short) 65_535, 7}));
        v.put("a.i16", GgufValue.array(GgufValueType.INT16, new short[] {-32_768, 32_767}));
        v.put("a.u32", GgufValue.array(GgufValueType.UINT32, new int[] {-1, 3}));
        v.put("a.i32", GgufValue.ints(new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE}));
        v.put("a.u64", GgufValue.array(GgufValueType.UINT64, new long[] {-1L, 5}));
        v.put("a.i64", GgufValue.array(GgufValueType.INT64, new long[] {Long.MIN_VALUE, Long.MAX_VALUE}));
        v.put("a.f32", GgufValue.floats(new float[] {0f, -0f, 1e-30f, Float.MAX_VALUE, Float.NEGATIVE_INFINITY}));
        v.put("a.f64", GgufValue.array(GgufValueType.FLOAT64, new double[] {Double.MIN_VALUE, -2.5}));
        v.put("a.bool", GgufValue.array(GgufValueType.BOOL, new boolean[] {true, false, true}));
        v.put("a.string", GgufValue.strings(List.of("<unk>", "", "▁the", "<0x0A>")));
        v.put("a.empty", GgufValue.array(GgufValueType.INT32, new int[0]));
        v.put("a.nested", GgufValue.array(GgufValueType.ARRAY, new ArrayValue[] {
                GgufValue.ints(new int[] {1, 2}),
                GgufValue.strings(List.of("x", "y", "z")),
                GgufValue.array(GgufValueType.ARRAY, new ArrayValue[] {GgufValue.floats(new float[] {0.5f})})}));
        return v;
    }

    @Test
    void everyValueTypeRoundTripsInOrder() throws IOException {
        Map<String, GgufValue> values = everyType();
        GgufWriter w = new GgufWriter();
        values.forEach(w::put);
        Path p = dir.resolve("values.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.tensors()).isEmpty();
            assertThat(f.metadata().keys()).containsExactlyElementsOf(values.keySet());
            values.forEach((k, v) -> assertThat(f.metadata().value(k)).as(k).isEqualTo(v));
            GgufMetadata m = f.metadata();
            assertThat(m.getInt("u8")).isEqualTo(255);
            assertThat(m.getInt("i8")).isEqualTo(-128);
            assertThat(m.getInt("u16")).isEqualTo(65_535);
            assertThat(m.getLong("u32")).isEqualTo(0xFFFF_FFFFL);
            assertThat(m.getLong("i64")).isEqualTo(Long.MIN_VALUE);
            assertThat(m.value("u64").toString()).isEqualTo("18446744073709551615");
            assertThat(m.getFloat("f32")).isEqualTo(-1.5e-7f);
            assertThat(m.getDouble("f64")).isEqualTo(Math.PI);
            assertThat(m.getFloat("f32.nan")).isNaN();
            assertThat(m.getBool("bool.true")).isTrue();
            assertThat(m.getString("string")).isEqualTo("naïve café 🦙 ▁Hello");
            assertThat(m.getIntArray("a.u8")).containsExactly(0, 1, 255);
            assertThat(m.getIntArray("a.i16")).containsExactly(-32_768, 32_767);
            assertThat(m.getFloatArray("a.f64")).containsExactly((float) Double.MIN_VALUE, -2.5f);
            assertThat(m.getStringArray("a.string")).containsExactly("<unk>", "", "▁the", "<0x0A>");
            assertThat(m.getArrayLength("a.empty")).isZero();
            ArrayValue nested = m.getArray("a.nested");
            assertThat(nested.length()).isEqualTo(3);
            assertThat(((ArrayValue) nested.get(1)).get(2)).isEqualTo(GgufValue.string("z"));
        }
    }

    @Test
    void typedGettersNameTheFileKeyAndExpectedType() throws IOException {
        GgufWriter w = new GgufWriter();
        everyType().forEach(w::put);
        Path p = dir.resolve("values.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            GgufMetadata m = f.metadata();
            assertThat(error(() -> m.getString("missing.key"))).isEqualTo(p + ": metadata key 'missing.key' is missing");
            assertThat(error(() -> m.getInt("string"))).isEqualTo(p + ": metadata key 'string' is a STRING, expected an integer");
            assertThat(error(() -> m.getFloat("i32"))).contains("'i32' is a INT32, expected a float32 or float64");
            assertThat(error(() -> m.getBool("u8"))).contains("'u8' is a UINT8, expected a bool");
            assertThat(error(() -> m.getString("a.string"))).contains("'a.string' is an array of STRING, expected a string");
            assertThat(error(() -> m.getStringArray("a.i32"))).contains("'a.i32' is an array of INT32, expected an array of strings");
            assertThat(error(() -> m.getFloatArray("a.i32"))).contains("expected an array of float32 or float64");
            assertThat(error(() -> m.getIntArray("a.f32"))).contains("expected an array of integers");
            assertThat(error(() -> m.getIntArray("a.u32"))).contains("'a.u32' element 0 is 4294967295, expected an integer that fits a 32-bit signed int");
            assertThat(error(() -> m.getIntArray("a.u64"))).contains("element 0 is 18446744073709551615");
            assertThat(error(() -> m.getLong("u64"))).contains("'u64' is 18446744073709551615, expected an integer that fits a 64-bit signed long");
            assertThat(error(() -> m.getInt("i64"))).contains("expected an integer that fits a 32-bit signed int");
            assertThat(error(() -> m.getArrayLength("u8"))).contains("expected an array");
            assertThat(m.optInt("absent")).isEmpty();
            assertThat(m.optInt("i16").getAsInt()).isEqualTo(-32_768);
            assertThat(m.optLong("u32").getAsLong()).isEqualTo(0xFFFF_FFFFL);
            assertThat(m.optString("string")).contains("naïve café 🦙 ▁Hello");
            assertThat(m.optBool("bool.false")).contains(false);
            assertThat(m.optFloat("f32")).contains(-1.5e-7f);
            // present but mistyped is an error, not an absence
            assertThat(error(() -> m.optInt("string"))).contains("expected an integer");
        }
    }

    private static String error(Runnable r) {
        return assertThrows(ModelFormatException.class, r::run).getMessage();
    }

    @Test
    void tensorsRoundTripAtAlignedOffsets() throws IOException {
        float[] a = new float[6 * 3];
        for (int i = 0; i < a.length; i++) {
            a[i] = i * 0.25f - 1;
        }
        byte[] q8 = new byte[2 * 34];
        for (int i = 0; i < q8.length; i++) {
            q8[i] = (byte) (i * 7);
        }
        Path p = dir.resolve("tensors.gguf");
        new GgufWriter().alignment(64).putString("general.architecture", "test")
                .addTensor("a", new long[] {6, 3}, a)
                .addTensor("q", GgmlType.Q8_0, new long[] {32, 2}, q8)
                .addTensor("seg", GgmlType.F16, new long[] {4}, MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
                .addSparseTensor("zeros", GgmlType.F32, 5)
                .addTensor("src", GgmlType.I8, new long[] {3}, out -> out.write(java.nio.ByteBuffer.wrap(new byte[] {9, 8, 7})))
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.alignment()).isEqualTo(64);
            assertThat(f.metadata().getLong("general.alignment")).isEqualTo(64);
            assertThat(f.dataOffset() % 64).isZero();
            assertThat(f.tensors()).extracting(GgufTensorInfo::name).containsExactly("a", "q", "seg", "zeros", "src");
            assertThat(f.tensors()).extracting(GgufTensorInfo::offset).containsExactly(0L, 128L, 256L, 320L, 384L);
            Tensor ta = f.requireTensor("a");
            assertThat(ta.type()).isEqualTo(GgmlType.F32);
            assertThat(ta.shape()).containsExactly(6, 3);
            assertThat(ta.rows()).isEqualTo(3);
            float[] back = ta.data().toArray(ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN));
            assertThat(back).containsExactly(a);
            assertThat(f.requireTensor("q").data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(q8);
            assertThat(f.requireTensor("seg").data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
            assertThat(f.requireTensor("zeros").data().toArray(ValueLayout.JAVA_FLOAT)).containsExactly(0, 0, 0, 0, 0);
            assertThat(f.requireTensor("src").data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(9, 8, 7);
            assertThat(f.size()).isEqualTo(f.dataOffset() + 387);
            assertThat(f.requireTensor("a").data().get(F32, 4)).isEqualTo(a[1]);
        }
        assertThat(Files.size(p)).isGreaterThan(384);
    }

    @Test
    void sparseTensorLastGivesTheFileItsFullLength() throws IOException {
        Path p = dir.resolve("sparse.gguf");
        new GgufWriter().addSparseTensor("z", GgmlType.Q4_0, 64, 4).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.requireTensor("z").data().byteSize()).isEqualTo(4 * 2 * 18);
            assertThat(f.size()).isEqualTo(f.dataOffset() + 144);
        }
    }

    @Test
    void version2FilesAreRead() throws IOException {
        Path p = dir.resolve("v3.gguf");
        new GgufWriter().putString("general.architecture", "llama").addTensor("w", new long[] {2}, new float[] {1, 2}).write(p);
        byte[] bytes = Files.readAllBytes(p);
        bytes[4] = 2; // v2 differs from v3 only in allowing big-endian files; the layout is the same
        Path v2 = Files.write(dir.resolve("v2.gguf"), bytes);
        try (GgufFile f = GgufFile.open(v2)) {
            assertThat(f.version()).isEqualTo(2);
            assertThat(f.metadata().getString("general.architecture")).isEqualTo("llama");
            assertThat(f.requireTensor("w").data().get(F32, 4)).isEqualTo(2f);
        }
    }

    @Test
    void metadataArraysCannotBeChangedThroughTheirAccessors() throws IOException {
        Path p = dir.resolve("arrays.gguf");
        new GgufWriter().put("t", GgufValue.strings(List.of("a", "b"))).put("f", GgufValue.floats(new float[] {1, 2})).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            ((String[]) f.metadata().getArray("t").elements())[0] = "changed";
            f.metadata().getFloatArray("f")[0] = 99;
            assertThrows(UnsupportedOperationException.class, () -> f.metadata().getStringArray("t").set(1, "x"));
            assertThat(f.metadata().getStringArray("t")).containsExactly("a", "b");
            assertThat(f.metadata().getFloatArray("f")).containsExactly(1, 2);
        }
    }

    @Test
    void writerRejectsWhatNoReaderWouldAccept() {
        GgufWriter w = new GgufWriter().putUInt32("k", 1);
        assertThrows(IllegalArgumentException.class, () -> w.putUInt32("k", 2));
        assertThrows(IllegalArgumentException.class, () -> w.alignment(48));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", new long[] {3}, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> w.addSparseTensor("t", GgmlType.Q8_0, 33));
        assertThrows(IllegalArgumentException.class, () -> w.addSparseTensor("t", GgmlType.F32, 1, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> w.addSparseTensor("t", GgmlType.F32, 0));
        w.addSparseTensor("t", GgmlType.F32, 4);
        assertThrows(IllegalArgumentException.class, () -> w.addSparseTensor("t", GgmlType.F32, 4));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint8(256));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.UINT8, new int[1]));
    }

    @Test
    void tensorSourceWritingTheWrongSizeFails() {
        Path p = dir.resolve("short.gguf");
        GgufWriter w = new GgufWriter().addTensor("t", GgmlType.I8, new long[] {4},
                out -> out.write(java.nio.ByteBuffer.wrap(new byte[3])));
        IOException e = assertThrows(IOException.class, () -> w.write(p));
        assertThat(e.getMessage()).contains("tensor 't' source wrote 3 bytes, expected 4");
    }

    @Test
    void closedFileRefusesAccessToItsTensors() throws IOException {
        Path p = dir.resolve("t.gguf");
        new GgufWriter().addTensor("w", new long[] {2}, new float[] {1, 2}).write(p);
        GgufFile f = GgufFile.open(p);
        Tensor t = f.requireTensor("w");
        f.close();
        assertThrows(IllegalStateException.class, () -> t.data().get(F32, 0));
    }

    @Test
    void missingFileIsAnIoError() {
        var e = assertThrows(java.io.UncheckedIOException.class, () -> GgufFile.open(dir.resolve("absent.gguf")));
        assertThat(e.getMessage()).contains("absent.gguf");
    }
}
