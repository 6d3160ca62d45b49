package dev.llamaj.core.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llamaj.core.ModelFormatException;
import dev.llamaj.core.tensor.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Malformed files: each must end in a {@link ModelFormatException} that names the file, where
 * the problem is and what was expected; never an OutOfMemoryError, a hang or a wrong answer.
 */
class GgufBadInputTest {
    private static final int F32 = GgmlType.F32.id();

    @TempDir
    Path dir;

    private String rejected(GgufBytes bytes) {
        return rejected(bytes.writeTo(dir.resolve("bad.gguf")));
    }

    private String rejected(Path file) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(file).close());
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.getMessage()).startsWith(file.toString());
        return e.getMessage();
    }

    /** A valid file with metadata of several kinds and two tensors, as bytes. */
    private byte[] validFile() throws IOException {
        Path p = dir.resolve("valid.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .put("tokenizer.ggml.tokens", GgufValue.strings(java.util.List.of("<unk>", "<s>", "</s>")))
                .put("scores", GgufValue.floats(new float[] {0f, -1f, -2f}))
                .putUInt32("llama.block_count", 1)
                .addTensor("a", new long[] {4, 2}, new float[] {1, 2, 3, 4, 5, 6, 7, 8})
                .addTensor("b", new long[] {3}, new float[] {9, 10, 11})
                .write(p);
        byte[] bytes = Files.readAllBytes(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.tensors()).hasSize(2); // the uncut file is fine
        }
        return bytes;
    }

    @ParameterizedTest(name = "cut at {0}")
    @ValueSource(ints = {0, 1, 3, 4, 7, 8, 15, 16, 23, 24, 30, 40, 60, 90, 120, 150, 170, 200, 230, 250, 280, 300, 310, 330})
    void truncatedHeaderMetadataOrTensorInfosIsReportedAtTheOffset(int cut) throws IOException {
        byte[] full = validFile();
        assertThat(cut).isLessThan(full.length);
        String message = rejected(Files.write(dir.resolve("cut.gguf"), Arrays.copyOf(full, cut)));
        assertThat(message).containsAnyOf("unexpected end of file", "runs past the end of the file",
                "bytes left in the file", "bytes are left in the file");
        assertThat(message).contains("byte offset");
    }

    @Test
    void truncatedTensorDataIsReported() throws IOException {
        byte[] full = validFile();
        String message = rejected(Files.write(dir.resolve("cut.gguf"), Arrays.copyOf(full, full.length - 1)));
        assertThat(message).contains("tensor 'b' data (12 bytes").contains("runs past the end of the file");
    }

    /** Read into memory instead of mapped, a file is parsed by the same code: the same errors, at the same offsets. */
    @ParameterizedTest(name = "cut at {0}")
    @ValueSource(ints = {0, 16, 150, 330})
    void aFileReadIntoMemoryIsCheckedTheSameWay(int cut) throws IOException {
        byte[] full = validFile();
        Path file = Files.write(dir.resolve("cut.gguf"), Arrays.copyOf(full, cut));
        String mapped = rejected(file);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(file, false).close());
        assertThat(e.getMessage()).isEqualTo(mapped);
    }

    @Test
    void aFileReadIntoMemoryHoldsTheSameBytes() throws IOException {
        Path file = Files.write(dir.resolve("ok.gguf"), validFile());
        try (GgufFile mapped = GgufFile.open(file); GgufFile read = GgufFile.open(file, false)) {
            assertThat(mapped.mapped()).isTrue();
            assertThat(read.mapped()).isFalse();
            assertThat(read.metadata().asMap()).isEqualTo(mapped.metadata().asMap());
            for (GgufTensorInfo info : mapped.tensors()) {
                assertThat(read.tensor(info).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                        .isEqualTo(mapped.tensor(info).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test
    void emptyFileIsReported() throws IOException {
        String message = rejected(Files.write(dir.resolve("empty.gguf"), new byte[0]));
        assertThat(message).contains("at byte offset 0: unexpected end of file reading the magic number");
    }

    @Test
    void wrongMagic() {
        GgufBytes b = new GgufBytes().raw("GGML".getBytes()).u32(3).u64(0).u64(0);
        assertThat(rejected(b)).contains("byte offset 0").contains("expected the magic bytes 'GGUF'")
                .contains("47 47 4d 4c");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4, 0x7fffffff})
    void unsupportedVersion(int version) {
        assertThat(rejected(GgufBytes.header(version, 0, 0)))
                .contains("byte offset 4: unsupported GGUF version " + version + ", expected 2 or 3");
    }

    @Test
    void bigEndianVersionIsNamed() {
        assertThat(rejected(GgufBytes.header(Integer.reverseBytes(3), 0, 0))).contains("a big-endian GGUF?");
    }

    @Test
    void tensorCountBeyondTheFile() {
        String m = rejected(GgufBytes.header(3, 1L << 60, 0));
        assertThat(m).contains("byte offset 8: the tensor count is 1152921504606846976")
                .contains("expected a count that fits the file");
    }

    @Test
    void negativeAsSignedTensorCount() {
        assertThat(rejected(GgufBytes.header(3, -1L, 0))).contains("the tensor count is 18446744073709551615");
    }

    @Test
    void metadataCountBeyondTheFile() {
        assertThat(rejected(GgufBytes.header(3, 0, 1L << 40))).contains("byte offset 16: the metadata key/value count is 1099511627776");
    }

    @Test
    void keyLengthOf2To40Bytes() {
        GgufBytes b = GgufBytes.header(3, 0, 1).u64(1L << 40).raw("general.name".getBytes());
        assertThat(rejected(b)).contains("byte offset 24: the length of metadata key 0 is 1099511627776 bytes");
    }

    @Test
    void stringValueLengthOf2To40Bytes() {
        GgufBytes b = GgufBytes.header(3, 0, 1).str("general.name").u32(GgufValueType.STRING.id()).u64(1L << 40);
        assertThat(rejected(b)).contains("the length of the value of 'general.name' is 1099511627776 bytes");
    }

    @Test
    void arrayLengthOf2To62Elements() {
        GgufBytes b = GgufBytes.header(3, 0, 1).str("scores").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.FLOAT32.id()).u64(1L << 62).zeros(16);
        assertThat(rejected(b)).contains("the length of array 'scores' is 4611686018427387904")
                .contains("hold at most 4");
    }

    @Test
    void stringArrayLengthBeyondTheFile() {
        GgufBytes b = GgufBytes.header(3, 0, 1).str("tokenizer.ggml.tokens").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.STRING.id()).u64(1000).str("a").str("b");
        assertThat(rejected(b)).contains("the length of array 'tokenizer.ggml.tokens' is 1000");
    }

    @Test
    void stringInsideArrayLongerThanTheFile() {
        GgufBytes b = GgufBytes.header(3, 0, 1).str("tokens").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.STRING.id()).u64(2).str("a").u64(1L << 40).zeros(8);
        assertThat(rejected(b)).contains("the length of element 1 of array 'tokens' is 1099511627776 bytes");
    }

    @Test
    void nestedArraysTooDeep() {
        GgufBytes b = GgufBytes.header(3, 0, 1).str("deep").u32(GgufValueType.ARRAY.id());
        for (int i = 0; i < 40; i++) {
            b.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        b.zeros(64);
        assertThat(rejected(b)).contains("arrays in 'deep").contains("nest deeper than 16 levels");
    }

    @Test
    void unknownValueType() {
        GgufBytes b = GgufBytes.header(3, 0, 1).str("x").u32(13).u32(0);
        assertThat(rejected(b)).contains("byte offset 33: the type of metadata key 'x' is 13, expected a GGUF value type 0..12");
    }

    @Test
    void boolThatIsNeitherZeroNorOne() {
        GgufBytes b = GgufBytes.header(3, 0, 1).str("flag").u32(GgufValueType.BOOL.id()).u8(2);
        assertThat(rejected(b)).contains("the value of 'flag' is 2, expected a bool (0 or 1)");
    }

    @Test
    void duplicateKey() {
        GgufBytes b = GgufBytes.header(3, 0, 2).kvU32("k", 1).kvU32("k", 2);
        assertThat(rejected(b)).contains("metadata key 'k' appears twice");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3, 48, 1L << 31, 0xFFFF_FFFFL})
    void alignmentThatIsNotAPowerOfTwo(long alignment) {
        GgufBytes b = GgufBytes.header(3, 0, 1).kvU32("general.alignment", alignment);
        assertThat(rejected(b)).contains("metadata key 'general.alignment' is " + alignment)
                .contains("expected a power of two");
    }

    @Test
    void alignmentOfTheWrongType() {
        GgufBytes b = GgufBytes.header(3, 0, 1).kvString("general.alignment", "32");
        assertThat(rejected(b)).contains("'general.alignment' is STRING 32, expected a uint32 power of two");
    }

    /** A file with one F32 tensor info, padding, and {@code dataBytes} of data. */
    private GgufBytes oneTensor(int typeId, long offset, int dataBytes, long... dims) {
        return GgufBytes.header(3, 1, 0).tensor("w", typeId, offset, dims).pad(32).zeros(dataBytes);
    }

    @Test
    void fileWithOneTensorIsValidAsBuilt() throws IOException {
        Path p = oneTensor(F32, 0, 32, 4, 2).writeTo(dir.resolve("ok.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.tensors()).singleElement().satisfies(t -> assertThat(t.byteSize()).isEqualTo(32));
        }
    }

    @Test
    void tensorDataPastTheEnd() {
        assertThat(rejected(oneTensor(F32, 0, 31, 4, 2)))
                .contains("byte offset 24: tensor 'w' data (32 bytes at data offset 0, file offset 96) runs past the end of the file (127 bytes");
    }

    @Test
    void tensorOffsetPastTheEnd() {
        assertThat(rejected(oneTensor(F32, 1L << 62, 32, 4, 2))).contains("data offset 4611686018427387904")
                .contains("runs past the end of the file");
    }

    @Test
    void misalignedTensorOffset() {
        assertThat(rejected(oneTensor(F32, 4, 64, 4, 2)))
                .contains("tensor 'w' data offset 4 is not a multiple of the alignment 32");
    }

    @Test
    void misalignedDataSectionIsCaught() {
        // the writer of this file put the data right after the tensor infos, without padding to 32:
        // read at the aligned offset, the tensor runs past the end of the file
        GgufBytes b = GgufBytes.header(3, 1, 0).tensor("w", F32, 0, 4, 2);
        assertThat(b.size() % 32).isNotZero();
        b.zeros(32);
        assertThat(rejected(b)).contains("runs past the end of the file").contains("(97 bytes; the data section starts at 96, aligned to 32)");
    }

    @Test
    void unknownTensorType() {
        assertThat(rejected(oneTensor(99, 0, 32, 4, 2))).contains("byte offset 53: tensor 'w' has unknown ggml type id 99");
    }

    @Test
    void removedTensorTypeIdIsUnknown() {
        assertThat(rejected(oneTensor(4, 0, 32, 4, 2))).contains("tensor 'w' has unknown ggml type id 4");
    }

    @Test
    void moreThanFourDimensions() {
        assertThat(rejected(oneTensor(F32, 0, 128, 2, 2, 2, 2, 2)))
                .contains("byte offset 33: tensor 'w' has 5 dimensions, expected 1..4");
    }

    @Test
    void zeroDimensions() {
        assertThat(rejected(oneTensor(F32, 0, 32))).contains("tensor 'w' has 0 dimensions, expected 1..4");
    }

    @Test
    void dimensionsWhoseProductOverflows() {
        assertThat(rejected(oneTensor(F32, 0, 32, 1L << 32, 1L << 32)))
                .contains("the shape of tensor 'w' overflows");
    }

    @Test
    void dimensionAbove2To63() {
        assertThat(rejected(oneTensor(F32, 0, 32, -8L))).contains("dimension 0 of tensor 'w' is 18446744073709551608");
    }

    @Test
    void byteSizeThatOverflows() {
        assertThat(rejected(oneTensor(F32, 0, 32, 1L << 62))).contains("tensor 'w' of type F32 with 4611686018427387904 elements has a size that overflows");
    }

    @Test
    void rowsThatAreNotWholeBlocks() {
        assertThat(rejected(oneTensor(GgmlType.Q8_0.id(), 0, 64, 33, 1)))
                .contains("tensor 'w' of type Q8_0 has rows of 33 elements, expected a multiple of the block size 32");
    }

    @Test
    void duplicateTensorNames() {
        GgufBytes b = GgufBytes.header(3, 2, 0).tensor("w", F32, 0, 8).tensor("w", F32, 32, 8).pad(32).zeros(64);
        assertThat(rejected(b)).contains("tensor name 'w' appears twice");
    }

    @Test
    void overlappingTensors() {
        GgufBytes b = GgufBytes.header(3, 2, 0).tensor("a", F32, 0, 16).tensor("b", F32, 32, 8).pad(32).zeros(64);
        assertThat(rejected(b)).contains("tensor 'a' (data offset 0, 64 bytes) overlaps tensor 'b' (data offset 32)");
    }

    @Test
    void tensorCountLargerThanTheInfosPresent() {
        GgufBytes b = GgufBytes.header(3, 3, 0).tensor("a", F32, 0, 8).tensor("b", F32, 32, 8).pad(32).zeros(64);
        // the third info is read from the data bytes: a zero-length name, then 0 dimensions
        assertThat(rejected(b)).contains("tensor '' has 0 dimensions");
    }
}
