package dev.llamaj.core.model;

import dev.llamaj.core.LlamaConfig;
import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.Kernels;
import java.util.List;

/**
 * The Llama 2 forward pass, in the paper's order. The kernels do the arithmetic; this class only
 * says what is computed:
 * <pre>
 *   x = embed(tokens)
 *   for each layer:
 *     x += Wo · attention(RoPE(Wq · norm(x)), RoPE(Wk · norm(x)), Wv · norm(x))   // grouped KV heads
 *     x += Wdown · (silu(Wgate · norm(x)) ⊙ (Wup · norm(x)))                     // SwiGLU
 *   logits = Wout · norm(x)
 * </pre>
 * Products of one input with several weights (Wq, Wk, Wv; Wgate, Wup) go to the kernels in one
 * call, so that a provider can prepare the input once. Stateless apart from its weights; a
 * {@link ForwardState} carries one session's cache and buffers.
 */
public final class Transformer {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Kernels kernels;

    public Transformer(LlamaConfig config, LlamaWeights weights, Kernels kernels) {
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
    }

    public LlamaConfig config() {
        return config;
    }

    public Kernels kernels() {
        return kernels;
    }

    /**
     * Runs {@code tokens} (at most {@code state.batchCapacity()}) at positions
     * {@code startPos ..} through the model, appending their keys and values to the cache.
     * Leaves the logits of the last token in row 0 of {@code state.logits} or, when
     * {@code allLogits}, the logits of token i in row i.
     */
    public void forward(ForwardState s, int[] tokens, int startPos, boolean allLogits) {
        int n = tokens.length;
        LlamaConfig c = config;
        Kernels k = kernels;
        k.embed(s.x, weights.tokenEmbedding(), tokens);
        for (int l = 0; l < c.blockCount(); l++) {
            LlamaWeights.Layer w = weights.layers().get(l);
            // attention block
            k.rmsNorm(s.xb, s.x, w.attentionNorm(), c.rmsEpsilon(), n);
            k.matmul(List.of(s.q, s.k, s.v), List.of(w.wq(), w.wk(), w.wv()), s.xb, n);
            k.rope(s.q, c.headCount(), c.headSize(), c.ropeDimensionCount(), c.ropeFreqBase(), startPos, n);
            k.rope(s.k, c.kvHeadCount(), c.headSize(), c.ropeDimensionCount(), c.ropeFreqBase(), startPos, n);
            k.attention(s.attended, s.q, s.k, s.v, s.cache, l, startPos, n, c.headCount(), c.kvHeadCount());
            k.matmul(s.xb, w.wo(), s.attended, n);
            k.add(s.x, s.xb, n);
            // feed-forward block (SwiGLU)
            k.rmsNorm(s.xb, s.x, w.ffnNorm(), c.rmsEpsilon(), n);
            k.matmul(List.of(s.gate, s.up), List.of(w.gate(), w.up()), s.xb, n);
            k.swiglu(s.gate, s.up, n);
            k.matmul(s.xb, w.down(), s.gate, n);
            k.add(s.x, s.xb, n);
        }
        Activations last = s.x;
        int rows = n;
        if (!allLogits) {
            k.copyRows(s.xb, 0, s.x, n - 1, 1);
            last = s.xb;
            rows = 1;
        }
        k.rmsNorm(last, last, weights.outputNorm(), c.rmsEpsilon(), rows);
        k.matmul(s.logits, weights.output(), last, rows);
    }
}
