package dev.llamaj.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * sentencepiece's BPE segmentation of a normalized string. The string is split into characters
 * (user-defined pieces stay whole and never merge); then, repeatedly, the adjacent pair whose
 * concatenation is a vocabulary piece with the highest score is merged, the leftmost first among
 * equal scores, until no pair is a piece. Only normal, user-defined and unused pieces take part:
 * control, unknown and byte pieces can never come out of a merge, so {@code <s>} in the text stays
 * plain text. Leftover symbols that are no piece become the unknown id, or with byte fallback one
 * {@code <0xNN>} piece per UTF-8 byte. Unused pieces are split back into the pair they came from.
 *
 * <p>Candidates live in a heap and the symbols in a doubly linked list over arrays, so encoding is
 * O(n log n) in the text's length. Where two neighbouring characters occur side by side in no
 * piece ({@link CharPairs}), no merge can cross, and each side is merged on its own: same result,
 * small heaps. Immutable; each call uses its own working arrays.
 */
final class BpeModel {
    private final List<String> pieces;
    private final float[] scores;
    private final int[] types;
    private final PieceTable mergeable;
    private final CharPairs charPairs;
    private final UserSymbols userSymbols;
    private final int[] byteIds;
    private final int unkId;
    private final boolean byteFallback;
    private final boolean hasUnused;

    BpeModel(Vocabulary v, UserSymbols userSymbols, int[] byteIds) {
        this.pieces = v.pieces();
        this.scores = v.scores();
        this.types = v.types();
        this.mergeable = new PieceTable(pieces, i -> isMergeable(types[i]));
        this.charPairs = new CharPairs(pieces, i -> isMergeable(types[i]));
        this.userSymbols = userSymbols;
        this.byteIds = byteIds;
        this.unkId = v.unkId();
        this.byteFallback = v.byteFallback();
        this.hasUnused = Arrays.stream(types).anyMatch(t -> t == PieceType.UNUSED);
    }

    private static boolean isMergeable(int type) {
        return type == PieceType.NORMAL || type == PieceType.USER_DEFINED || type == PieceType.UNUSED;
    }

    /** Appends the ids of the normalized string {@code s} to {@code out}. */
    void encode(String s, IdList out) {
        if (s.isEmpty()) {
            return;
        }
        Symbols sym = split(s);
        MergeQueue queue = new MergeQueue(64);
        Map<String, String[]> unmerge = hasUnused ? new HashMap<>() : null;
        int segmentStart = 0;
        for (int i = 1; i < sym.count; i++) {
            if (!canJoin(s, sym, i - 1, i)) {
                mergeSegment(s, sym, segmentStart, i, queue, unmerge, out);
                segmentStart = i;
            }
        }
        mergeSegment(s, sym, segmentStart, sym.count, queue, unmerge, out);
    }

    /** Whether some merge could ever span the boundary between initial symbols {@code a} and {@code a+1}. */
    private boolean canJoin(String s, Symbols sym, int a, int b) {
        return !sym.frozen[a] && !sym.frozen[b] && charPairs.contains(s.codePointAt(sym.start[a]), s.codePointAt(sym.start[b]));
    }

    /** Runs the merges over symbols {@code [from, to)}, which no merge can leave, and emits their ids. */
    private void mergeSegment(String s, Symbols sym, int from, int to, MergeQueue queue,
                              Map<String, String[]> unmerge, IdList out) {
        sym.prev[from] = -1;
        sym.next[to - 1] = -1;
        queue.clear();
        for (int i = from + 1; i < to; i++) {
            offer(s, sym, queue, unmerge, i - 1, i);
        }
        int[] length = sym.length;
        while (!queue.isEmpty()) {
            int left = queue.pop();
            int right = queue.topRight();
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != queue.topSize()) {
                continue; // stale: one side was merged since this candidate was queued
            }
            length[left] += length[right];
            length[right] = 0;
            int after = sym.next[right];
            sym.next[left] = after;
            if (after >= 0) {
                sym.prev[after] = left;
            }
            offer(s, sym, queue, unmerge, sym.prev[left], left);
            offer(s, sym, queue, unmerge, left, after);
        }
        for (int i = from; i != -1; i = sym.next[i]) {
            emit(s, sym.start[i], length[i], unmerge, out);
        }
    }

    private Symbols split(String s) {
        int n = s.length();
        Symbols sym = new Symbols(n);
        int count = 0;
        for (int pos = 0; pos < n; ) {
            int length = userSymbols.isEmpty() ? 0 : userSymbols.match(s, pos);
            boolean frozen = length > 0;
            if (!frozen) {
                length = Character.isHighSurrogate(s.charAt(pos)) && pos + 1 < n
                        && Character.isLowSurrogate(s.charAt(pos + 1)) ? 2 : 1;
            }
            sym.start[count] = pos;
            sym.length[count] = length;
            sym.frozen[count] = frozen;
            sym.prev[count] = count - 1;
            pos += length;
            sym.next[count] = pos < n ? count + 1 : -1;
            count++;
        }
        sym.count = count;
        return sym;
    }

    private void offer(String s, Symbols sym, MergeQueue queue, Map<String, String[]> unmerge, int left, int right) {
        if (left < 0 || right < 0 || sym.frozen[left] || sym.frozen[right]) {
            return;
        }
        int size = sym.length[left] + sym.length[right];
        int id = mergeable.find(s, sym.start[left], size);
        if (id < 0) {
            return;
        }
        queue.push(scores[id], left, right, size);
        if (unmerge != null && types[id] == PieceType.UNUSED) {
            int start = sym.start[left];
            int middle = start + sym.length[left];
            unmerge.put(s.substring(start, start + size),
                    new String[] {s.substring(start, middle), s.substring(middle, start + size)});
        }
    }

    private void emit(String s, int start, int length, Map<String, String[]> unmerge, IdList out) {
        int id = mergeable.find(s, start, length);
        if (id >= 0 && types[id] == PieceType.UNUSED && unmerge != null) {
            String[] parts = unmerge.get(s.substring(start, start + length));
            if (parts != null) {
                emit(parts[0], 0, parts[0].length(), unmerge, out);
                emit(parts[1], 0, parts[1].length(), unmerge, out);
                return;
            }
        }
        if (id >= 0) {
            out.add(id);
        } else if (byteFallback) {
            for (byte b : s.substring(start, start + length).getBytes(StandardCharsets.UTF_8)) {
                int byteId = byteIds[b & 0xFF];
                out.add(byteId >= 0 ? byteId : unkId);
            }
        } else {
            out.add(unkId);
        }
    }

    /** The symbol list of one encode call: a doubly linked list over arrays. */
    private static final class Symbols {
        final int[] start;
        final int[] length;
        final int[] prev;
        final int[] next;
        final boolean[] frozen;
        int count;

        Symbols(int capacity) {
            start = new int[capacity];
            length = new int[capacity];
            prev = new int[capacity];
            next = new int[capacity];
            frozen = new boolean[capacity];
        }
    }
}
