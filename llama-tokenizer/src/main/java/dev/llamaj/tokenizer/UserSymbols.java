package dev.llamaj.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The user-defined pieces, found by longest match at a position. sentencepiece keeps such a piece
 * whole, both in normalization and in the merges. Real vocabularies have few or none, so a lookup
 * per distinct length is enough. Immutable.
 */
final class UserSymbols {
    private final PieceTable table;
    private final int[] lengthsDescending;

    UserSymbols(List<String> pieces, int[] types) {
        this.table = new PieceTable(pieces, i -> types[i] == PieceType.USER_DEFINED);
        TreeSet<Integer> lengths = new TreeSet<>();
        for (int i = 0; i < pieces.size(); i++) {
            if (types[i] == PieceType.USER_DEFINED) {
                lengths.add(pieces.get(i).length());
            }
        }
        List<Integer> descending = new ArrayList<>(lengths.descendingSet());
        this.lengthsDescending = descending.stream().mapToInt(Integer::intValue).toArray();
    }

    boolean isEmpty() {
        return lengthsDescending.length == 0;
    }

    /** Length in chars of the longest user-defined piece starting at {@code pos}, or 0. */
    int match(CharSequence text, int pos) {
        int left = text.length() - pos;
        for (int length : lengthsDescending) {
            if (length <= left && table.find(text, pos, length) >= 0) {
                return length;
            }
        }
        return 0;
    }
}
