package dev.llamaj.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamaj.core.gguf.GgufFile;
import dev.llamaj.core.gguf.GgufTensorInfo;
import dev.llamaj.core.gguf.GgufValue;
import dev.llamaj.core.gguf.GgufWriter;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.testdata.SharedData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model-level checks on top of the GGUF reader's: what makes a well-formed GGUF file an unusable
 * Llama model must be reported with the file, the key or tensor, and what was expected.
 */
class ModelLoadTest {
    @TempDir
    Path dir;

    private static Path stories() {
        return SharedData.file("models/stories260K/stories260K.gguf");
    }

    /** Copies stories260K.gguf, replacing or removing (null value) metadata and dropping tensors. */
    private Path variant(String name, Map<String, GgufValue> changes, Set<String> dropTensors,
                         UnaryOperator<long[]> reshape) throws IOException {
        Path out = dir.resolve(name + ".gguf");
        try (GgufFile src = GgufFile.open(stories())) {
            GgufWriter w = new GgufWriter();
            src.metadata().asMap().forEach((k, v) -> {
                if (!changes.containsKey(k)) {
                    w.put(k, v);
                } else if (changes.get(k) != null) {
                    w.put(k, changes.get(k));
                }
            });
            for (GgufTensorInfo info : src.tensors()) {
                if (dropTensors.contains(info.name())) {
                    continue;
                }
                Tensor t = src.tensor(info);
                long[] shape = info.name().equals("blk.0.ffn_up.weight") ? reshape.apply(t.shape()) : t.shape();
                w.addTensor(info.name(), t.type(), shape, t.data().asSlice(0, t.type().bytesFor(product(shape))));
            }
            w.write(out);
        }
        return out;
    }

    private static long product(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private Path variant(String name, Map<String, GgufValue> changes) throws IOException {
        return variant(name, changes, Set.of(), UnaryOperator.identity());
    }

    private static Map<String, GgufValue> removing(String key) {
        java.util.HashMap<String, GgufValue> m = new java.util.HashMap<>();
        m.put(key, null);
        return m;
    }

    @Test
    void aMissingRequiredKeyIsNamed() throws IOException {
        Path f = variant("no-dim", removing("llama.embedding_length"));
        assertThatThrownBy(() -> Model.builder(f).kernels("scalar").load())
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("llama.embedding_length");
    }

    @Test
    void aNonLlamaArchitectureIsRefused() throws IOException {
        Path f = variant("gpt2", Map.of("general.architecture", GgufValue.string("gpt2")));
        assertThatThrownBy(() -> Model.builder(f).kernels("scalar").load())
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("general.architecture is 'gpt2'")
                .hasMessageContaining("only 'llama'");
    }

    @Test
    void aTensorWhoseShapeDisagreesWithTheHyperParametersIsNamed() throws IOException {
        Path f = variant("reshaped", Map.of(), Set.of(), s -> new long[] {s[0], s[1] - 4});
        assertThatThrownBy(() -> Model.builder(f).kernels("scalar").load())
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("tensor 'blk.0.ffn_up.weight' has shape [64, 168]")
                .hasMessageContaining("imply [64, 172]");
    }

    @Test
    void aMissingTensorIsNamedWithItsExpectedShape() throws IOException {
        Path f = variant("no-k", Map.of(), Set.of("blk.3.attn_k.weight"), UnaryOperator.identity());
        assertThatThrownBy(() -> Model.builder(f).kernels("scalar").load())
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("tensor 'blk.3.attn_k.weight' is missing; expected shape [64, 32]");
    }

    @Test
    void inconsistentHeadCountsAreReported() throws IOException {
        Path f = variant("heads", Map.of("llama.attention.head_count_kv", GgufValue.uint32(3)));
        assertThatThrownBy(() -> Model.builder(f).kernels("scalar").load())
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("head count 8 is not a multiple of the KV head count 3");
    }

    @Test
    void aFileWithoutAVocabularyIsReported() throws IOException {
        Path f = variant("no-vocab", removing("tokenizer.ggml.tokens"));
        assertThatThrownBy(() -> Model.builder(f).kernels("scalar").load())
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("tokenizer.ggml.tokens");
    }

    @Test
    void anUnknownKernelNameListsTheAvailableOnes() {
        assertThatThrownBy(() -> Model.builder(stories()).kernels("quantum").load())
                .isInstanceOf(KernelUnavailableException.class)
                .hasMessageContaining("no kernels named 'quantum'")
                .hasMessageContaining("scalar");
    }

    @Test
    void aContextLongerThanTheModelsIsRefused() {
        assertThatThrownBy(() -> Model.builder(stories()).contextLength(4096).load())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exceeds the model's 2048");
    }

    @Test
    void configComesFromTheMetadataAndTheContextDefaultsToTheModels() {
        try (Model m = Model.builder(stories()).kernels("scalar").load()) {
            LlamaConfig c = m.config();
            assertThat(c).isEqualTo(new LlamaConfig(2048, 64, 5, 172, 8, 4, 8, 10000f, 1e-5f, 512, false));
            assertThat(m.contextLength()).isEqualTo(2048);
            assertThat(m.tokenizer().encode("Once upon a time")).containsExactly(403, 407, 261, 378);
        }
    }

    @Test
    void promptsThatDoNotFitTheContextAreAUserVisibleError() {
        try (Model m = Model.builder(stories()).kernels("scalar").contextLength(16).load();
             Session s = m.newSession()) {
            s.prefill(new int[] {1, 403, 407, 261, 378, 432, 383, 286, 261, 376});
            assertThatThrownBy(() -> s.prefill(new int[] {1, 2, 3, 4, 5, 6, 7}))
                    .isInstanceOf(ContextOverflowException.class)
                    .hasMessageContaining("cannot add 7 tokens at position 10: the context holds 16 (6 left)");
            assertThat(s.position()).as("nothing was added").isEqualTo(10);
            assertThatThrownBy(() -> s.decode(512)).hasMessageContaining("outside the vocabulary");
        }
    }

    /**
     * Weights read into memory instead of mapped are the same bytes: the same logits, bit for bit.
     * On {@code scalar}: the vector provider's float lane reductions may sum in another order
     * before and after C2 compiles them (the Vector API leaves that order unspecified), which made
     * a bit-for-bit comparison across two loads flaky there.
     */
    @Test
    void weightsReadIntoMemoryGiveTheSameLogitsAsMapped() {
        int[] prompt = {1, 403, 407, 261, 378, 290, 271};
        float[] mapped;
        try (Model m = Model.builder(stories()).kernels("scalar").load(); Session s = m.newSession()) {
            assertThat(m.gguf().mapped()).isTrue();
            mapped = s.prefill(prompt);
        }
        try (Model m = Model.builder(stories()).kernels("scalar").mmap(false).load(); Session s = m.newSession()) {
            assertThat(m.gguf().mapped()).isFalse();
            assertThat(s.prefill(prompt)).containsExactly(mapped);
        }
    }

    @Test
    void truncateRewindsSoTheSameTokensGiveTheSameLogits() {
        try (Model m = Model.builder(stories()).kernels("scalar").load();
             Session s = m.newSession()) {
            float[] first = s.prefill(new int[] {1, 403, 407, 261});
            s.decode(378);
            s.truncate(4);
            assertThat(s.tokens()).containsExactly(1, 403, 407, 261);
            float[] again = s.decode(378);
            s.reset();
            s.prefill(new int[] {1, 403, 407, 261});
            assertThat(s.decode(378)).containsExactly(again);
            assertThat(first).isNotEqualTo(again);
        }
    }

    @Test
    void closingAModelWithOpenSessionsNamesThem() {
        Model m = Model.builder(stories()).kernels("scalar").load();
        Session s = m.newSession();
        assertThatThrownBy(m::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("1 session(s) still open").hasMessageContaining(s.toString());
        s.close();
        m.close();
        assertThatThrownBy(m::newSession).hasMessageContaining("is closed");
    }
}
