package dev.llamaj.kernels.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The list of device operations recorded since the last flush, in the encoding
 * {@code src/main/cuda/llamaj_cuda.cu} interprets: an int stream (opcode, then that op's int
 * operands), a long stream (that op's device addresses, in order) and a float payload (data
 * written from the host: activation rows, token ids). One JNA call hands all three to the
 * device, so a token costs a handful of calls rather than one per operation.
 *
 * <p>Records only; validating shapes is the caller's job ({@link CudaKernels}).
 */
final class CommandBuffer {
    static final int EMBED = 1;
    static final int RMS_NORM = 2;
    static final int MATMUL = 3;
    static final int ROPE = 4;
    static final int ATTENTION = 5;
    static final int SWIGLU = 6;
    static final int ADD = 7;
    static final int SOFTMAX = 8;
    static final int COPY = 9;
    static final int WRITE = 10;

    private static final String[] NAMES = {"?", "embed", "rmsNorm", "matmul", "rope", "attention", "swiglu", "add",
        "softmax", "copyRows", "write"};
    // ints after the opcode, and addresses, per opcode (must match the C interpreter)
    private static final int[] INT_ARGS = {0, 4, 4, 4, 7, 7, 1, 1, 2, 1, 2};
    private static final int[] ADDRESSES = {0, 2, 3, 3, 1, 6, 2, 2, 1, 2, 1};

    private int[] ints = new int[256];
    private int intCount;
    private long[] longs = new long[128];
    private int longCount;
    private float[] payload = new float[1024];
    private int payloadCount;
    private int ops;

    void embed(long out, long table, int type, int cols, int[] tokens) {
        int offset = appendPayload(tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            payload[offset + i] = Float.intBitsToFloat(tokens[i]);
        }
        op(EMBED, out, table);
        ints(type, cols, tokens.length, offset);
    }

    void rmsNorm(long out, long x, long w, int wType, int cols, int n, float eps) {
        op(RMS_NORM, out, x, w);
        ints(wType, cols, n, Float.floatToRawIntBits(eps));
    }

    void matmul(long out, long w, long x, int type, int rows, int cols, int n) {
        op(MATMUL, out, w, x);
        ints(type, rows, cols, n);
    }

    void rope(long x, int cols, int heads, int headDim, int ropeDim, float freqBase, int startPos, int n) {
        op(ROPE, x);
        ints(cols, heads, headDim, ropeDim, Float.floatToRawIntBits(freqBase), startPos, n);
    }

    /** {@code cacheK}/{@code cacheV} are the addresses of the layer's first position. */
    void attention(long out, long q, long k, long v, long cacheK, long cacheV, boolean f16, int kvDim, int qCols,
                   int startPos, int n, int heads, int kvHeads) {
        op(ATTENTION, out, q, k, v, cacheK, cacheV);
        ints(f16 ? 1 : 0, kvDim, qCols, startPos, n, heads, kvHeads);
    }

    void swiglu(long gate, long up, int count) {
        op(SWIGLU, gate, up);
        ints(count);
    }

    void add(long x, long y, int count) {
        op(ADD, x, y);
        ints(count);
    }

    void softmax(long x, int cols, int n) {
        op(SOFTMAX, x);
        ints(cols, n);
    }

    void copy(long dst, long src, int count) {
        op(COPY, dst, src);
        ints(count);
    }

    /** Copies {@code src[0..count)} now, so the caller may reuse its array. */
    void write(long dst, float[] src, int count) {
        int offset = appendPayload(count);
        System.arraycopy(src, 0, payload, offset, count);
        op(WRITE, dst);
        ints(count, offset);
    }

    int ops() {
        return ops;
    }

    boolean isEmpty() {
        return ops == 0;
    }

    int[] ints() {
        return ints;
    }

    int intCount() {
        return intCount;
    }

    long[] longs() {
        return longs;
    }

    int longCount() {
        return longCount;
    }

    float[] payload() {
        return payload;
    }

    int payloadCount() {
        return payloadCount;
    }

    /** Forgets every recorded op: called after a flush. */
    void clear() {
        intCount = 0;
        longCount = 0;
        payloadCount = 0;
        ops = 0;
    }

    /**
     * The recorded ops decoded back, one line each ({@code "matmul 3 [12, 4096, 4096, 1] @[...]"}):
     * names the ops of a failed flush in error messages, and lets tests read what was recorded.
     */
    List<String> describe() {
        List<String> lines = new ArrayList<>(ops);
        int ip = 0;
        int lp = 0;
        while (ip < intCount) {
            int op = ints[ip];
            int[] args = Arrays.copyOfRange(ints, ip + 1, ip + 1 + INT_ARGS[op]);
            long[] addresses = Arrays.copyOfRange(longs, lp, lp + ADDRESSES[op]);
            lines.add(NAMES[op] + " " + Arrays.toString(args) + " @" + Arrays.toString(addresses));
            ip += 1 + INT_ARGS[op];
            lp += ADDRESSES[op];
        }
        return lines;
    }

    private void op(int opcode, long... addresses) {
        if (addresses.length != ADDRESSES[opcode]) {
            throw new IllegalStateException(NAMES[opcode] + " takes " + ADDRESSES[opcode] + " addresses");
        }
        ensureInts(1 + INT_ARGS[opcode]);
        ints[intCount++] = opcode;
        if (longCount + addresses.length > longs.length) {
            longs = Arrays.copyOf(longs, Math.max(longs.length * 2, longCount + addresses.length));
        }
        System.arraycopy(addresses, 0, longs, longCount, addresses.length);
        longCount += addresses.length;
        ops++;
    }

    private void ints(int... values) {
        System.arraycopy(values, 0, ints, intCount, values.length);
        intCount += values.length;
    }

    private void ensureInts(int more) {
        if (intCount + more > ints.length) {
            ints = Arrays.copyOf(ints, Math.max(ints.length * 2, intCount + more));
        }
    }

    private int appendPayload(int count) {
        if (payloadCount + count > payload.length) {
            payload = Arrays.copyOf(payload, Math.max(payload.length * 2, payloadCount + count));
        }
        int offset = payloadCount;
        payloadCount += count;
        return offset;
    }
}
