package dev.llamaj.core.model;

import dev.llamaj.core.LlamaConfig;
import dev.llamaj.core.ModelFormatException;
import dev.llamaj.core.gguf.GgufFile;
import dev.llamaj.core.gguf.GgufMetadata;
import dev.llamaj.core.kernels.Kernels;
import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.core.tensor.TensorFormat;
import dev.llamaj.tokenizer.Tokenizer;
import dev.llamaj.tokenizer.TokenizerFormatException;
import dev.llamaj.tokenizer.Vocabulary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Reads a Llama model's config, vocabulary and weights from a GGUF file, checking every shape. */
public final class ModelLoader {
    private ModelLoader() {
    }

    /** The {@code llama.*} hyper-parameters; missing or inconsistent keys name the key. */
    public static LlamaConfig config(GgufFile gguf) {
        GgufMetadata m = gguf.metadata();
        Path file = gguf.path();
        String arch = m.getString("general.architecture");
        if (!arch.equals("llama")) {
            throw new ModelFormatException(file, "general.architecture is '" + arch
                    + "'; only 'llama' (Llama 2 and its relatives) is supported");
        }
        int dim = m.getInt("llama.embedding_length");
        int heads = m.getInt("llama.attention.head_count");
        int kvHeads = m.optInt("llama.attention.head_count_kv").orElse(heads);
        int headSize = heads > 0 && dim % heads == 0 ? dim / heads : 0;
        int ropeDims = m.optInt("llama.rope.dimension_count").orElse(headSize);
        float freqBase = m.optFloat("llama.rope.freq_base").orElse(10000f);
        checkNoRopeScaling(gguf);
        int vocab = m.getArrayLength("tokenizer.ggml.tokens");
        boolean tied = gguf.tensor("output.weight").isEmpty();
        try {
            return new LlamaConfig(m.getInt("llama.context_length"), dim, m.getInt("llama.block_count"),
                    m.getInt("llama.feed_forward_length"), heads, kvHeads, ropeDims, freqBase,
                    m.getFloat("llama.attention.layer_norm_rms_epsilon"), vocab, tied);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "inconsistent llama.* hyper-parameters: " + e.getMessage(), e);
        }
    }

    private static void checkNoRopeScaling(GgufFile gguf) {
        GgufMetadata m = gguf.metadata();
        if (m.contains("llama.rope.scaling.type")) {
            String type = m.getString("llama.rope.scaling.type");
            if (!type.equals("none")) {
                throw new ModelFormatException(gguf.path(), "llama.rope.scaling.type is '" + type
                        + "'; RoPE scaling is not supported (Llama 2 models have none)");
            }
        }
    }

    /** The SentencePiece tokenizer the {@code tokenizer.ggml.*} keys describe. */
    public static Tokenizer tokenizer(GgufFile gguf) {
        GgufMetadata m = gguf.metadata();
        String model = m.getString("tokenizer.ggml.model");
        if (!model.equals("llama")) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.model is '" + model
                    + "'; only 'llama' (SentencePiece BPE) is supported");
        }
        List<String> tokens = m.getStringArray("tokenizer.ggml.tokens");
        int n = tokens.size();
        float[] scores = m.contains("tokenizer.ggml.scores") ? m.getFloatArray("tokenizer.ggml.scores") : new float[n];
        int[] types = m.contains("tokenizer.ggml.token_type") ? m.getIntArray("tokenizer.ggml.token_type") : filled(n, 1);
        if (scores.length != n || types.length != n) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.scores has " + scores.length
                    + " and tokenizer.ggml.token_type " + types.length + " entries; expected one per token (" + n + ")");
        }
        try {
            // llama.cpp's SPM defaults: a dummy-prefix space unless add_space_prefix says otherwise,
            // no whitespace collapsing, byte fallback when byte pieces exist
            return Tokenizer.fromVocabulary(Vocabulary.builder(tokens, scores, types)
                    .unkId(m.optInt("tokenizer.ggml.unknown_token_id").orElse(0))
                    .bosId(m.optInt("tokenizer.ggml.bos_token_id").orElse(1))
                    .eosId(m.optInt("tokenizer.ggml.eos_token_id").orElse(2))
                    .addBos(m.optBool("tokenizer.ggml.add_bos_token").orElse(true))
                    .addEos(m.optBool("tokenizer.ggml.add_eos_token").orElse(false))
                    .addDummyPrefix(m.optBool("tokenizer.ggml.add_space_prefix").orElse(true))
                    .removeExtraWhitespaces(m.optBool("tokenizer.ggml.remove_extra_whitespaces").orElse(false))
                    .build());
        } catch (IllegalArgumentException | TokenizerFormatException e) {
            throw new ModelFormatException(gguf.path(), "tokenizer.ggml.*: " + e.getMessage(), e);
        }
    }

    private static int[] filled(int n, int value) {
        int[] a = new int[n];
        Arrays.fill(a, value);
        return a;
    }

    /** Every weight, shape-checked against {@code c}, prepared by {@code kernels}. */
    public static LlamaWeights weights(GgufFile gguf, LlamaConfig c, Kernels kernels) {
        int dim = c.embeddingLength();
        int ffn = c.feedForwardLength();
        Tensor embedding = required(gguf, "token_embd.weight", dim, c.vocabSize());
        Weights embd = kernels.weights(embedding);
        Optional<Tensor> output = gguf.tensor("output.weight");
        Weights out = output.isPresent() ? kernels.weights(checked(gguf, output.get(), dim, c.vocabSize())) : embd;
        List<LlamaWeights.Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.blockCount(); l++) {
            String p = "blk." + l + ".";
            layers.add(new LlamaWeights.Layer(
                    kernels.weights(required(gguf, p + "attn_norm.weight", dim)),
                    kernels.weights(required(gguf, p + "attn_q.weight", dim, dim)),
                    kernels.weights(required(gguf, p + "attn_k.weight", dim, c.kvDim())),
                    kernels.weights(required(gguf, p + "attn_v.weight", dim, c.kvDim())),
                    kernels.weights(required(gguf, p + "attn_output.weight", dim, dim)),
                    kernels.weights(required(gguf, p + "ffn_norm.weight", dim)),
                    kernels.weights(required(gguf, p + "ffn_gate.weight", dim, ffn)),
                    kernels.weights(required(gguf, p + "ffn_up.weight", dim, ffn)),
                    kernels.weights(required(gguf, p + "ffn_down.weight", ffn, dim))));
        }
        return new LlamaWeights(embd, kernels.weights(required(gguf, "output_norm.weight", dim)), out, layers);
    }

    private static Tensor required(GgufFile gguf, String name, long... shape) {
        Tensor t = gguf.tensor(name).orElseThrow(() -> new ModelFormatException(gguf.path(),
                "tensor '" + name + "' is missing; expected shape " + Arrays.toString(shape)));
        return checked(gguf, t, shape);
    }

    private static Tensor checked(GgufFile gguf, Tensor t, long... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new ModelFormatException(gguf.path(), "tensor '" + t.name() + "' has shape "
                    + Arrays.toString(t.shape()) + " but the hyper-parameters imply " + Arrays.toString(shape));
        }
        GgmlType type = t.type();
        try {
            TensorFormat.of(type);
        } catch (UnsupportedOperationException e) {
            throw new ModelFormatException(gguf.path(), "tensor '" + t.name() + "' is stored as " + type
                    + ", which llamaj cannot compute with", e);
        }
        if (shape.length == 1 && type != GgmlType.F32) {
            throw new ModelFormatException(gguf.path(), "norm tensor '" + t.name() + "' is " + type + "; expected F32");
        }
        return t;
    }
}
