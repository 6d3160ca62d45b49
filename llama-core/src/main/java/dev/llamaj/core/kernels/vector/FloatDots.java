package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
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
     * F16 weights are converted a row at a time ({@link #PASS} at most per pass) into a
     * per-thread float scratch ({@link Simd#f16Row}, {@code vcvtph2ps}), then multiplied with the
     * F16-rounded activations: each product is the float product of the F16 values, as in the
     * scalar path.
     */
    static final RowDot F16 = new RowDot() {
        @Override
        public Rounding rounding() {
            return Rounding.F16;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            return converted(w, off, x, row, false);
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
    };

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
     * A 16-bit float row ({@code bf16} or F16) against its rounded activations: converted to floats
     * pass by pass into {@link RoundedRows#convertedRow}, then multiplied-added with two
     * accumulators over steps of 2L. A pass is a multiple of 2L, so the sums run in the order of one
     * loop over the whole row, however the row is cut.
     */
    private static float converted(MemorySegment w, long off, RoundedRows x, int row, boolean bf16) {
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
            if (bf16) {
                Simd.bf16Row(w, wo, wf, 0, len);
            } else {
                Simd.f16Row(w, wo, wf, 0, len);
            }
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
            sum += (bf16 ? Simd.bf16At(w, off + 2L * i) : Simd.f16At(w, off + 2L * i)) * a[xo + i];
        }
        return sum;
    }
}
