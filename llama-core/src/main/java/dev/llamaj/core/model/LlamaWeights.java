package dev.llamaj.core.model;

import dev.llamaj.core.kernels.Weights;
import java.util.List;

/**
 * The tensors of a Llama model as the kernel provider holds them, names as in GGUF
 * ({@code blk.N.attn_q.weight}, ...). Shapes are checked against the config when loaded.
 *
 * @param tokenEmbedding {@code token_embd} [dim, vocab]
 * @param outputNorm     {@code output_norm} [dim]
 * @param output         {@code output} [dim, vocab], or the token embedding when tied
 * @param layers         one per block
 */
public record LlamaWeights(Weights tokenEmbedding, Weights outputNorm, Weights output, List<Layer> layers) {
    public LlamaWeights {
        layers = List.copyOf(layers);
    }

    /** One transformer block's weights. */
    public record Layer(Weights attentionNorm, Weights wq, Weights wk, Weights wv, Weights wo,
                        Weights ffnNorm, Weights gate, Weights up, Weights down) {
    }
}
