package dev.llamaj.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamaj.testdata.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code llama tokenize}: output format, --file line by line, BOS/EOS, and argument errors. */
class TokenizeCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private String model() {
        return SharedData.file("models/llama2-tokenizer/tokenizer.model").toString();
    }

    private List<String> run(String... args) throws Exception {
        int status = new TokenizeCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run(args);
        assertThat(status).isZero();
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void textPrintsOneIdsObject() throws Exception {
        assertThat(run("--tokenizer", model(), "--text", "Hello world")).containsExactly("{\"ids\":[15043,3186]}");
    }

    @Test
    void bosAndEos() throws Exception {
        assertThat(run("--tokenizer", model(), "--text", "Hello world", "--bos", "--eos"))
                .containsExactly("{\"ids\":[1,15043,3186,2]}");
    }

    @Test
    void fileGivesOneLinePerInputLineInOrder() throws Exception {
        Path expectedFile = SharedData.file("tokenizer/expected-ids.jsonl");
        ObjectMapper json = new ObjectMapper();
        List<String> inputs = new ArrayList<>();
        List<JsonNode> expected = new ArrayList<>();
        for (String line : Files.readAllLines(expectedFile).subList(0, 40)) {
            JsonNode node = json.readTree(line);
            inputs.add(json.writeValueAsString(node.get("text").asText()));
            expected.add(node.get("ids"));
        }
        Path file = dir.resolve("in.jsonl");
        Files.write(file, inputs, StandardCharsets.UTF_8);
        List<String> out = run("--tokenizer", model(), "--file", file.toString());
        assertThat(out).hasSize(40);
        for (int i = 0; i < out.size(); i++) {
            assertThat(json.readTree(out.get(i)).get("ids")).as("line " + (i + 1)).isEqualTo(expected.get(i));
        }
    }

    @Test
    void badJsonLineNamesFileAndLine() throws Exception {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "\"ok\"\n{\"not\":\"a string\"}\n");
        assertThatThrownBy(() -> run("--tokenizer", model(), "--file", file.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file + ":2").hasMessageContaining("expected a JSON string");
    }

    @Test
    void argumentErrors() {
        assertThatThrownBy(() -> run("--text", "x")).isInstanceOf(UsageException.class).hasMessageContaining("--tokenizer");
        assertThatThrownBy(() -> run("--tokenizer", model())).isInstanceOf(UsageException.class)
                .hasMessageContaining("exactly one");
        assertThatThrownBy(() -> run("--tokenizer", model(), "--text", "a", "--file", "b")).isInstanceOf(UsageException.class);
        assertThatThrownBy(() -> run("--tokenizer", model(), "--text")).isInstanceOf(UsageException.class)
                .hasMessageContaining("needs a value");
        assertThatThrownBy(() -> run("--tokenizer", model(), "--frobnicate")).isInstanceOf(UsageException.class)
                .hasMessageContaining("--frobnicate");
    }

    @Test
    void ggufVocabularyGivesTheModelFilesIds() throws Exception {
        Path gguf = SharedData.file("models/llama2-tokenizer/ggml-vocab-llama-spm.gguf");
        assertThat(run("--tokenizer", gguf.toString(), "--text", "Hello world", "--bos"))
                .containsExactly("{\"ids\":[1,15043,3186]}");
    }

    @Test
    void ggufWithoutAVocabularyIsRefused() throws Exception {
        Path gguf = dir.resolve("empty.gguf");
        // a valid GGUF v3 header with no tensors and no metadata
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {'G', 'G', 'U', 'F'}).putInt(3).putLong(0).putLong(0);
        Files.write(gguf, b.array());
        assertThatThrownBy(() -> run("--tokenizer", gguf.toString(), "--text", "x"))
                .hasMessageContaining(gguf.toString()).hasMessageContaining("tokenizer.ggml.model");
    }

    @Test
    void exitStatusThroughMain() {
        assertThat(Main.run(new String[] {"tokenize", "--text", "x"})).isEqualTo(2);
        assertThat(Main.run(new String[] {"tokenize", "--tokenizer", dir.resolve("missing.model").toString(),
            "--text", "x"})).isEqualTo(1);
    }
}
