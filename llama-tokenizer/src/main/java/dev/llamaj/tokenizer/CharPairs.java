package dev.llamaj.tokenizer;

import java.util.List;
import java.util.function.IntPredicate;

/**
 * Every pair of adjacent code points that occurs inside some mergeable piece. Where two
 * neighbouring characters of the text form no such pair, no merge can ever span the boundary
 * between them (the merged symbol would be a piece containing that pair), so BPE can run on each
 * side separately with the very same result, in small heaps. Immutable.
 */
final class CharPairs {
    private final long[] slots;
    private final int mask;

    CharPairs(List<String> pieces, IntPredicate mergeable) {
        int count = 0;
        for (int i = 0; i < pieces.size(); i++) {
            if (mergeable.test(i)) {
                count += pieces.get(i).length();
            }
        }
        int capacity = Integer.highestOneBit(Math.max(8, count * 2)) << 1;
        slots = new long[capacity];
        mask = capacity - 1;
        for (int i = 0; i < pieces.size(); i++) {
            if (!mergeable.test(i)) {
                continue;
            }
            String piece = pieces.get(i);
            int previous = -1;
            for (int k = 0; k < piece.length(); ) {
                int cp = piece.codePointAt(k);
                if (previous >= 0) {
                    add(pack(previous, cp));
                }
                previous = cp;
                k += Character.charCount(cp);
            }
        }
    }

    /** Whether the code points {@code first} then {@code second} occur side by side in some piece. */
    boolean contains(int first, int second) {
        long key = pack(first, second);
        int slot = spread(key) & mask;
        long entry;
        while ((entry = slots[slot]) != 0) {
            if (entry == key) {
                return true;
            }
            slot = (slot + 1) & mask;
        }
        return false;
    }

    private void add(long key) {
        int slot = spread(key) & mask;
        long entry;
        while ((entry = slots[slot]) != 0) {
            if (entry == key) {
                return;
            }
            slot = (slot + 1) & mask;
        }
        slots[slot] = key;
    }

    /** Never 0 (the empty-slot marker): the high half holds first + 1. */
    private static long pack(int first, int second) {
        return ((long) (first + 1) << 32) | (second & 0xFFFFFFFFL);
    }

    private static int spread(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29));
    }
}
