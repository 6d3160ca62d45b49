package dev.llamaj.tokenizer;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamaj.testdata.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files that are not usable SentencePiece BPE models: each fails naming the file and the problem. */
class BadInputTest {
    @TempDir
    Path dir;

    @Test
    void missingFile() {
        Path file = dir.resolve("nope.model");
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("no such file");
    }

    @Test
    void emptyFile() throws IOException {
        Path file = Files.createFile(dir.resolve("empty.model"));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("empty");
    }

    @Test
    void truncatedModel() throws IOException {
        byte[] whole = Files.readAllBytes(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        for (int length : new int[] {1, 7, 1000, whole.length / 2, whole.length - 100}) {
            Path file = dir.resolve("truncated-" + length + ".model");
            Files.write(file, Arrays.copyOf(whole, length));
            assertThatThrownBy(() -> Tokenizer.load(file)).as("cut at " + length)
                    .isInstanceOf(TokenizerFormatException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageMatching("(?s).*(truncated|byte offset|no pieces|model_type).*");
        }
    }

    @Test
    void truncatedInsideAPieceSaysSo() throws IOException {
        byte[] whole = Files.readAllBytes(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        Path file = dir.resolve("cut.model");
        Files.write(file, Arrays.copyOf(whole, 1000));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("byte offset").hasMessageContaining("truncated");
    }

    @Test
    void ggufPassedAsTokenizerModel() {
        Path file = SharedData.file("models/llama2-tokenizer/ggml-vocab-llama-spm.gguf");
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("GGUF");
    }

    @Test
    void pngPassedAsTokenizerModel() throws IOException {
        Path file = dir.resolve("picture.png");
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0};
        Files.write(file, png);
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("PNG");
    }

    @Test
    void randomBytesAreNotAProtobufMessage() throws IOException {
        Path file = dir.resolve("text.model");
        Files.writeString(file, "this is just some text, not a protobuf\n");
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("byte offset");
    }

    @Test
    void unigramModelIsRefused() throws IOException {
        // a minimal ModelProto: one piece "<unk>" of type UNKNOWN, trainer_spec.model_type = UNIGRAM (1)
        byte[] piece = {0x0A, 5, '<', 'u', 'n', 'k', '>', 0x18, 2};
        byte[] trainer = {0x18, 1};
        Path file = dir.resolve("unigram.model");
        Files.write(file, concat(new byte[] {0x0A, (byte) piece.length}, piece,
                new byte[] {0x12, (byte) trainer.length}, trainer));
        assertThatThrownBy(() -> Tokenizer.load(file)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("UNIGRAM")
                .hasMessageContaining("only BPE");
    }

    @Test
    void directoryIsRefused() {
        assertThatThrownBy(() -> Tokenizer.load(dir)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("directory");
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
