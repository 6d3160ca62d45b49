package dev.llamaj.cli;

import dev.llamaj.core.gguf.GgufFile;
import dev.llamaj.core.gguf.GgufMetadata;
import dev.llamaj.tokenizer.PieceType;
import dev.llamaj.tokenizer.Tokenizer;
import dev.llamaj.tokenizer.TokenizerFormatException;
import dev.llamaj.tokenizer.Vocabulary;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Builds the tokenizer of a GGUF file from its {@code tokenizer.ggml.*} metadata. Only
 * {@code tokenizer.ggml.model = "llama"} (SentencePiece BPE) is accepted. When llama-core gets its
 * own vocabulary reader for {@code Model.tokenizer()}, this should call that instead.
 */
final class GgufTokenizerLoader {
    private GgufTokenizerLoader() {
    }

    static Tokenizer load(Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufMetadata m = gguf.metadata();
            String model = m.optString("tokenizer.ggml.model").orElse(null);
            if (!"llama".equals(model)) {
                throw new TokenizerFormatException(file, "tokenizer.ggml.model is "
                        + (model == null ? "absent" : "'" + model + "'") + ", expected 'llama' (SentencePiece BPE)");
            }
            List<String> tokens = m.getStringArray("tokenizer.ggml.tokens");
            float[] scores = m.contains("tokenizer.ggml.scores") ? m.getFloatArray("tokenizer.ggml.scores")
                    : new float[tokens.size()];
            int[] types;
            if (m.contains("tokenizer.ggml.token_type")) {
                types = m.getIntArray("tokenizer.ggml.token_type");
            } else {
                types = new int[tokens.size()];
                Arrays.fill(types, PieceType.NORMAL);
            }
            Vocabulary.Builder b = Vocabulary.builder(tokens, scores, types);
            m.optInt("tokenizer.ggml.unknown_token_id").ifPresent(b::unkId);
            m.optInt("tokenizer.ggml.bos_token_id").ifPresent(b::bosId);
            m.optInt("tokenizer.ggml.eos_token_id").ifPresent(b::eosId);
            m.optBool("tokenizer.ggml.add_bos_token").ifPresent(b::addBos);
            m.optBool("tokenizer.ggml.add_eos_token").ifPresent(b::addEos);
            m.optBool("tokenizer.ggml.add_space_prefix").ifPresent(b::addDummyPrefix);
            m.optBool("tokenizer.ggml.remove_extra_whitespaces").ifPresent(b::removeExtraWhitespaces);
            return Tokenizer.fromVocabulary(b.build());
        } catch (TokenizerFormatException e) {
            if (e.getMessage().startsWith(file.toString())) {
                throw e;
            }
            throw new TokenizerFormatException(file, e.getMessage(), e);
        }
    }
}
