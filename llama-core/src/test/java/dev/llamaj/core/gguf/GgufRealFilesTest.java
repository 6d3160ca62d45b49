package dev.llamaj.core.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llamaj.core.ModelFormatException;
import dev.llamaj.core.gguf.GgufValue.IntegerValue;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.testdata.SharedData;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reads the published GGUF files in ../shared/models and checks what their README states. */
class GgufRealFilesTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void stories260KHeaderAndMetadata() {
        try (GgufFile f = GgufFile.open(SharedData.file("models/stories260K/stories260K.gguf"))) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.alignment()).isEqualTo(32);
            assertThat(f.dataOffset()).isEqualTo(14_176);
            assertThat(f.tensors()).hasSize(48);
            GgufMetadata m = f.metadata();
            assertThat(m.size()).isEqualTo(19);
            assertThat(m.contains("general.alignment")).isFalse();
            assertThat(m.getString("general.architecture")).isEqualTo("llama");
            assertThat(m.getString("general.name")).isEqualTo("llama");
            assertThat(m.getInt("llama.context_length")).isEqualTo(2048);
            assertThat(m.getInt("llama.embedding_length")).isEqualTo(64);
            assertThat(m.getInt("llama.feed_forward_length")).isEqualTo(172);
            assertThat(m.getInt("llama.attention.head_count")).isEqualTo(8);
            assertThat(m.getInt("llama.attention.head_count_kv")).isEqualTo(4);
            assertThat(m.getInt("llama.block_count")).isEqualTo(5);
            assertThat(m.getInt("llama.rope.dimension_count")).isEqualTo(8);
            assertThat(m.getFloat("llama.attention.layer_norm_rms_epsilon")).isEqualTo(1e-5f);
            assertThat(m.optFloat("llama.rope.freq_base")).isEmpty();
            assertThat(m.getString("tokenizer.ggml.model")).isEqualTo("llama");
            assertThat(m.getInt("tokenizer.ggml.bos_token_id")).isEqualTo(1);
            assertThat(m.getInt("tokenizer.ggml.eos_token_id")).isEqualTo(2);
            assertThat(m.getInt("tokenizer.ggml.unknown_token_id")).isEqualTo(0);
            List<String> tokens = m.getStringArray("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(512);
            assertThat(tokens.subList(0, 3)).containsExactly("<unk>", "<s>", "</s>");
            assertThat(tokens.get(3)).isEqualTo("<0x00>");
            assertThat(m.getFloatArray("tokenizer.ggml.scores")).hasSize(512);
            assertThat(m.getIntArray("tokenizer.ggml.token_type")).hasSize(512).contains(1, 2, 3, 6);
        }
    }

    @Test
    void stories260KKeysSetTo0xFFFFFFFFReadAsUnsigned() {
        try (GgufFile f = GgufFile.open(SharedData.file("models/stories260K/stories260K.gguf"))) {
            GgufMetadata m = f.metadata();
            for (String key : List.of("tokenizer.ggml.padding_token_id", "tokenizer.ggml.seperator_token_id")) {
                assertThat(m.value(key)).isInstanceOf(IntegerValue.class);
                assertThat(m.getLong(key)).as(key).isEqualTo(0xFFFF_FFFFL);
                ModelFormatException e = assertThrows(ModelFormatException.class, () -> m.getInt(key));
                assertThat(e.getMessage()).contains("'" + key + "' is 4294967295, expected an integer that fits a 32-bit signed int");
            }
        }
    }

    @Test
    void stories260KTensorsHaveTheStatedShapesAndTileTheDataSection() {
        Path file = SharedData.file("models/stories260K/stories260K.gguf");
        try (GgufFile f = GgufFile.open(file)) {
            Map<String, long[]> expected = new java.util.LinkedHashMap<>();
            expected.put("token_embd.weight", new long[] {64, 512});
            expected.put("output_norm.weight", new long[] {64});
            expected.put("output.weight", new long[] {64, 512});
            for (int l = 0; l < 5; l++) {
                String b = "blk." + l + ".";
                expected.put(b + "attn_q.weight", new long[] {64, 64});
                expected.put(b + "attn_k.weight", new long[] {64, 32});
                expected.put(b + "attn_v.weight", new long[] {64, 32});
                expected.put(b + "attn_output.weight", new long[] {64, 64});
                expected.put(b + "attn_norm.weight", new long[] {64});
                expected.put(b + "ffn_gate.weight", new long[] {64, 172});
                expected.put(b + "ffn_down.weight", new long[] {172, 64});
                expected.put(b + "ffn_up.weight", new long[] {64, 172});
                expected.put(b + "ffn_norm.weight", new long[] {64});
            }
            assertThat(f.tensors()).extracting(GgufTensorInfo::name).containsExactlyInAnyOrderElementsOf(expected.keySet());
            long end = 0;
            for (GgufTensorInfo t : f.tensors()) {
                assertThat(t.type()).as(t.name()).isEqualTo(GgmlType.F32);
                assertThat(t.shape()).as(t.name()).containsExactly(expected.get(t.name()));
                assertThat(t.byteSize()).isEqualTo(t.elementCount() * 4);
                assertThat(t.offset() % 32).isZero();
                end = Math.max(end, t.offset() + t.byteSize());
            }
            assertThat(f.dataOffset() + end).isEqualTo(f.size()).isEqualTo(1_185_376);
        }
    }

    @Test
    void stories260KEmbeddingIsBitIdenticalToTheLlama2cCheckpoint() throws IOException {
        byte[] bin = Files.readAllBytes(SharedData.file("models/stories260K/stories260K.bin"));
        MemorySegment checkpoint = MemorySegment.ofArray(bin);
        int headerBytes = 7 * 4; // dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
        try (GgufFile f = GgufFile.open(SharedData.file("models/stories260K/stories260K.gguf"))) {
            Tensor embd = f.requireTensor("token_embd.weight");
            Tensor output = f.requireTensor("output.weight");
            assertThat(embd.data().byteSize()).isEqualTo(512 * 64 * 4);
            for (long i = 0; i < 512 * 64; i++) {
                float expected = checkpoint.get(F32, headerBytes + 4 * i);
                assertThat(embd.data().get(F32, 4 * i)).isEqualTo(expected);
                assertThat(output.data().get(F32, 4 * i)).isEqualTo(expected);
            }
            assertThat(f.tensor("no.such.tensor")).isEmpty();
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.requireTensor("no.such.tensor"));
            assertThat(e.getMessage()).contains("stories260K.gguf").contains("tensor 'no.such.tensor' is missing");
        }
    }

    @Test
    void llama2TinyRandomHasF16MatricesAndTheLlama2Vocabulary() {
        try (GgufFile f = GgufFile.open(SharedData.file("models/llama-2-tiny-random/llama-2-tiny-random.gguf"))) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.tensors()).hasSize(12);
            GgufMetadata m = f.metadata();
            assertThat(m.size()).isEqualTo(18);
            assertThat(m.getString("general.name")).isEqualTo("LLaMA v2");
            assertThat(m.getInt("general.file_type")).isEqualTo(1);
            assertThat(m.getInt("llama.embedding_length")).isEqualTo(8);
            assertThat(m.getInt("llama.block_count")).isEqualTo(1);
            assertThat(m.getInt("llama.feed_forward_length")).isEqualTo(32);
            assertThat(m.getInt("llama.attention.head_count")).isEqualTo(2);
            assertThat(m.getInt("llama.attention.head_count_kv")).isEqualTo(2);
            assertThat(m.getInt("llama.rope.dimension_count")).isEqualTo(4);
            assertThat(m.getInt("llama.context_length")).isEqualTo(4096);
            assertThat(m.getStringArray("tokenizer.ggml.tokens")).hasSize(32_000);
            assertThat(m.getFloatArray("tokenizer.ggml.scores")).hasSize(32_000);
            for (GgufTensorInfo t : f.tensors()) {
                GgmlType expected = t.shape().length == 2 ? GgmlType.F16 : GgmlType.F32;
                assertThat(t.type()).as(t.name()).isEqualTo(expected);
                assertThat(f.tensor(t).data().byteSize()).isEqualTo(t.elementCount() * (expected == GgmlType.F16 ? 2 : 4));
            }
            assertThat(f.tensor("output.weight")).isPresent();
            assertThat(f.requireTensor("token_embd.weight").shape()).containsExactly(8, 32_000);
        }
    }

    @Test
    void llamaVocabularyFileHasNoTensorsAndTheSameTokens() {
        List<String> tiny;
        try (GgufFile f = GgufFile.open(SharedData.file("models/llama-2-tiny-random/llama-2-tiny-random.gguf"))) {
            tiny = List.copyOf(f.metadata().getStringArray("tokenizer.ggml.tokens"));
        }
        try (GgufFile f = GgufFile.open(SharedData.file("models/llama2-tokenizer/ggml-vocab-llama-spm.gguf"))) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.tensors()).isEmpty();
            GgufMetadata m = f.metadata();
            assertThat(m.size()).isEqualTo(22);
            assertThat(m.getString("general.architecture")).isEqualTo("llama");
            assertThat(m.getString("tokenizer.ggml.model")).isEqualTo("llama");
            assertThat(m.getString("tokenizer.ggml.pre")).isEqualTo("default");
            List<String> tokens = m.getStringArray("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(32_000).isEqualTo(tiny);
            assertThat(tokens.get(15043)).isEqualTo("▁Hello");
            assertThat(m.getFloatArray("tokenizer.ggml.scores")).hasSize(32_000);
            int[] types = m.getIntArray("tokenizer.ggml.token_type");
            assertThat(types[0]).isEqualTo(2);
            assertThat(types[1]).isEqualTo(3);
            assertThat(types[3]).isEqualTo(6);
            assertThat(types[1000]).isEqualTo(1);
            assertThat(m.getInt("tokenizer.ggml.bos_token_id")).isEqualTo(1);
            assertThat(m.getInt("tokenizer.ggml.eos_token_id")).isEqualTo(2);
            assertThat(m.getInt("tokenizer.ggml.unknown_token_id")).isEqualTo(0);
        }
    }
}
