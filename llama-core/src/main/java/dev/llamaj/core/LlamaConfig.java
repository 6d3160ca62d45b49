package dev.llamaj.core;

/**
 * A Llama model's hyper-parameters, as its {@code llama.*} metadata gives them.
 *
 * @param contextLength      positions the model was trained for
 * @param embeddingLength    width of the residual stream (dim)
 * @param blockCount         transformer layers
 * @param feedForwardLength  hidden width of the SwiGLU FFN
 * @param headCount          query heads
 * @param kvHeadCount        key/value heads (fewer than query heads: grouped-query attention)
 * @param ropeDimensionCount dimensions of each head that RoPE rotates
 * @param ropeFreqBase       RoPE's base frequency (10000 for Llama 2)
 * @param rmsEpsilon         RMSNorm's epsilon
 * @param vocabSize          tokens in the vocabulary (rows of the embedding)
 * @param tiedEmbeddings     whether the output projection reuses the token embedding
 */
public record LlamaConfig(int contextLength, int embeddingLength, int blockCount, int feedForwardLength,
                          int headCount, int kvHeadCount, int ropeDimensionCount, float ropeFreqBase,
                          float rmsEpsilon, int vocabSize, boolean tiedEmbeddings) {
    public LlamaConfig {
        positive("contextLength", contextLength);
        positive("embeddingLength", embeddingLength);
        positive("blockCount", blockCount);
        positive("feedForwardLength", feedForwardLength);
        positive("headCount", headCount);
        positive("kvHeadCount", kvHeadCount);
        positive("vocabSize", vocabSize);
        if (embeddingLength % headCount != 0) {
            throw new IllegalArgumentException("embedding length " + embeddingLength
                    + " is not a multiple of the head count " + headCount);
        }
        if (headCount % kvHeadCount != 0) {
            throw new IllegalArgumentException("head count " + headCount
                    + " is not a multiple of the KV head count " + kvHeadCount);
        }
        int headSize = embeddingLength / headCount;
        if (ropeDimensionCount <= 0 || ropeDimensionCount > headSize || ropeDimensionCount % 2 != 0) {
            throw new IllegalArgumentException("RoPE dimension count " + ropeDimensionCount
                    + " must be even and in 1.." + headSize + " (the head size)");
        }
        if (!(ropeFreqBase > 0) || !Float.isFinite(ropeFreqBase)) {
            throw new IllegalArgumentException("RoPE frequency base must be positive, got " + ropeFreqBase);
        }
        if (!(rmsEpsilon > 0) || !Float.isFinite(rmsEpsilon)) {
            throw new IllegalArgumentException("RMS epsilon must be positive, got " + rmsEpsilon);
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /** Dimensions per attention head. */
    public int headSize() {
        return embeddingLength / headCount;
    }

    /** Width of one key or value row: KV heads × head size. */
    public int kvDim() {
        return kvHeadCount * headSize();
    }
}
