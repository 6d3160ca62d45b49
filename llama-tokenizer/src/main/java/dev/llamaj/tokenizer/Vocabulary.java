package dev.llamaj.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A SentencePiece BPE vocabulary as plain lists, the way GGUF files carry it
 * ({@code tokenizer.ggml.tokens}, {@code .scores}, {@code .token_type}, the special ids and flags),
 * plus the normalizer switches of a {@code tokenizer.model}.
 *
 * <p>Types are numbered as in {@link PieceType}: 1 normal, 2 unknown, 3 control, 4 user-defined,
 * 5 unused, 6 byte. Special ids are {@code -1} when absent. The arrays are copied on the way in and
 * on the way out, so a {@code Vocabulary} is immutable; {@link #equals} compares arrays by reference
 * as records do, so compare the accessors' contents when that matters.
 *
 * <p>Most callers use {@link #builder(List, float[], int[])}, whose defaults are those of the
 * Llama 2 tokenizer.
 *
 * @param pieces                 the piece strings, U+2581 standing for a space
 * @param scores                 one score per piece; merges with higher scores happen first
 * @param types                  one {@link PieceType} per piece
 * @param unkId                  id of the unknown piece (required: sentencepiece needs one)
 * @param bosId                  id of the begin-of-sequence piece, or -1
 * @param eosId                  id of the end-of-sequence piece, or -1
 * @param addBos                 whether callers should put BOS in front by default
 * @param addEos                 whether callers should put EOS at the end by default
 * @param addDummyPrefix         whether encoding puts a space in front of the text
 * @param byteFallback           whether characters missing from the vocabulary become byte pieces
 * @param removeExtraWhitespaces whether leading, trailing and repeated spaces are dropped
 * @param escapeWhitespaces      whether spaces become U+2581 before the merges
 * @param padId                  id of the padding piece, or -1
 * @param unkSurface             what the unknown piece decodes to
 */
public record Vocabulary(List<String> pieces, float[] scores, int[] types, int unkId, int bosId, int eosId,
                         boolean addBos, boolean addEos, boolean addDummyPrefix, boolean byteFallback,
                         boolean removeExtraWhitespaces, boolean escapeWhitespaces, int padId, String unkSurface) {

    /** sentencepiece's default surface of {@code <unk>}: U+2047 between spaces. */
    public static final String DEFAULT_UNK_SURFACE = " \u2047 ";

    /** Validates sizes, types and ids; copies the arrays. */
    public Vocabulary {
        Objects.requireNonNull(pieces, "pieces");
        Objects.requireNonNull(scores, "scores");
        Objects.requireNonNull(types, "types");
        Objects.requireNonNull(unkSurface, "unkSurface");
        int n = pieces.size();
        if (n == 0) {
            throw new TokenizerFormatException("vocabulary has no pieces");
        }
        if (scores.length != n || types.length != n) {
            throw new TokenizerFormatException("vocabulary lists differ in length: " + n + " pieces, "
                    + scores.length + " scores, " + types.length + " types");
        }
        pieces = List.copyOf(pieces);
        scores = scores.clone();
        types = types.clone();
        for (int i = 0; i < n; i++) {
            if (!PieceType.isValid(types[i])) {
                throw new TokenizerFormatException("piece " + i + " '" + pieces.get(i) + "' has type " + types[i]
                        + ", expected 1..6 (normal, unknown, control, user-defined, unused, byte)");
            }
            if (pieces.get(i).isEmpty()) {
                throw new TokenizerFormatException("piece " + i + " is empty; sentencepiece pieces must not be");
            }
        }
        if (unkId < 0 || unkId >= n) {
            throw new TokenizerFormatException("unknown id " + unkId + " is outside the vocabulary (0.." + (n - 1) + ")");
        }
        checkOptionalId("bos", bosId, n);
        checkOptionalId("eos", eosId, n);
        checkOptionalId("pad", padId, n);
    }

    private static void checkOptionalId(String name, int id, int n) {
        if (id < -1 || id >= n) {
            throw new TokenizerFormatException(name + " id " + id + " is outside the vocabulary (0.." + (n - 1)
                    + ", or -1 for none)");
        }
    }

    /** A copy of the scores. */
    @Override
    public float[] scores() {
        return scores.clone();
    }

    /** A copy of the types. */
    @Override
    public int[] types() {
        return types.clone();
    }

    /** Number of pieces. */
    public int size() {
        return pieces.size();
    }

    /**
     * A builder with the Llama 2 defaults: unk 0, bos 1, eos 2, no pad, add BOS, no EOS, dummy
     * prefix on, extra whitespace kept, spaces escaped, byte fallback when there are byte pieces.
     */
    public static Builder builder(List<String> pieces, float[] scores, int[] types) {
        return new Builder(pieces, scores, types);
    }

    /** Options of a {@link Vocabulary}; {@link #build()} validates them. */
    public static final class Builder {
        private final List<String> pieces;
        private final float[] scores;
        private final int[] types;
        private int unkId = 0;
        private int bosId = 1;
        private int eosId = 2;
        private int padId = -1;
        private boolean addBos = true;
        private boolean addEos = false;
        private boolean addDummyPrefix = true;
        private Boolean byteFallback;
        private boolean removeExtraWhitespaces = false;
        private boolean escapeWhitespaces = true;
        private String unkSurface = DEFAULT_UNK_SURFACE;

        private Builder(List<String> pieces, float[] scores, int[] types) {
            this.pieces = Objects.requireNonNull(pieces, "pieces");
            this.scores = Objects.requireNonNull(scores, "scores");
            this.types = Objects.requireNonNull(types, "types");
        }

        public Builder unkId(int id) { this.unkId = id; return this; }
        public Builder bosId(int id) { this.bosId = id; return this; }
        public Builder eosId(int id) { this.eosId = id; return this; }
        public Builder padId(int id) { this.padId = id; return this; }
        public Builder addBos(boolean on) { this.addBos = on; return this; }
        public Builder addEos(boolean on) { this.addEos = on; return this; }
        public Builder addDummyPrefix(boolean on) { this.addDummyPrefix = on; return this; }
        public Builder byteFallback(boolean on) { this.byteFallback = on; return this; }
        public Builder removeExtraWhitespaces(boolean on) { this.removeExtraWhitespaces = on; return this; }
        public Builder escapeWhitespaces(boolean on) { this.escapeWhitespaces = on; return this; }
        public Builder unkSurface(String surface) { this.unkSurface = surface; return this; }

        /** The vocabulary; throws {@link TokenizerFormatException} when the lists are inconsistent. */
        public Vocabulary build() {
            boolean fallback = byteFallback != null ? byteFallback
                    : Arrays.stream(types).anyMatch(t -> t == PieceType.BYTE);
            return new Vocabulary(pieces, scores, types, unkId, bosId, eosId, addBos, addEos, addDummyPrefix,
                    fallback, removeExtraWhitespaces, escapeWhitespaces, padId, unkSurface);
        }
    }
}
