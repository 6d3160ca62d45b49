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
     * F16 weights are converted in chunks of {@link #F16_CHUNK} into a per-thread float scratch by a
     * plain {@code Float.float16ToFloat} loop, which C2 compiles to {@code vcvtph2ps} (16 per
     * instruction, exact for every F16, subnormals included), then multiplied with the F16-rounded
     * activations: each product is the float product of the F16 values, as in the scalar path, and
     * the sums run in the same order as a whole-row loop (a chunk is a multiple of 2L).
     * The Vector API has no F16 conversion; {@link Simd#f16Exact} takes eight instructions per 16.
     */
    static final RowDot F16 = new RowDot() {
        @Override
        public Rounding rounding() {
            return Rounding.F16;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int n = x.cols;
            int xo = row * n;
            float[] a = x.floats;
            float[] wf = x.blockScratch(F16_CHUNK);
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            int i = 0;
            while (i + 2 * L <= n) {
                int len = Math.min(F16_CHUNK, (n - i) & -(2 * L));
                long wo = off + 2L * i;
                for (int k = 0; k < len; k++) {
                    wf[k] = Float.float16ToFloat(w.get(Simd.SHORT, wo + 2L * k));
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
                sum += Simd.f16At(w, off + 2L * i) * a[xo + i];
            }
            return sum;
        }
    };

    /**
     * F16 weights converted per pass: 8 KB of floats, a whole row of most Llama matrices (2048
     * columns), which stays in L1 beside the activations. Longer passes read the weights faster
     * (the conversion loop's loads run back to back, many lines in flight): TinyLlama F16 decode on
     * the project's Intel Xeon, alternated, 1 thread 3.69-3.82 tok/s at 2048 against 2.68-3.36 at
     * 512 and 2.72-2.89 at 256; 2 threads 7.15-7.20 against 5.80-6.04 at 512 and 6.06-6.25 at 4096
     * (16 KB, which crowds the activations of the 5632-column matrix out of L1).
     */
    static final int F16_CHUNK = 2048;

    static final RowDot BF16 = new RowDot() {
        @Override
        public Rounding rounding() {
            return Rounding.BF16;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int n = x.cols;
            int xo = row * n;
            float[] a = x.floats;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                a0 = Simd.bf16(w, off + 2L * i).fma(FloatVector.fromArray(F, a, xo + i), a0);
                a1 = Simd.bf16(w, off + 2L * (i + L)).fma(FloatVector.fromArray(F, a, xo + i + L), a1);
            }
            a0 = a0.add(a1);
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            a0 = Simd.L > 8 ? (FloatVector) a0.add(a0.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : a0;
            a0 = (FloatVector) a0.add(a0.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            a0 = a0.add(a0.rearrange(Simd.XOR_2_OF_4));
            float sum = a0.lane(0) + a0.lane(1);
            for (; i < n; i++) {
                sum += Simd.bf16At(w, off + 2L * i) * a[xo + i];
            }
            return sum;
        }
    };
}
