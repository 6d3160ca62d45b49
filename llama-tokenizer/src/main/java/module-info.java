/**
 * SentencePiece BPE tokenization with the exact ids of the sentencepiece library.
 * Knows nothing of GGUF: llama-core hands it plain lists through {@code Vocabulary}.
 */
module dev.llamaj.tokenizer {
    exports dev.llamaj.tokenizer;
}
