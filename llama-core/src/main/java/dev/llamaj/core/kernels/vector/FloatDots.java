package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.F_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** Dot products for unquantized weights: F32 as is, F16 and BF16 against activations rounded to the same format. */
final class FloatDots {
    private FloatDots() {
    }

    static final RowDot F32 = new RowDot() {
        @Override
        public Rounding rounding() {
            return Rounding.NONE;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int n = x.cols;
            int xo = row * n;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                a0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, Simd.LE).fma(FloatVector.fromArray(F, raw, xo + i), a0);
                a1 = FloatVector.fromMemorySegment(F, w, off + 4L * (i + L), Simd.LE)
                        .fma(FloatVector.fromArray(F, raw, xo + i + L), a1);
            }
            a0 = a0.add(a1);
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            a0 = Simd.L > 8 ? (FloatVector) a0.add(a0.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : a0;
            a0 = (FloatVector) a0.add(a0.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            a0 = a0.add(a0.rearrange(Simd.XOR_2_OF_4));
            float sum = a0.lane(0) + a0.lane(1);
            for (; i < n; i++) {
                sum += w.get(Simd.FLOAT, off + 4L * i) * raw[xo + i];
            }
            return sum;
        }
    };

    /**
     * F16 weights against F16-rounded activations: each product is the float product of the F16
     * values, as in the scalar path. One row goes one of two ways, with the same products and
     * sums in the same order (so the same bits): in one pass ({@link #f16Row}) where
     * {@link #F16_ONE_PASS}, else converted ({@link #PASS} at most per pass) into a per-thread float
     * scratch ({@link Simd#f16Row}, {@code vcvtph2ps}) and multiplied from there ({@link #converted}).
     */
    static final RowDot F16 = new RowDot() {
        @Override
        public Rounding rounding() {
            return Rounding.F16;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            return F16_ONE_PASS ? f16Row(w, off, x, row) : converted(w, off, x, row, false);
        }

        @Override
        public void dot4(MemorySegment w, long off, long stride, RoundedRows x, float[] raw, int row, float[] out, int o,
                int outStride, float[] scratch) {
            if (F16_ONE_PASS) {
                f16Runs(w, off, stride, x, row, out, o, outStride);
                return;
            }
            converted4(w, off, stride, x, row, out, o, outStride, scratch, false);
        }

        /** Four runs: converted first ({@link #CONVERTED_RUNS} says why) or in one pass ({@link #f16Runs}). */
        @Override
        public boolean runsSideBySide() {
            return true;
        }
    };

    /**
     * BF16 the way {@link #F16} goes: each row widened ({@link Simd#bf16Row}) into the scratch in
     * one pass, then multiplied. (A plain {@code Float.intBitsToFloat} loop, which C2 does not
     * vectorize, ran at 1.57-1.86 tok/s against 2.60-2.91 for the former fused loop.) The separate
     * pass reads faster, as F16's does: TinyLlama BF16 decode, 1 thread, alternated with the fused
     * loop: 2.85-3.55 (four of five runs 3.37 or more) against 2.55-2.93.
     */
    static final RowDot BF16 = new RowDot() {
        @Override
        public Rounding rounding() {
            return Rounding.BF16;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            return converted(w, off, x, row, true);
        }

        @Override
        public void dot4(MemorySegment w, long off, long stride, RoundedRows x, float[] raw, int row, float[] out, int o,
                int outStride, float[] scratch) {
            converted4(w, off, stride, x, row, out, o, outStride, scratch, true);
        }

        @Override
        public boolean runsSideBySide() {
            return CONVERTED_RUNS;
        }
    };

    /**
     * Whether a token's product reads BF16 rows, and F16 rows where they are converted first (not
     * {@link #F16_ONE_PASS}), as four runs side by side ({@link #converted4}): on Intel cores. On
     * the Intel Xeon with AMX (2 vCPUs), 1 thread, alternated: TinyLlama F16 decode 3.54-4.54 tok/s
     * against 2.95-3.46 one row after another, 2 threads 7.2-7.5 against 6.1-6.9; JMH 5632x2048
     * BF16 from DRAM, best iterations, 2346-2368 us against 3044-3097. On an AMD EPYC (Zen 5) host
     * the four converted runs were the slower (F16, 2149 against 1302 us;
     * {@link VectorKernels#DECODE_RUNS}).
     */
    static final boolean CONVERTED_RUNS = Simd.INTEL;

    /**
     * Whether an F16 row dot runs in one pass ({@link #f16Row}), or converts its weights first
     * ({@link #converted}): one pass on any CPU but Intel's, by default. The one pass reads F16
     * subnormal weights as subnormal floats (times 2^-112), and Intel cores take a microcode
     * assist for each multiply with a subnormal operand ({@link Simd#f16Row}); a real layer's, or a
     * synthetic one's, F16 weights are 0.2-0.3% subnormal, so about one 16-weight load in 25 holds
     * one. AMD's Zen cores take none. Measured, 1 thread, TinyLlama-shaped F16 decode: on an Intel
     * Xeon with AMX (2 vCPUs), alternated, one pass 2.00-2.29 tok/s, converted 3.05-3.68
     * (llama.cpp 6.1), and at 2 threads 5.0 against 7.0; JMH 5632x2048 from DRAM 4745-5055 us
     * against 3818-3881. On an AMD EPYC (Zen 5), one pass 787 us against 1302 converted, and
     * decode 12.6 against 6.8 tok/s. {@code -Dllamaj.f16.onePass=true|false} overrides the choice
     * ({@link VectorTuning#f16OnePass}).
     */
    static final boolean F16_ONE_PASS =
            VectorTuning.f16OnePass(System.getProperty(VectorTuning.F16_ONE_PASS_PROPERTY), Simd.cpuVendor());

    /**
     * F16 and BF16 weights converted per pass: 8 KB of floats, a whole row of most Llama matrices (2048
     * columns), which stays in L1 beside the activations. Longer passes read the weights faster
     * (the conversion loop's loads run back to back, many lines in flight): TinyLlama F16 decode on
     * the project's Intel Xeon, alternated, 1 thread 3.69-3.82 tok/s at 2048 against 2.68-3.36 at
     * 512 and 2.72-2.89 at 256; 2 threads 7.15-7.20 against 5.80-6.04 at 512 and 6.06-6.25 at 4096
     * (16 KB, which crowds the activations of the 5632-column matrix out of L1).
     */
    static final int PASS = 2048;

    /**
     * Per row of {@link #converted4}'s four, floats converted per pass: 8 KB for the four, beside
     * the activations in L1. JMH 5632x2048 F16 from DRAM (512 MiB footprint), per-fork best,
     * alternated with the row-by-row {@link #converted}: 1 thread 2.33-3.15 ms against
     * 2.78-3.21 (faster in 5 of 6 pairs), 2 threads 1.40-1.47 against 1.55-1.72 (3 of 3); 2048x5632
     * (ffn_down's shape), 1 thread, 2.45-3.19 against 2.70-3.38 (3 of 3). Passes
     * of 1024 and 2048 were no faster than 512, nor was converting the four rows in pieces of 128
     * (the streams interleaved more finely); one loop converting all four (C2 did not vectorize it)
     * was three times slower.
     */
    static final int PASS4 = 512;

    /**
     * {@link #converted} for the four rows at {@code off + k·stride}, read side by side: each pass
     * converts a piece of every row, then multiplies them. Four runs far apart keep more of the
     * weights' cache lines in flight than one (as for the quantized formats, {@link RowDot#dot4}).
     * Each row's sums run in {@link #converted}'s order, and its lanes are summed as there
     * ({@link Simd#laneSum}), so a row's dot is the same bit for bit however it is run.
     */
    private static void converted4(MemorySegment w, long off, long stride, RoundedRows x, int row, float[] out, int o,
            int outStride, float[] scratch, boolean bf16) {
        int n = x.cols;
        int xo = row * n;
        float[] a = x.floats;
        float[] wf = x.convertedRow(4 * PASS4);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F);
        FloatVector c1 = FloatVector.zero(F);
        FloatVector d0 = FloatVector.zero(F);
        FloatVector d1 = FloatVector.zero(F);
        int i = 0;
        while (i + 2 * L <= n) {
            int len = Math.min(PASS4, (n - i) & -(2 * L));
            long wo = off + 2L * i;
            for (int k = 0; k < 4; k++) {
                widen(w, wo + k * stride, wf, k * PASS4, len, bf16);
            }
            int xi = xo + i;
            for (int k = 0; k < len; k += 2 * L) {
                FloatVector x0 = FloatVector.fromArray(F, a, xi + k);
                FloatVector x1 = FloatVector.fromArray(F, a, xi + k + L);
                a0 = FloatVector.fromArray(F, wf, k).fma(x0, a0);
                a1 = FloatVector.fromArray(F, wf, k + L).fma(x1, a1);
                b0 = FloatVector.fromArray(F, wf, PASS4 + k).fma(x0, b0);
                b1 = FloatVector.fromArray(F, wf, PASS4 + k + L).fma(x1, b1);
                c0 = FloatVector.fromArray(F, wf, 2 * PASS4 + k).fma(x0, c0);
                c1 = FloatVector.fromArray(F, wf, 2 * PASS4 + k + L).fma(x1, c1);
                d0 = FloatVector.fromArray(F, wf, 3 * PASS4 + k).fma(x0, d0);
                d1 = FloatVector.fromArray(F, wf, 3 * PASS4 + k + L).fma(x1, d1);
            }
            i += len;
        }
        a0.add(a1).intoArray(scratch, 0);
        b0.add(b1).intoArray(scratch, L);
        c0.add(c1).intoArray(scratch, 2 * L);
        d0.add(d1).intoArray(scratch, 3 * L);
        for (int k = 0; k < 4; k++) {
            float sum = Simd.laneSum(scratch, k * L);
            long ro = off + k * stride;
            for (int c = i; c < n; c++) {
                sum += widenedAt(w, ro + 2L * c, bf16) * a[xo + c];
            }
            out[o + k * outStride] = sum;
        }
    }

    /**
     * A 16-bit float row ({@code bf16} or F16) against its rounded activations: converted to floats
     * pass by pass into {@link RoundedRows#convertedRow}, then multiplied-added with two
     * accumulators over steps of 2L. A pass is a multiple of 2L, so the sums run in the order of one
     * loop over the whole row, however the row is cut.
     */
    static float converted(MemorySegment w, long off, RoundedRows x, int row, boolean bf16) {
        int n = x.cols;
        int xo = row * n;
        float[] a = x.floats;
        float[] wf = x.convertedRow(PASS);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        while (i + 2 * L <= n) {
            int len = Math.min(PASS, (n - i) & -(2 * L));
            long wo = off + 2L * i;
            widen(w, wo, wf, 0, len, bf16);
            int xi = xo + i;
            for (int k = 0; k < len; k += 2 * L) {
                a0 = FloatVector.fromArray(F, wf, k).fma(FloatVector.fromArray(F, a, xi + k), a0);
                a1 = FloatVector.fromArray(F, wf, k + L).fma(FloatVector.fromArray(F, a, xi + k + L), a1);
            }
            i += len;
        }
        a0 = a0.add(a1);
        // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
        a0 = Simd.L > 8 ? (FloatVector) a0.add(a0.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : a0;
        a0 = (FloatVector) a0.add(a0.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        a0 = a0.add(a0.rearrange(Simd.XOR_2_OF_4));
        float sum = a0.lane(0) + a0.lane(1);
        for (; i < n; i++) {
            sum += widenedAt(w, off + 2L * i, bf16) * a[xo + i];
        }
        return sum;
    }

    /**
     * An F16 row against its rounded activations in one pass: each 16 weights loaded and moved into
     * a float's place ({@link Simd#f16Down}, three instructions, the weight times 2^-112) and
     * multiplied-added with the activations times 2^112 ({@link RoundedRows#floatsUp}), over steps
     * of 2L with two accumulators: the products and sums of {@link #converted}, in its order, so the
     * two agree bit for bit. Why: a separate conversion pass stops the weights' loads while its
     * products run; this keeps them streaming. On an AMD EPYC (Zen 5) host, rows one after
     * another, 1 thread: JMH 5632x2048 from DRAM 1302 -> 787 us; TinyLlama F16 decode 6.8 -> 12.6
     * tok/s (llama.cpp 15.1). A token's product reads four rows side by side in one pass
     * ({@link #f16Runs}). Not on Intel cores by default: {@link #F16_ONE_PASS} says why. An infinite or NaN
     * F16 weight reads here as a finite weight of 65536 to 131008 in magnitude, where
     * {@link #converted} gives an infinite or NaN sum: no converter writes such weights, and a
     * model holding them gives garbage either way.
     */
    static float f16Row(MemorySegment w, long off, RoundedRows x, int row) {
        int n = x.cols;
        int xo = row * n;
        float[] a = x.floatsUp;
        FloatVector a0 = F_VECTOR.cast(FloatVector.zero(F));
        FloatVector a1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = F_VECTOR.cast(Simd.f16Down(w, off + 2L * i)).fma(F_VECTOR.cast(FloatVector.fromArray(F, a, xo + i)), a0);
            a1 = F_VECTOR.cast(Simd.f16Down(w, off + 2L * (i + L))).fma(F_VECTOR.cast(FloatVector.fromArray(F, a, xo + i + L)), a1);
        }
        a0 = F_VECTOR.cast(a0).add(a1);
        // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
        a0 = Simd.L > 8 ? (FloatVector) a0.add(a0.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : a0;
        a0 = (FloatVector) a0.add(a0.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        a0 = a0.add(a0.rearrange(Simd.XOR_2_OF_4));
        float sum = a0.lane(0) + a0.lane(1);
        float[] xf = x.floats;
        for (; i < n; i++) {
            sum += Simd.f16At(w, off + 2L * i) * xf[xo + i];
        }
        return sum;
    }

    /**
     * {@link #f16Row} for the four rows at {@code off + k·stride}, side by side: the same products and
     * sums in the same order for each row (so the same bits), the activations loaded once for the four.
     * Four streams of weights in flight instead of one, as for Q4_0 and Q8_0 ({@link FourRunDot}).
     * Each load is written out in full ({@link Simd#f16Down}'s three steps): through the helper, C2
     * left the vectors boxed, three to five times slower. On an AMD EPYC (Zen 4) host, 1 thread,
     * alternated with one row after another: 5632x2048 in L2 57.0 -> 47.1 us (379 of 400 pairs
     * faster), from DRAM median 921 -> 864 and 934 -> 862 us; TinyLlama F16 decode 10.2-10.6 ->
     * 11.0-12.1 tok/s.
     */
    static void f16Runs(MemorySegment w, long off, long stride, RoundedRows x, int row, float[] out, int o, int outStride) {
        int n = x.cols;
        int xo = row * n;
        float[] a = x.floatsUp;
        FloatVector a0 = F_VECTOR.cast(FloatVector.zero(F));
        FloatVector a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector x0 = F_VECTOR.cast(FloatVector.fromArray(F, a, xo + i));
            FloatVector x1 = F_VECTOR.cast(FloatVector.fromArray(F, a, xo + i + L));
            long p = off + 2L * i;
            a0 = Simd.I_VECTOR.cast(ShortVector.fromMemorySegment(Simd.S, w, p, Simd.LE).convertShape(VectorOperators.S2I, Simd.I, 0)).lanewise(VectorOperators.LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(x0, a0);
            a1 = Simd.I_VECTOR.cast(ShortVector.fromMemorySegment(Simd.S, w, p + 2L * L, Simd.LE).convertShape(VectorOperators.S2I, Simd.I, 0)).lanewise(VectorOperators.LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(x1, a1);
            b0 = Simd.I_VECTOR.cast(ShortVector.fromMemorySegment(Simd.S, w, p + stride, Simd.LE).convertShape(VectorOperators.S2I, Simd.I, 0)).lanewise(VectorOperators.LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(x0, b0);
            b1 = Simd.I_VECTOR.cast(ShortVector.fromMemorySegment(Simd.S, w, p + stride + 2L * L, Simd.LE).convertShape(VectorOperators.S2I, Simd.I, 0)).lanewise(VectorOperators.LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(x1, b1);
            c0 = Simd.I_VECTOR.cast(ShortVector.fromMemorySegment(Simd.S, w, p + 2 * stride, Simd.LE).convertShape(VectorOperators.S2I, Simd.I, 0)).lanewise(VectorOperators.LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(x0, c0);
            c1 = Simd.I_VECTOR.cast(ShortVector.fromMemorySegment(Simd.S, w, p + 2 * stride + 2L * L, Simd.LE).convertShape(VectorOperators.S2I, Simd.I, 0)).lanewise(VectorOperators.LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(x1, c1);
            d0 = Simd.I_VECTOR.cast(ShortVector.fromMemorySegment(Simd.S, w, p + 3 * stride, Simd.LE).convertShape(VectorOperators.S2I, Simd.I, 0)).lanewise(VectorOperators.LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(x0, d0);
            d1 = Simd.I_VECTOR.cast(ShortVector.fromMemorySegment(Simd.S, w, p + 3 * stride + 2L * L, Simd.LE).convertShape(VectorOperators.S2I, Simd.I, 0)).lanewise(VectorOperators.LSHL, 13).and(Simd.F16_IN_FLOAT).reinterpretAsFloats().fma(x1, d1);
        }
        float[] xf = x.floats;
        a0 = F_VECTOR.cast(a0).add(a1);
        a0 = Simd.L > 8 ? (FloatVector) a0.add(a0.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : a0;
        a0 = (FloatVector) a0.add(a0.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        a0 = a0.add(a0.rearrange(Simd.XOR_2_OF_4));
        out[o] = f16Tail(a0.lane(0) + a0.lane(1), w, off, xf, xo, i, n);
        b0 = F_VECTOR.cast(b0).add(b1);
        b0 = Simd.L > 8 ? (FloatVector) b0.add(b0.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : b0;
        b0 = (FloatVector) b0.add(b0.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        b0 = b0.add(b0.rearrange(Simd.XOR_2_OF_4));
        out[o + outStride] = f16Tail(b0.lane(0) + b0.lane(1), w, off + stride, xf, xo, i, n);
        c0 = F_VECTOR.cast(c0).add(c1);
        c0 = Simd.L > 8 ? (FloatVector) c0.add(c0.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : c0;
        c0 = (FloatVector) c0.add(c0.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        c0 = c0.add(c0.rearrange(Simd.XOR_2_OF_4));
        out[o + 2 * outStride] = f16Tail(c0.lane(0) + c0.lane(1), w, off + 2 * stride, xf, xo, i, n);
        d0 = F_VECTOR.cast(d0).add(d1);
        d0 = Simd.L > 8 ? (FloatVector) d0.add(d0.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : d0;
        d0 = (FloatVector) d0.add(d0.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        d0 = d0.add(d0.rearrange(Simd.XOR_2_OF_4));
        out[o + 3 * outStride] = f16Tail(d0.lane(0) + d0.lane(1), w, off + 3 * stride, xf, xo, i, n);
    }

    private static float f16Tail(float sum, MemorySegment w, long off, float[] xf, int xo, int i, int n) {
        for (; i < n; i++) {
            sum += Simd.f16At(w, off + 2L * i) * xf[xo + i];
        }
        return sum;
    }

    /** {@code n} 16-bit floats ({@code bf16} or F16) at {@code off} of {@code w} into {@code out} from {@code o}. */
    private static void widen(MemorySegment w, long off, float[] out, int o, int n, boolean bf16) {
        if (bf16) {
            Simd.bf16Row(w, off, out, o, n);
        } else {
            Simd.f16Row(w, off, out, o, n);
        }
    }

    /** The one 16-bit float ({@code bf16} or F16) at {@code off} of {@code w}: the rows' ragged tails. */
    private static float widenedAt(MemorySegment w, long off, boolean bf16) {
        return bf16 ? Simd.bf16At(w, off) : Simd.f16At(w, off);
    }
}
