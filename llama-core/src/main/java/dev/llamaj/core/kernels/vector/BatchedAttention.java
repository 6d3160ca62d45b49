package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.L;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Causal attention for a batch of query rows (a prefill), one task per KV head and block of rows:
 * every query of the block that reads that KV head (its rows × the heads of its group) shares
 * one conversion of the head's keys and values to floats, and register tiles of
 * {@link #QUERIES} queries share each load of them.
 *
 * <p>Why: one query row at a time ({@link Attention}'s decode path) costs a horizontal sum per
 * cached position and reloads and reconverts the keys and values for every query; in a
 * 1800-token TinyLlama prefill attention took 38% of the time (perf), and the prefill ran at
 * 0.65× llama.cpp's speed against 0.8× for 128 tokens.
 *
 * <p>The keys are laid out transposed ({@code keys[c·stride + p]}), so scores have positions in
 * their lanes: {@link #QUERIES} queries share each load of a vector of positions' keys, and no
 * score needs a horizontal sum of its own (see {@link #scores} for the order the sums keep). The
 * weighted sum of values has elements in its lanes: {@link #QUERIES} queries × 2 vectors of
 * elements, one broadcast weight per query and position.
 *
 * <p>Numerics are {@link Attention}'s, bit for bit: with an F16 cache the query and the weights
 * are rounded to F16, so every product is exact in float, and the keys and values convert
 * exactly; every sum is added in the decode path's order.
 */
final class BatchedAttention {
    /** Queries per register tile. */
    static final int QUERIES = 4;
    /**
     * Queries a task aims for: the keys and values are converted once per task, which costs about
     * what scoring and summing them costs for a handful of queries.
     */
    private static final int TASK_QUERIES = 64;

    private final WorkerPool pool;
    private final float[][] keys;
    private final float[][] values;
    private final float[][] queries;
    private final float[][] scores;
    private final float[][] leaves;

    BatchedAttention(WorkerPool pool) {
        this.pool = pool;
        int t = pool.threads();
        this.keys = new float[t][0];
        this.values = new float[t][0];
        this.queries = new float[t][0];
        this.scores = new float[t][0];
        this.leaves = new float[t][QUERIES * L * L];
    }

    /** Rows {@code 0..n-1} of {@code q}, at positions {@code startPos..}, whose keys and values are already in the cache. */
    void run(VectorActivations out, VectorActivations q, VectorKvCache cache, int layer, int startPos, int n, int heads,
             int kvHeads, int headDim, float scale, boolean f16, long work) {
        int group = heads / kvHeads;
        int rows = Math.max(1, TASK_QUERIES / group);
        int blocks = (n + rows - 1) / rows;
        pool.run(blocks * kvHeads, 1, work, (worker, from, to) -> {
            for (int t = from; t < to; t++) {
                // the last rows see the most positions: they go first, so the split's last claims are small ones
                int b = blocks - 1 - t / kvHeads;
                int r0 = b * rows;
                task(out, q, cache, layer, startPos, r0, Math.min(n, r0 + rows), t % kvHeads, group, headDim, scale, f16, worker);
            }
        });
    }

    private void task(VectorActivations out, VectorActivations q, VectorKvCache cache, int layer, int startPos, int r0, int r1,
                      int g, int group, int headDim, float scale, boolean f16, int worker) {
        int np = startPos + r1;
        int stride = roundUp(np, L);
        float[] kt = grow(keys, worker, headDim * stride);
        float[] vf = grow(values, worker, np * headDim);
        long headOff = (long) g * headDim * cache.elementBytes;
        for (int p = 0; p < np; p++) {
            long o = cache.rowOffset(layer, p) + headOff;
            if (f16) {
                for (int c = 0; c < headDim; c++) {
                    kt[c * stride + p] = Float.float16ToFloat(cache.keys.get(Simd.SHORT, o + 2L * c));
                }
                Simd.f16Row(cache.values, o, vf, p * headDim, headDim);
            } else {
                for (int c = 0; c < headDim; c++) {
                    kt[c * stride + p] = cache.keys.get(Simd.FLOAT, o + 4L * c);
                }
                MemorySegment.copy(cache.values, Simd.FLOAT, o, vf, p * headDim, headDim);
            }
        }
        for (int c = 0; c < headDim; c++) {
            Arrays.fill(kt, c * stride + np, (c + 1) * stride, 0f);
        }
        // query j is row r0 + j / group, head g·group + j % group; missing queries of the last tile are zero
        int nq = (r1 - r0) * group;
        int padded = roundUp(nq, QUERIES);
        float[] qs = grow(queries, worker, padded * headDim);
        for (int j = 0; j < nq; j++) {
            int src = (r0 + j / group) * q.cols() + (g * group + j % group) * headDim;
            for (int c = 0; c < headDim; c++) {
                qs[j * headDim + c] = f16 ? ActivationQuantizer.roundF16(q.data[src + c]) : q.data[src + c];
            }
        }
        Arrays.fill(qs, nq * headDim, padded * headDim, 0f);
        float[] s = grow(scores, worker, QUERIES * stride);
        for (int j0 = 0; j0 < nq; j0 += QUERIES) {
            int last = Math.min(j0 + QUERIES, nq) - 1;
            int seen = startPos + r0 + last / group + 1;
            int end = roundUp(seen, L);
            scores(kt, stride, qs, j0 * headDim, headDim, end, scale, s, leaves[worker]);
            for (int jj = 0; jj < QUERIES; jj++) {
                int j = j0 + jj;
                int len = j < nq ? startPos + r0 + j / group + 1 : 0;
                Softmax.weights(s, jj * stride, len, end, f16);
            }
            weightedSum(vf, headDim, seen, s, stride, out, r0, j0, nq, group, g);
        }
    }

    /**
     * {@code s[jj·stride + p] = scale · q_{j0+jj} · k_p} for the tile's {@link #QUERIES} queries
     * (at {@code qo}, {@code d} apart) and positions {@code p < end}, a multiple of a vector.
     *
     * <p>Each score is summed in exactly the order of {@link Attention}'s dot: there, lane l adds
     * the products of elements l, l+L, l+2L, ... and the lanes are then added in a fixed tree
     * (l + l+L/2 first, down to lanes 0 + 1). Here each of those lane sums is a vector over L
     * positions (a leaf, kept in {@code leaves}), and the same tree adds the leaves. A prefill's
     * rows thus get the scores, bit for bit, they would get one at a time, and the summation order
     * of llama.cpp's dot products, which the parity goldens' tightest tier depends on, is kept.
     * (Leaves come back through memory, not from a helper method: C2 stops inlining past a size
     * budget, and a vector returned from a call it does not inline is boxed.)
     */
    private static void scores(float[] kt, int stride, float[] qs, int qo, int d, int end, float scale, float[] s,
                               float[] leaves) {
        int whole = d / L * L;
        for (int p = 0; p < end; p += L) {
            for (int l = 0; l < L; l++) {
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = a0, a2 = a0, a3 = a0;
                for (int c = l; c < whole; c += L) {
                    FloatVector k = FloatVector.fromArray(F, kt, c * stride + p);
                    a0 = k.fma(FloatVector.broadcast(F, qs[qo + c]), a0);
                    a1 = k.fma(FloatVector.broadcast(F, qs[qo + d + c]), a1);
                    a2 = k.fma(FloatVector.broadcast(F, qs[qo + 2 * d + c]), a2);
                    a3 = k.fma(FloatVector.broadcast(F, qs[qo + 3 * d + c]), a3);
                }
                a0.intoArray(leaves, l * L);
                a1.intoArray(leaves, (L + l) * L);
                a2.intoArray(leaves, (2 * L + l) * L);
                a3.intoArray(leaves, (3 * L + l) * L);
            }
            for (int jj = 0; jj < QUERIES; jj++) {
                int base = jj * L * L;
                for (int w = L / 2; w >= 1; w /= 2) {
                    for (int l = 0; l < w; l++) {
                        FloatVector.fromArray(F, leaves, base + l * L).add(FloatVector.fromArray(F, leaves, base + (l + w) * L))
                                .intoArray(leaves, base + l * L);
                    }
                }
                FloatVector sum = FloatVector.fromArray(F, leaves, base);
                // elements past the last whole vector, one by one after the tree, as the dot's scalar tail adds them
                for (int c = whole; c < d; c++) {
                    sum = sum.add(FloatVector.fromArray(F, kt, c * stride + p).mul(qs[qo + jj * d + c]));
                }
                sum.mul(scale).intoArray(s, jj * stride + p);
            }
        }
    }

    /**
     * The tile's outputs: for each real query j (row {@code r0 + j / group}, head {@code g·group + j % group}),
     * {@code Σ_{p < seen} w_j[p]·v_p} (weights past a query's own positions are zero).
     */
    private static void weightedSum(float[] vf, int d, int seen, float[] s, int stride, VectorActivations out, int r0, int j0,
                                    int nq, int group, int g) {
        int c = 0;
        float[] o = out.data;
        for (; c + 2 * L <= d; c += 2 * L) {
            FloatVector a00 = FloatVector.zero(F);
            FloatVector a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int p = 0; p < seen; p++) {
                FloatVector v0 = FloatVector.fromArray(F, vf, p * d + c);
                FloatVector v1 = FloatVector.fromArray(F, vf, p * d + c + L);
                FloatVector w = FloatVector.broadcast(F, s[p]);
                a00 = v0.fma(w, a00);
                a01 = v1.fma(w, a01);
                w = FloatVector.broadcast(F, s[stride + p]);
                a10 = v0.fma(w, a10);
                a11 = v1.fma(w, a11);
                w = FloatVector.broadcast(F, s[2 * stride + p]);
                a20 = v0.fma(w, a20);
                a21 = v1.fma(w, a21);
                w = FloatVector.broadcast(F, s[3 * stride + p]);
                a30 = v0.fma(w, a30);
                a31 = v1.fma(w, a31);
            }
            int n = Math.min(QUERIES, nq - j0);
            a00.intoArray(o, outAt(out, r0, j0, group, g, d) + c);
            a01.intoArray(o, outAt(out, r0, j0, group, g, d) + c + L);
            if (n > 1) {
                a10.intoArray(o, outAt(out, r0, j0 + 1, group, g, d) + c);
                a11.intoArray(o, outAt(out, r0, j0 + 1, group, g, d) + c + L);
            }
            if (n > 2) {
                a20.intoArray(o, outAt(out, r0, j0 + 2, group, g, d) + c);
                a21.intoArray(o, outAt(out, r0, j0 + 2, group, g, d) + c + L);
            }
            if (n > 3) {
                a30.intoArray(o, outAt(out, r0, j0 + 3, group, g, d) + c);
                a31.intoArray(o, outAt(out, r0, j0 + 3, group, g, d) + c + L);
            }
        }
        for (; c + L <= d; c += L) {
            for (int jj = 0; jj < QUERIES && j0 + jj < nq; jj++) {
                FloatVector a = FloatVector.zero(F);
                for (int p = 0; p < seen; p++) {
                    a = FloatVector.fromArray(F, vf, p * d + c).fma(FloatVector.broadcast(F, s[jj * stride + p]), a);
                }
                a.intoArray(o, outAt(out, r0, j0 + jj, group, g, d) + c);
            }
        }
        // the last columns, one at a time, multiplied and added as the decode path's tail does
        for (; c < d; c++) {
            for (int jj = 0; jj < QUERIES && j0 + jj < nq; jj++) {
                float a = 0;
                for (int p = 0; p < seen; p++) {
                    a += vf[p * d + c] * s[jj * stride + p];
                }
                o[outAt(out, r0, j0 + jj, group, g, d) + c] = a;
            }
        }
    }

    private static int outAt(VectorActivations out, int r0, int j, int group, int g, int headDim) {
        return (r0 + j / group) * out.cols() + (g * group + j % group) * headDim;
    }

    private static float[] grow(float[][] perWorker, int worker, int size) {
        if (perWorker[worker].length < size) {
            perWorker[worker] = new float[size];
        }
        return perWorker[worker];
    }

    private static int roundUp(int n, int to) {
        return (n + to - 1) / to * to;
    }
}
