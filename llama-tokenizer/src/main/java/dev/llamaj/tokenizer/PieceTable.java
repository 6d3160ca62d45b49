package dev.llamaj.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Finds the id of a piece given as a range of a {@link CharSequence}, without building a String:
 * the BPE loop asks this once per candidate merge. Open addressing over {@link String#hashCode()}
 * values (the same polynomial is computed over the range). Immutable after construction.
 */
final class PieceTable {
    private final String[] keys;
    private final int[] ids;
    private final int mask;

    /** A table of the pieces whose index {@code accept} selects; the first occurrence of a duplicate wins. */
    PieceTable(List<String> pieces, java.util.function.IntPredicate accept) {
        int count = 0;
        for (int i = 0; i < pieces.size(); i++) {
            if (accept.test(i)) {
                count++;
            }
        }
        int capacity = Integer.highestOneBit(Math.max(4, count * 2 + 1)) << 1;
        keys = new String[capacity];
        ids = new int[capacity];
        Arrays.fill(ids, -1);
        mask = capacity - 1;
        for (int i = 0; i < pieces.size(); i++) {
            if (accept.test(i)) {
                String piece = pieces.get(i);
                int slot = spread(piece.hashCode()) & mask;
                while (keys[slot] != null && !keys[slot].equals(piece)) {
                    slot = (slot + 1) & mask;
                }
                if (keys[slot] == null) {
                    keys[slot] = piece;
                    ids[slot] = i;
                }
            }
        }
    }

    /** The id of {@code text[start, start+length)}, or -1. */
    int find(CharSequence text, int start, int length) {
        int h = 0;
        for (int i = start, end = start + length; i < end; i++) {
            h = 31 * h + text.charAt(i);
        }
        int slot = spread(h) & mask;
        String key;
        while ((key = keys[slot]) != null) {
            if (key.length() == length && regionEquals(key, text, start)) {
                return ids[slot];
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    /** The id of {@code piece}, or -1. */
    int find(String piece) {
        return find(piece, 0, piece.length());
    }

    private static boolean regionEquals(String key, CharSequence text, int start) {
        if (text instanceof String s) {
            return s.regionMatches(start, key, 0, key.length());
        }
        for (int i = 0; i < key.length(); i++) {
            if (key.charAt(i) != text.charAt(start + i)) {
                return false;
            }
        }
        return true;
    }

    private static int spread(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
