package dev.llamaj.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamaj.core.ModelFormatException;
import dev.llamaj.core.gguf.GgufValue;
import dev.llamaj.core.gguf.GgufWriter;
import dev.llamaj.core.tensor.GgmlType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    @TempDir
    Path dir;
    Path model;

    @BeforeEach
    void writeModel() throws Exception {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            tokens.add("tok" + i);
        }
        model = dir.resolve("m.gguf");
        new GgufWriter().putString("general.architecture", "llama")
                .putString("tokenizer.chat_template", "line one\nline \"two\"" + "x".repeat(300))
                .put("tokenizer.ggml.tokens", GgufValue.strings(tokens))
                .put("big", GgufValue.uint64(-1L))
                .addTensor("token_embd.weight", new long[] {4, 2}, new float[8])
                .addSparseTensor("blk.0.attn_q.weight", GgmlType.Q8_0, 32, 4)
                .write(model);
    }

    private String run(String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = new InspectCommand().run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(rc).isZero();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void humanListingShowsHeaderSummarizedArraysAndTensors() throws Exception {
        String out = run("--model", model.toString());
        assertThat(out).contains("version 3, alignment 32, tensor data at byte")
                .contains("4 metadata keys, 2 tensors (1 F32, 1 Q8_0; 168 bytes of tensor data)")
                .contains("ARRAY[STRING]   100 elements: [\"tok0\", \"tok1\", \"tok2\", \"tok3\", \"tok4\", \"tok5\", \"tok6\", \"tok7\", ...]")
                .contains("\"line one\\nline \\\"two\\\"xxx").contains("... (319 chars)")
                .contains("UINT64          18446744073709551615")
                .containsPattern("token_embd\\.weight\\s+F32\\s+\\[4, 2\\]\\s+0\\s+32")
                .containsPattern("blk\\.0\\.attn_q\\.weight\\s+Q8_0\\s+\\[32, 4\\]\\s+32\\s+136");
        assertThat(out).doesNotContain("tok8");
    }

    @Test
    void jsonListingIsOneObject() throws Exception {
        JsonNode json = new ObjectMapper().readTree(run("--model", model.toString(), "--json"));
        assertThat(json.get("version").asInt()).isEqualTo(3);
        assertThat(json.get("tensor_count").asInt()).isEqualTo(2);
        assertThat(json.get("data_offset").asLong()).isEqualTo(Files.size(model) - 168);
        JsonNode tokens = json.get("metadata").get(2);
        assertThat(tokens.get("key").asText()).isEqualTo("tokenizer.ggml.tokens");
        assertThat(tokens.get("length").asInt()).isEqualTo(100);
        assertThat(tokens.get("first")).hasSize(8);
        assertThat(json.get("metadata").get(3).get("value").bigIntegerValue().toString()).isEqualTo("18446744073709551615");
        JsonNode q = json.get("tensors").get(1);
        assertThat(q.get("type").asText()).isEqualTo("Q8_0");
        assertThat(q.get("shape").toString()).isEqualTo("[32,4]");
        assertThat(q.get("offset").asLong()).isEqualTo(32);
        assertThat(q.get("bytes").asLong()).isEqualTo(136);
    }

    @Test
    void badArgumentsAndBadFiles() throws Exception {
        assertThrows(UsageException.class, () -> run());
        assertThrows(UsageException.class, () -> run("--model"));
        assertThrows(UsageException.class, () -> run("--model", model.toString(), "--bogus"));
        Path bad = Files.write(dir.resolve("bad.gguf"), "GGML....".getBytes(StandardCharsets.US_ASCII));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> run("--model", bad.toString()));
        assertThat(e.getMessage()).contains("bad.gguf").contains("expected the magic bytes 'GGUF'");
    }
}
