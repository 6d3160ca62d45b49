package dev.llamaj.tokenizer;

import java.util.List;

/**
 * What each non-byte piece decodes to, as sentencepiece's decoder has it: control pieces to
 * nothing, the unknown piece to its surface (" \u2047 " by default), other pieces with U+2581 read
 * as a space, and, at the start of the text, one leading U+2581 dropped (the dummy prefix).
 * Immutable; shared by {@link Tokenizer#decode} and every {@link StreamingDecoder}.
 */
final class PieceSurfaces {
    private final String[] surfaces;
    private final boolean[] startsWithSpace;
    private final int[] types;
    private final String unkSurface;
    private final boolean stripBosSpace;
    private final boolean removeExtraWhitespaces;

    PieceSurfaces(Vocabulary v) {
        List<String> pieces = v.pieces();
        this.types = v.types();
        this.surfaces = new String[pieces.size()];
        this.startsWithSpace = new boolean[pieces.size()];
        for (int i = 0; i < surfaces.length; i++) {
            String piece = pieces.get(i);
            surfaces[i] = piece.replace(Normalizer.SPACE_SYMBOL, ' ');
            startsWithSpace[i] = piece.charAt(0) == Normalizer.SPACE_SYMBOL;
        }
        this.unkSurface = v.unkSurface();
        this.stripBosSpace = v.addDummyPrefix() || v.removeExtraWhitespaces();
        this.removeExtraWhitespaces = v.removeExtraWhitespaces();
    }

    boolean isByte(int id) {
        return types[id] == PieceType.BYTE;
    }

    /**
     * Appends the surface of non-byte piece {@code id}; {@code atStart} says whether a leading space
     * is still to be dropped. Returns whether this piece consumed that space (after which the next
     * piece keeps its own), as sentencepiece tracks it.
     */
    boolean append(int id, boolean atStart, StringBuilder out) {
        switch (types[id]) {
            case PieceType.CONTROL -> {
                return false;
            }
            case PieceType.UNKNOWN -> {
                out.append(unkSurface);
                return false;
            }
            default -> {
                String surface = surfaces[id];
                if (atStart && stripBosSpace && startsWithSpace[id]) {
                    out.append(surface, 1, surface.length());
                    return !removeExtraWhitespaces;
                }
                out.append(surface);
                return false;
            }
        }
    }
}
