package dev.llamaj.tokenizer;

import java.util.Arrays;

/**
 * The candidate merges of one encode call, best first: higher score first, and among equal scores
 * the leftmost, which is sentencepiece's order. A binary heap over primitive arrays, so a megabyte
 * of text costs no per-candidate objects. Not thread-safe: one per encode call.
 */
final class MergeQueue {
    private long[] keys;
    private int[] rights;
    private int[] sizes;
    private int count;

    private int topRight;
    private int topSize;

    MergeQueue(int capacity) {
        int c = Math.max(16, capacity);
        keys = new long[c];
        rights = new int[c];
        sizes = new int[c];
    }

    /** Orders by descending score, then ascending left index, as one signed long. */
    static long key(float score, int left) {
        int bits = Float.floatToIntBits(score == 0f ? 0f : score); // -0.0 ties with 0.0, as in C++
        int ordered = bits >= 0 ? bits : bits ^ 0x7FFFFFFF; // monotonic in the float's value
        return ((long) ~ordered << 32) | (left & 0xFFFFFFFFL);
    }

    void clear() {
        count = 0;
    }

    boolean isEmpty() {
        return count == 0;
    }

    void push(float score, int left, int right, int size) {
        if (count == keys.length) {
            int c = count * 2;
            keys = Arrays.copyOf(keys, c);
            rights = Arrays.copyOf(rights, c);
            sizes = Arrays.copyOf(sizes, c);
        }
        long key = key(score, left);
        int i = count++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) {
                break;
            }
            move(parent, i);
            i = parent;
        }
        keys[i] = key;
        rights[i] = right;
        sizes[i] = size;
    }

    /** Removes the best candidate and returns its left index; {@link #topRight()} and {@link #topSize()} give the rest. */
    int pop() {
        long top = keys[0];
        topRight = rights[0];
        topSize = sizes[0];
        int last = --count;
        if (last > 0) {
            long key = keys[last];
            int right = rights[last];
            int size = sizes[last];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= last) {
                    break;
                }
                if (child + 1 < last && keys[child + 1] < keys[child]) {
                    child++;
                }
                if (keys[child] >= key) {
                    break;
                }
                move(child, i);
                i = child;
            }
            keys[i] = key;
            rights[i] = right;
            sizes[i] = size;
        }
        return (int) top;
    }

    int topRight() {
        return topRight;
    }

    int topSize() {
        return topSize;
    }

    private void move(int from, int to) {
        keys[to] = keys[from];
        rights[to] = rights[from];
        sizes[to] = sizes[from];
    }
}
