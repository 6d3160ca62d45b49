package dev.llamaj.core.kernels;

import dev.llamaj.core.tensor.Tensor;
import java.util.List;

/**
 * The operations a Llama forward pass is made of, over memory the provider owns. Each call is
 * coarse (a whole batch through a whole matrix) so a provider can parallelise or offload it, and
 * so that a token costs a few hundred calls, not thousands.
 *
 * <p>Operations act on rows {@code 0 .. n-1} of their {@link Activations} (one row per token of
 * the batch). A GPU provider may run them asynchronously; {@link Activations#read} waits for
 * the work that produced its data.
 *
 * <p>An instance is used by one thread at a time (a session's forward pass); the provider may
 * use more threads inside an operation. Different sessions may share one {@code Kernels} only
 * through the model, which serialises or separates them as documented there.
 */
public interface Kernels extends AutoCloseable {
    /** The provider's name. */
    String name();

    /** Worker threads used inside operations (1 for a GPU provider). */
    int threads();

    /** Prepares a weight tensor (a view of the mapping on the CPU; an upload on a GPU). */
    Weights weights(Tensor tensor);

    /** A {@code rows × cols} activation matrix, zero-filled. */
    Activations activations(int rows, int cols);

    /** A KV cache for {@code layers} layers of {@code capacity} positions, rows of {@code kvDim}. */
    KvCache kvCache(int layers, int capacity, int kvDim, KvCacheType type);

    /** Row i of {@code out} = row {@code tokens[i]} of {@code table}, as floats. */
    void embed(Activations out, Weights table, int[] tokens);

    /** RMSNorm: {@code out[i] = x[i] / sqrt(mean(x[i]²) + eps) * w}, for i &lt; n. {@code out} may be {@code x}. */
    void rmsNorm(Activations out, Activations x, Weights w, float eps, int n);

    /** {@code out[i] = W · x[i]} for i &lt; n: {@code out} has {@code W.rows()} columns, {@code x} {@code W.cols()}. */
    void matmul(Activations out, Weights w, Activations x, int n);

    /**
     * {@code outs.get(j)[i] = ws.get(j) · x[i]} for each j and i &lt; n: several weights over the
     * same input, as attention's Wq, Wk, Wv and the feed-forward's Wgate, Wup are. The results
     * are exactly those of one {@link #matmul(Activations, Weights, Activations, int)} per
     * weight, which is what this default does; a provider may share work between the products
     * (the vector provider rounds and packs {@code x} once and splits all their rows in one
     * parallel pass). No output may be {@code x}.
     *
     * @throws IllegalArgumentException when the lists are empty or of different sizes, or a shape disagrees
     */
    default void matmul(List<Activations> outs, List<Weights> ws, Activations x, int n) {
        if (outs.isEmpty() || outs.size() != ws.size()) {
            throw new IllegalArgumentException("matmul needs one output per weight and at least one: got " + outs.size()
                    + " outputs for " + ws.size() + " weights");
        }
        for (int j = 0; j < ws.size(); j++) {
            matmul(outs.get(j), ws.get(j), x, n);
        }
    }

    /**
     * Rotary position embedding in place, as llama.cpp applies it to GGUF's Q/K layout:
     * within each head of {@code headDim}, the adjacent pairs (2j, 2j+1) for 2j &lt; ropeDim are
     * rotated by angle {@code pos · freqBase^(-2j/ropeDim)}, where row i is at position
     * {@code startPos + i}.
     */
    void rope(Activations x, int heads, int headDim, int ropeDim, float freqBase, int startPos, int n);

    /**
     * Causal self-attention with grouped KV heads. Stores rows {@code k[i]}, {@code v[i]} into
     * {@code cache} layer {@code layer} at positions {@code startPos + i}, then for every query
     * row i and head h: {@code out[i]_h = softmax(q[i]_h · K_g^T / sqrt(headDim)) · V_g} over
     * positions {@code 0 .. startPos+i}, where {@code g = h / (heads / kvHeads)} and
     * {@code headDim = q.cols() / heads}.
     */
    void attention(Activations out, Activations q, Activations k, Activations v, KvCache cache, int layer,
                   int startPos, int n, int heads, int kvHeads);

    /** SwiGLU's gating: {@code gate[i] = silu(gate[i]) * up[i]}, element-wise, for i &lt; n. */
    void swiglu(Activations gate, Activations up, int n);

    /** Residual connection: {@code x[i] += y[i]} for i &lt; n. */
    void add(Activations x, Activations y, int n);

    /** Softmax of each row i &lt; n, in place. */
    void softmax(Activations x, int n);

    /** Copies rows {@code srcRow .. srcRow+n-1} of {@code src} to rows {@code dstRow ..} of {@code dst}. */
    void copyRows(Activations dst, int dstRow, Activations src, int srcRow, int n);

    /** Stops worker threads and frees what the provider holds. */
    @Override
    void close();
}
