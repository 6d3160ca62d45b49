package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.L;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;

import dev.llamaj.core.kernels.KvCacheType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Causal attention over the off-heap cache. A decode step (fewer than {@link #BATCH_MIN_ROWS}
 * rows) runs here, one task per (query row, head); a prefill goes to {@link BatchedAttention},
 * which computes the same sums in the same order for many queries at once. With an F16 cache
 * the query and the softmax weights are rounded to F16 before their products, as llama.cpp's
 * matrix products with F16 operands do, and scaled by 2^112: the cache is read as
 * {@link Simd#f16Down} reads F16 (times 2^-112, three instructions), and both factors are F16
 * values below 2^16, so the scalings are exact and the products are the unscaled ones. With F32
 * everything stays in float. The softmax is {@link Softmax#weights}.
 */
final class Attention {
    /** Query rows from which a call goes to {@link BatchedAttention}: a prefill, not a decode step. */
    static final int BATCH_MIN_ROWS = 4;

    private final WorkerPool pool;
    private final BatchedAttention batched;
    private final float[][] scores;
    private final float[][] query;

    Attention(WorkerPool pool) {
        this.pool = pool;
        this.batched = new BatchedAttention(pool);
        this.scores = new float[pool.threads()][0];
        this.query = new float[pool.threads()][0];
    }

    void run(VectorActivations out, VectorActivations q, VectorActivations k, VectorActivations v, VectorKvCache cache,
             int layer, int startPos, int n, int heads, int kvHeads) {
        if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || q.cols() % heads != 0) {
            throw new IllegalArgumentException("heads " + heads + " / kvHeads " + kvHeads + " do not divide q's " + q.cols()
                    + " columns evenly");
        }
        int headDim = q.cols() / heads;
        int kvDim = kvHeads * headDim;
        if (k.cols() != kvDim || v.cols() != kvDim || cache.kvDim() != kvDim || out.cols() != q.cols()) {
            throw new IllegalArgumentException("attention shapes disagree: q " + q.cols() + ", k " + k.cols() + ", v " + v.cols()
                    + ", out " + out.cols() + ", cache kvDim " + cache.kvDim() + ", expected kvDim " + kvDim);
        }
        if (layer < 0 || layer >= cache.layers() || startPos < 0 || n < 0 || startPos + n > cache.capacity()) {
            throw new IndexOutOfBoundsException("layer " + layer + ", positions " + startPos + ".." + (startPos + n)
                    + " outside the cache (" + cache.layers() + " layers, " + cache.capacity() + " positions)");
        }
        VectorKernels.checkRows(n, q, k, v, out);
        for (int i = 0; i < n; i++) {
            store(cache, cache.keys, cache.rowOffset(layer, startPos + i), k.data, i * kvDim, kvDim);
            store(cache, cache.values, cache.rowOffset(layer, startPos + i), v.data, i * kvDim, kvDim);
        }
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        boolean f16 = cache.type() == KvCacheType.F16;
        int need = startPos + n;
        // per query row and head: a dot product and an accumulation per cached position, and an exp
        long work = (long) n * heads * need * (2L * headDim + VectorKernels.TRANSCENDENTAL_WORK);
        if (n >= BATCH_MIN_ROWS) {
            batched.run(out, q, cache, layer, startPos, n, heads, kvHeads, headDim, scale, f16, work);
            return;
        }
        pool.run(n * heads, 1, work, (worker, from, to) -> {
            if (scores[worker].length < need) {
                scores[worker] = new float[Math.max(need, 64)];
            }
            if (query[worker].length < headDim) {
                query[worker] = new float[headDim];
            }
            for (int task = from; task < to; task++) {
                int i = task / heads;
                int h = task % heads;
                head(out, q, cache, layer, startPos + i, i, h, h / group, headDim, scale, f16, scores[worker], query[worker]);
            }
        });
    }

    private static void store(VectorKvCache cache, MemorySegment seg, long off, float[] src, int from, int count) {
        if (cache.type() == KvCacheType.F16) {
            for (int j = 0; j < count; j++) {
                seg.set(Simd.SHORT, off + 2L * j, Float.floatToFloat16(src[from + j]));
            }
        } else {
            MemorySegment.copy(src, from, seg, Simd.FLOAT, off, count);
        }
    }

    private static void head(VectorActivations out, VectorActivations q, VectorKvCache cache, int layer, int pos, int row,
                             int h, int g, int headDim, float scale, boolean f16, float[] s, float[] qh) {
        int qo = row * q.cols() + h * headDim;
        for (int c = 0; c < headDim; c++) {
            qh[c] = f16 ? ActivationQuantizer.roundF16(q.data[qo + c]) * 0x1p112f : q.data[qo + c];
        }
        long headOff = (long) g * headDim * cache.elementBytes;
        for (int p = 0; p <= pos; p++) {
            s[p] = dot(cache.keys, cache.rowOffset(layer, p) + headOff, qh, headDim, f16) * scale;
        }
        Softmax.weights(s, 0, pos + 1, pos + 1, f16);
        if (f16) {
            for (int p = 0; p <= pos; p++) {
                s[p] *= 0x1p112f;
            }
        }
        int oo = row * out.cols() + h * headDim;
        long rowBytes = (long) cache.kvDim() * cache.elementBytes;
        weightedSum(cache.values, cache.rowOffset(layer, 0) + headOff, rowBytes, s, pos, out.data, oo, headDim, f16);
    }

    /*
     * Simd.f16Down is written out in these loops, not called: in a 2-thread TinyLlama decode
     * C2 left it out of line somewhere here (perf: 2.7% of the time in f16Down itself, its
     * vectors boxed across the call).
     *
     * The F16 and F32 cache paths are separate branches, not one ternary: with a call to Simd.f16
     * in a ternary, C2 did not inline it here (JFR showed the Vector API's
     * boxed fallback code under Attention.dot/accumulate for the whole of a decode), and a vector
     * operation that is not inlined runs as Java objects, far slower than the weights' kernels.
     */
    private static float dot(MemorySegment seg, long off, float[] x, int n, boolean f16) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        if (f16) {
            for (; c + L <= n; c += L) {
                acc = ((IntVector) ShortVector.fromMemorySegment(Simd.S, seg, off + 2L * c, Simd.LE).convertShape(S2I, Simd.I, 0))
                        .lanewise(LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, c), acc);
            }
        } else {
            for (; c + L <= n; c += L) {
                acc = FloatVector.fromMemorySegment(F, seg, off + 4L * c, Simd.LE).fma(FloatVector.fromArray(F, x, c), acc);
            }
        }
        // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
        acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
        acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
        float sum = acc.lane(0) + acc.lane(1);
        for (; c < n; c++) {
            sum += (f16 ? Simd.f16At(seg, off + 2L * c) * 0x1p-112f : seg.get(Simd.FLOAT, off + 4L * c)) * x[c];
        }
        return sum;
    }

    /**
     * {@code out[oo + c] = Σ_p w[p]·v_p[c]} over cached rows {@code p ≤ pos} ({@code rowBytes} apart
     * from {@code off}). Four vectors of the output at a time stay in registers over all positions:
     * added into {@code out} position by position, each step waited on the store of the one before
     * (a store-to-load chain per vector), which made this loop about as slow as the scores.
     */
    private static void weightedSum(MemorySegment seg, long off, long rowBytes, float[] w, int pos, float[] out, int oo, int n,
                                    boolean f16) {
        int eb = f16 ? 2 : 4;
        int c = 0;
        for (; c + 4 * L <= n; c += 4 * L) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            long o = off + (long) eb * c;
            for (int p = 0; p <= pos; p++, o += rowBytes) {
                FloatVector wv = FloatVector.broadcast(F, w[p]);
                if (f16) {
                    a0 = ((IntVector) ShortVector.fromMemorySegment(Simd.S, seg, o, Simd.LE).convertShape(S2I, Simd.I, 0))
                            .lanewise(LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(wv, a0);
                    a1 = ((IntVector) ShortVector.fromMemorySegment(Simd.S, seg, o + 2L * L, Simd.LE).convertShape(S2I, Simd.I, 0))
                            .lanewise(LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(wv, a1);
                    a2 = ((IntVector) ShortVector.fromMemorySegment(Simd.S, seg, o + 4L * L, Simd.LE).convertShape(S2I, Simd.I, 0))
                            .lanewise(LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(wv, a2);
                    a3 = ((IntVector) ShortVector.fromMemorySegment(Simd.S, seg, o + 6L * L, Simd.LE).convertShape(S2I, Simd.I, 0))
                            .lanewise(LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(wv, a3);
                } else {
                    a0 = FloatVector.fromMemorySegment(F, seg, o, Simd.LE).fma(wv, a0);
                    a1 = FloatVector.fromMemorySegment(F, seg, o + 4L * L, Simd.LE).fma(wv, a1);
                    a2 = FloatVector.fromMemorySegment(F, seg, o + 8L * L, Simd.LE).fma(wv, a2);
                    a3 = FloatVector.fromMemorySegment(F, seg, o + 12L * L, Simd.LE).fma(wv, a3);
                }
            }
            a0.intoArray(out, oo + c);
            a1.intoArray(out, oo + c + L);
            a2.intoArray(out, oo + c + 2 * L);
            a3.intoArray(out, oo + c + 3 * L);
        }
        for (; c + L <= n; c += L) {
            FloatVector a = FloatVector.zero(F);
            long o = off + (long) eb * c;
            for (int p = 0; p <= pos; p++, o += rowBytes) {
                FloatVector wv = FloatVector.broadcast(F, w[p]);
                if (f16) {
                    a = ((IntVector) ShortVector.fromMemorySegment(Simd.S, seg, o, Simd.LE).convertShape(S2I, Simd.I, 0))
                            .lanewise(LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(wv, a);
                } else {
                    a = FloatVector.fromMemorySegment(F, seg, o, Simd.LE).fma(wv, a);
                }
            }
            a.intoArray(out, oo + c);
        }
        for (; c < n; c++) {
            float a = 0;
            long o = off + (long) eb * c;
            for (int p = 0; p <= pos; p++, o += rowBytes) {
                a += (f16 ? Simd.f16At(seg, o) * 0x1p-112f : seg.get(Simd.FLOAT, o)) * w[p];
            }
            out[oo + c] = a;
        }
    }
}
