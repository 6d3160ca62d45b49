package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.I;
import static dev.llamaj.core.kernels.vector.Simd.IB;
import static dev.llamaj.core.kernels.vector.Simd.B;
import static dev.llamaj.core.kernels.vector.Simd.L;
import static dev.llamaj.core.kernels.vector.Simd.LE;
import static dev.llamaj.core.kernels.vector.Simd.S;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.S2I;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Dot products for the 32-element block formats against Q8_0/Q8_1 activations: integer
 * products per block, the block's integer sum converted to float and multiplied-added with
 * {@code d_w · d_x} into a vector accumulator, one horizontal sum per row. Q8_0 and Q4_0 are
 * vectorized; Q4_1, Q5_0 and Q5_1 are plain integer loops with the same numerics.
 */
final class BlockDots {
    private BlockDots() {
    }

    static final RowDot Q8_0 = new RowDot() {
        @Override
        public Rounding rounding() {
            return Rounding.Q8_0;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 32;
            int qo = row * x.cols;
            int so = row * nb;
            byte[] q = x.quants;
            float[] d = x.scales;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nb; b++) {
                long bo = off + 34L * b;
                int xq = qo + 32 * b;
                IntVector s = IntVector.zero(I);
                for (int g = 0; g < 32; g += L) {
                    // helpers are written out: C2 stops inlining vector code in calls past a certain size
                    ShortVector wv = (ShortVector) ByteVector.fromMemorySegment(B, w, bo + 2 + g, LE).convertShape(B2S, S, 0);
                    ShortVector xv = ShortVector.fromArray(S, x.wide, xq + g);
                    s = s.add((IntVector) wv.mul(xv).convertShape(S2I, I, 0));
                }
                FloatVector sf = (FloatVector) s.convertShape(VectorOperators.I2F, F, 0);
                acc = sf.fma(FloatVector.broadcast(F, Simd.f16At(w, bo) * d[so + b]), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
    };

    static final RowDot Q4_0 = new RowDot() {
        @Override
        public Rounding rounding() {
            return Rounding.Q8_0;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 32;
            int qo = row * x.cols;
            int so = row * nb;
            byte[] q = x.quants;
            float[] d = x.scales;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nb; b++) {
                long bo = off + 18L * b;
                int xq = qo + 32 * b;
                IntVector s = IntVector.zero(I);
                for (int h = 0; h < 16; h += L) {
                    // the high nibbles are shifted down in 32-bit lanes (x86 has no byte shifts), then masked
                    ByteVector v = ByteVector.fromMemorySegment(B, w, bo + 2 + h, LE);
                    ByteVector v4 = (ByteVector) v.reinterpretShape(IB, 0).lanewise(VectorOperators.LSHR, 4).reinterpretShape(B, 0);
                    ShortVector lo = ((ShortVector) v.and((byte) 0xF).convertShape(B2S, S, 0)).sub((short) 8);
                    ShortVector hi = ((ShortVector) v4.and((byte) 0xF).convertShape(B2S, S, 0)).sub((short) 8);
                    ShortVector xlo = ShortVector.fromArray(S, x.wide, xq + h);
                    ShortVector xhi = ShortVector.fromArray(S, x.wide, xq + 16 + h);
                    s = s.add((IntVector) lo.mul(xlo).add(hi.mul(xhi)).convertShape(S2I, I, 0));
                }
                FloatVector sf = (FloatVector) s.convertShape(VectorOperators.I2F, F, 0);
                acc = sf.fma(FloatVector.broadcast(F, Simd.f16At(w, bo) * d[so + b]), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
    };

    /** Q4_1 and Q5_1: {@code d·q + m}, the minimum's share taken from the activation block sums. */
    static final RowDot Q4_1 = new MinBlockDot(20, false);
    static final RowDot Q5_1 = new MinBlockDot(24, true);

    static final RowDot Q5_0 = new RowDot() {
        @Override
        public Rounding rounding() {
            return Rounding.Q8_0;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 32;
            int qo = row * x.cols;
            float sum = 0;
            for (int b = 0; b < nb; b++) {
                long bo = off + 22L * b;
                int qh = w.get(Simd.INT, bo + 2);
                int xq = qo + 32 * b;
                int isum = 0;
                for (int j = 0; j < 16; j++) {
                    int v = w.get(ValueLayout.JAVA_BYTE, bo + 6 + j) & 0xFF;
                    int lo = ((v & 0xF) | (((qh >>> j) & 1) << 4)) - 16;
                    int hi = ((v >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16;
                    isum += lo * x.quants[xq + j] + hi * x.quants[xq + j + 16];
                }
                sum += Simd.f16At(w, bo) * x.scales[row * nb + b] * isum;
            }
            return sum;
        }
    };

    private record MinBlockDot(int blockBytes, boolean fifthBit) implements RowDot {
        @Override
        public Rounding rounding() {
            return Rounding.Q8_1;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 32;
            int qo = row * x.cols;
            int qsAt = fifthBit ? 8 : 4;
            float sum = 0;
            for (int b = 0; b < nb; b++) {
                long bo = off + (long) blockBytes * b;
                int qh = fifthBit ? w.get(Simd.INT, bo + 4) : 0;
                int xq = qo + 32 * b;
                int isum = 0;
                for (int j = 0; j < 16; j++) {
                    int v = w.get(ValueLayout.JAVA_BYTE, bo + qsAt + j) & 0xFF;
                    int lo = (v & 0xF) | (((qh >>> j) & 1) << 4);
                    int hi = (v >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
                    isum += lo * x.quants[xq + j] + hi * x.quants[xq + j + 16];
                }
                int s = row * nb + b;
                sum += Simd.f16At(w, bo) * x.scales[s] * isum + Simd.f16At(w, bo + 2) * x.sums[s];
            }
            return sum;
        }
    }
}
