package dev.llamaj.tokenizer;

/**
 * The kinds of pieces, numbered as in sentencepiece's {@code ModelProto.SentencePiece.Type} and as
 * GGUF's {@code tokenizer.ggml.token_type} stores them.
 */
public final class PieceType {
    /** An ordinary piece that merges may produce. */
    public static final int NORMAL = 1;
    /** The unknown piece ({@code <unk>}). */
    public static final int UNKNOWN = 2;
    /** A control piece ({@code <s>}, {@code </s>}): never produced from text, decodes to nothing. */
    public static final int CONTROL = 3;
    /** A user-defined piece: always kept whole when it occurs in text. */
    public static final int USER_DEFINED = 4;
    /** A piece kept in the vocabulary but never emitted (re-split into the pieces it was merged from). */
    public static final int UNUSED = 5;
    /** A byte-fallback piece {@code <0xNN>}. */
    public static final int BYTE = 6;

    private PieceType() {
    }

    /** Whether {@code type} is one of the six known kinds. */
    public static boolean isValid(int type) {
        return type >= NORMAL && type <= BYTE;
    }
}
