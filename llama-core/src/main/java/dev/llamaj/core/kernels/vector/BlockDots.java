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
import jdk.incubator.vector.VectorSpecies;

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

    /**
     * Q4_0 in the float domain, shaped to cut instructions per 18-byte block (the kernel is
     * compute-bound: ~9 GB/s from memory, about the same from cache):
     * <ul>
     *   <li>one register load per block brings the F16 scale and the 16 quant bytes: a second
     *       segment access per block (the scalar scale read) cost ~20% in cache, each access
     *       paying its own bounds and liveness checks;</li>
     *   <li>one byte permute repeats the quants in every 16 bytes; lane {@code j} shifts its int
     *       right by {@code 8·(j/4)} (+4 for the high nibbles) and masks, so an in-lane int→float
     *       conversion gives the weights, with no byte→short→int widening shuffles;</li>
     *   <li>the activations are laid out in that lane order once per row
     *       ({@link RoundedRows#nibbleOrder}); the -8 offset is applied once per block as
     *       {@code -8·d·Σx} ({@link RoundedRows#blockSumsQ8_0}) in a scalar. A per-lane offset
     *       array was tried: for 5632-column rows (FFN down) it pushed the activations out of L1
     *       and made the kernel 40% slower.</li>
     * </ul>
     * Every product and per-block lane sum is a small integer, exact in float; the result
     * differs from the former short-widening path only in the order float terms are summed
     * (elements' lanes, and the offset term summed apart). Blocks at the very end of a tensor,
     * where a full register would read past it, take the scalar path.
     */
    static final RowDot Q4_0 = new RowDot() {
        @Override
        public Rounding rounding() {
            return Rounding.Q8_0;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 32;
            int so = row * nb;
            float[] xr = x.nibbleOrder;
            float[] xsum = x.blockSumsQ8_0;
            float[] d = x.scales;
            // blocks whose full-register load stays inside the segment; the rest (end of the tensor) go scalar
            long room = w.byteSize() - off - BI.vectorByteSize();
            int fast = room < 0 ? 0 : (int) Math.min(nb, room / 18 + 1);
            FloatVector acc = FloatVector.zero(F);
            float offset = 0;
            for (int b = 0; b < fast; b++) {
                long bo = off + 18L * b;
                int xq = 32 * (so + b);
                // one load per block brings both the F16 scale (bytes 0-1) and the quants (2-17): every
                // segment access costs bounds and liveness checks, a second one per block cost 20%
                ByteVector all = ByteVector.fromMemorySegment(BI, w, bo, LE);
                float dw = Float.float16ToFloat(all.reinterpretAsShorts().lane(0));
                IntVector v = all.rearrange(SPREAD).reinterpretAsInts();
                FloatVector lo = (FloatVector) v.lanewise(VectorOperators.LSHR, SHIFT_LO[0]).and(0xF).convertShape(VectorOperators.I2F, F, 0);
                FloatVector hi = (FloatVector) v.lanewise(VectorOperators.LSHR, SHIFT_HI[0]).and(0xF).convertShape(VectorOperators.I2F, F, 0);
                FloatVector s = lo.fma(FloatVector.fromArray(F, xr, xq), hi.mul(FloatVector.fromArray(F, xr, xq + L)));
                for (int t = 1; t < 16 / L; t++) {
                    lo = (FloatVector) v.lanewise(VectorOperators.LSHR, SHIFT_LO[t]).and(0xF).convertShape(VectorOperators.I2F, F, 0);
                    hi = (FloatVector) v.lanewise(VectorOperators.LSHR, SHIFT_HI[t]).and(0xF).convertShape(VectorOperators.I2F, F, 0);
                    s = lo.fma(FloatVector.fromArray(F, xr, xq + 2 * t * L), hi.fma(FloatVector.fromArray(F, xr, xq + (2 * t + 1) * L), s));
                }
                float scale = dw * d[so + b];
                acc = s.fma(FloatVector.broadcast(F, scale), acc);
                // the -8 offset as -8·d·Σx per block, in a scalar: a per-lane offset array cost L1 space
                offset += scale * xsum[so + b];
            }
            float tail = 0;
            for (int b = fast; b < nb; b++) {
                long bo = off + 18L * b;
                int xq = row * x.cols + 32 * b;
                int isum = 0;
                for (int j = 0; j < 16; j++) {
                    int v = w.get(ValueLayout.JAVA_BYTE, bo + 2 + j);
                    isum += ((v & 0xF) - 8) * x.quants[xq + j] + (((v >> 4) & 0xF) - 8) * x.quants[xq + j + 16];
                }
                tail += Simd.f16At(w, bo) * d[so + b] * isum;
            }
            return acc.reduceLanes(VectorOperators.ADD) - 8 * offset + tail;
        }
    };

    /** Bytes in a register of {@link Simd#I}'s shape: one load holds a whole 18-byte Q4_0 block. */
    private static final jdk.incubator.vector.VectorSpecies<Byte> BI = VectorSpecies.of(byte.class, I.vectorShape());
    /** Repeats a Q4_0 block's 16 quant bytes (bytes 2-17 of the block) in every 16 bytes of the register. */
    private static final jdk.incubator.vector.VectorShuffle<Byte> SPREAD =
            jdk.incubator.vector.VectorShuffle.fromOp(BI, k -> 2 + (k % 16));
    private static final IntVector[] SHIFT_LO = new IntVector[16 / L];
    private static final IntVector[] SHIFT_HI = new IntVector[16 / L];

    static {
        for (int t = 0; t < 16 / L; t++) {
            int[] lo = new int[L];
            int[] hi = new int[L];
            for (int j = 0; j < L; j++) {
                lo[j] = 8 * (j / 4 + t * L / 4);
                hi[j] = lo[j] + 4;
            }
            SHIFT_LO[t] = IntVector.fromArray(I, lo, 0);
            SHIFT_HI[t] = IntVector.fromArray(I, hi, 0);
        }
    }

    /** Element of a 32-block that lane {@code j} of pass {@code t} holds, low ({@code nib} 0) or high nibbles. */
    static int nibbleElement(int t, int nib, int j) {
        return 16 * nib + 4 * (j % 4) + j / 4 + t * L / 4;
    }

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
