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
 * Dot products for the K-quants (super-blocks of 256) against Q8_K activations, as llama.cpp
 * computes them: per super-block an integer sum of {@code scale_s · Σ q·a} over sub-blocks,
 * times {@code d_w · d_x}; formats with minimums subtract {@code dmin_w · d_x · Σ m_s · bsum_s}
 * using the activation sums. Q4_K and Q6_K are vectorized.
 */
final class KQuantDots {
    private KQuantDots() {
    }

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    private static int u8(MemorySegment w, long at) {
        return w.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /** The 6-bit scales (j &lt; 8) and mins (8 + j) of a Q4_K/Q5_K super-block's 12 scale bytes at {@code at}. */
    private static void scalesAndMins(MemorySegment w, long at, int[] out) {
        for (int j = 0; j < 4; j++) {
            out[j] = u8(w, at + j) & 63;
            out[8 + j] = u8(w, at + j + 4) & 63;
        }
        for (int j = 4; j < 8; j++) {
            int packed = u8(w, at + j + 4);
            out[j] = (packed & 0xF) | ((u8(w, at + j - 4) >>> 6) << 4);
            out[8 + j] = (packed >>> 4) | ((u8(w, at + j) >>> 6) << 4);
        }
    }

    /** Scale of sub-block s of a Q4_K/Q5_K super-block whose scale bytes 0–7 are {@code lo8} and 8–11 {@code hi4}. */
    private static int scale(long lo8, int hi4, int s) {
        if (s < 4) {
            return (int) (lo8 >>> (8 * s)) & 63;
        }
        return ((hi4 >>> (8 * (s - 4))) & 0xF) | ((int) (lo8 >>> (8 * (s - 4) + 6)) & 3) << 4;
    }

    /** Minimum of sub-block s, from the same bytes as {@link #scale}. */
    private static int min(long lo8, int hi4, int s) {
        if (s < 4) {
            return (int) (lo8 >>> (8 * (s + 4))) & 63;
        }
        return ((hi4 >>> (8 * (s - 4) + 4)) & 0xF) | ((int) (lo8 >>> (8 * s + 6)) & 3) << 4;
    }

    private static ByteVector shifted(ByteVector v, VectorOperators.Binary shift, int bits) {
        return (ByteVector) v.reinterpretShape(IB, 0).lanewise(shift, bits).reinterpretShape(B, 0);
    }

    private abstract static class KDot implements RowDot {
        @Override
        public Rounding rounding() {
            return Rounding.Q8_K;
        }
    }

    static final RowDot Q4_K = new KDot() {
        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 256;
            int qo = row * x.cols;
            byte[] q = x.quants;
            FloatVector acc = FloatVector.zero(F);
            float mins = 0;
            for (int b = 0; b < nb; b++) {
                long bo = off + 144L * b;
                int xq = qo + 256 * b;
                float dx = x.scales[row * nb + b];
                long lo8 = w.get(LONG, bo + 4);
                int hi4 = w.get(Simd.INT, bo + 12);
                IntVector s = IntVector.zero(I);
                for (int j = 0; j < 4; j++) {
                    // a sub-block's products are summed before its scale multiplies them: one
                    // integer multiply per sub-block, the costly part of this loop
                    IntVector lo = IntVector.zero(I);
                    IntVector hi = IntVector.zero(I);
                    for (int l = 0; l < 32; l += L) {
                        ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, w, bo + 16 + 32 * j + l, LE).convertShape(B2S, S, 0);
                        ShortVector xlo = ShortVector.fromArray(S, x.wide, xq + 64 * j + l);
                        ShortVector xhi = ShortVector.fromArray(S, x.wide, xq + 64 * j + 32 + l);
                        lo = lo.add((IntVector) v.and((short) 0xF).mul(xlo).convertShape(S2I, I, 0));
                        hi = hi.add((IntVector) v.lanewise(VectorOperators.ASHR, 4).and((short) 0xF).mul(xhi).convertShape(S2I, I, 0));
                    }
                    s = s.add(lo.mul(scale(lo8, hi4, 2 * j))).add(hi.mul(scale(lo8, hi4, 2 * j + 1)));
                }
                acc = ((FloatVector) s.convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, Simd.f16At(w, bo) * dx), acc);
                int bs = (row * nb + b) * 16;
                int m = 0;
                for (int j = 0; j < 8; j++) {
                    m += min(lo8, hi4, j) * (x.blockSums[bs + 2 * j] + x.blockSums[bs + 2 * j + 1]);
                }
                mins += Simd.f16At(w, bo + 2) * dx * m;
            }
            return acc.reduceLanes(VectorOperators.ADD) - mins;
        }
    };

    static final RowDot Q6_K = new KDot() {
        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 256;
            int qo = row * x.cols;
            byte[] q = x.quants;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nb; b++) {
                long bo = off + 210L * b;
                int xq = qo + 256 * b;
                long sc = bo + 192;
                IntVector s = IntVector.zero(I);
                for (int n = 0; n < 2; n++) {
                    for (int l = 0; l < 32; l += L) {
                        ByteVector ql0 = ByteVector.fromMemorySegment(B, w, bo + 64 * n + l, LE);
                        ByteVector ql1 = ByteVector.fromMemorySegment(B, w, bo + 64 * n + 32 + l, LE);
                        ByteVector qh = ByteVector.fromMemorySegment(B, w, bo + 128 + 32 * n + l, LE);
                        int e = xq + 128 * n + l;
                        int si = 8 * n + l / 16;
                        // bits are moved with 32-bit shifts (x86 has no byte shifts); masks drop what crossed bytes
                        ByteVector q0 = ql0.and((byte) 0xF).or(shifted(qh, VectorOperators.LSHL, 4).and((byte) 0x30));
                        ByteVector q1 = ql1.and((byte) 0xF).or(shifted(qh, VectorOperators.LSHL, 2).and((byte) 0x30));
                        ByteVector q2 = shifted(ql0, VectorOperators.LSHR, 4).and((byte) 0xF).or(qh.and((byte) 0x30));
                        ByteVector q3 = shifted(ql1, VectorOperators.LSHR, 4).and((byte) 0xF)
                                .or(shifted(qh, VectorOperators.LSHR, 2).and((byte) 0x30));
                        ShortVector p0 = ((ShortVector) q0.sub((byte) 32).convertShape(B2S, S, 0)).mul(ShortVector.fromArray(S, x.wide, e));
                        ShortVector p1 = ((ShortVector) q1.sub((byte) 32).convertShape(B2S, S, 0)).mul(ShortVector.fromArray(S, x.wide, e + 32));
                        ShortVector p2 = ((ShortVector) q2.sub((byte) 32).convertShape(B2S, S, 0)).mul(ShortVector.fromArray(S, x.wide, e + 64));
                        ShortVector p3 = ((ShortVector) q3.sub((byte) 32).convertShape(B2S, S, 0)).mul(ShortVector.fromArray(S, x.wide, e + 96));
                        s = s.add(((IntVector) p0.convertShape(S2I, I, 0)).mul(w.get(ValueLayout.JAVA_BYTE, sc + si)))
                                .add(((IntVector) p1.convertShape(S2I, I, 0)).mul(w.get(ValueLayout.JAVA_BYTE, sc + si + 2)))
                                .add(((IntVector) p2.convertShape(S2I, I, 0)).mul(w.get(ValueLayout.JAVA_BYTE, sc + si + 4)))
                                .add(((IntVector) p3.convertShape(S2I, I, 0)).mul(w.get(ValueLayout.JAVA_BYTE, sc + si + 6)));
                    }
                }
                acc = ((FloatVector) s.convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, Simd.f16At(w, bo + 208) * x.scales[row * nb + b]), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
    };

    static final RowDot Q5_K = new KDot() {
        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 256;
            int[] sm = new int[16];
            float sum = 0;
            for (int b = 0; b < nb; b++) {
                long bo = off + 176L * b;
                int xq = row * x.cols + 256 * b;
                scalesAndMins(w, bo + 4, sm);
                int isum = 0;
                for (int j = 0; j < 4; j++) {
                    for (int h = 0; h < 2; h++) {
                        int sub = 0;
                        for (int l = 0; l < 32; l++) {
                            int v = (u8(w, bo + 48 + 32 * j + l) >>> (4 * h)) & 0xF;
                            v |= ((u8(w, bo + 16 + l) >>> (2 * j + h)) & 1) << 4;
                            sub += v * x.quants[xq + 64 * j + 32 * h + l];
                        }
                        isum += sm[2 * j + h] * sub;
                    }
                }
                int bs = (row * nb + b) * 16;
                int m = 0;
                for (int j = 0; j < 8; j++) {
                    m += sm[8 + j] * (x.blockSums[bs + 2 * j] + x.blockSums[bs + 2 * j + 1]);
                }
                float dx = x.scales[row * nb + b];
                sum += Simd.f16At(w, bo) * dx * isum - Simd.f16At(w, bo + 2) * dx * m;
            }
            return sum;
        }
    };

    static final RowDot Q2_K = new KDot() {
        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 256;
            float sum = 0;
            for (int b = 0; b < nb; b++) {
                long bo = off + 84L * b;
                int xq = row * x.cols + 256 * b;
                int bs = (row * nb + b) * 16;
                int isum = 0;
                int m = 0;
                for (int n = 0; n < 2; n++) {
                    for (int j = 0; j < 4; j++) {
                        for (int s = 0; s < 2; s++) {
                            int idx = 8 * n + 2 * j + s;
                            int scale = u8(w, bo + idx);
                            int sub = 0;
                            for (int l = 0; l < 16; l++) {
                                int v = (u8(w, bo + 16 + 32 * n + 16 * s + l) >>> (2 * j)) & 3;
                                sub += v * x.quants[xq + 128 * n + 32 * j + 16 * s + l];
                            }
                            isum += (scale & 0xF) * sub;
                            m += (scale >>> 4) * x.blockSums[bs + idx];
                        }
                    }
                }
                float dx = x.scales[row * nb + b];
                sum += Simd.f16At(w, bo + 80) * dx * isum - Simd.f16At(w, bo + 82) * dx * m;
            }
            return sum;
        }
    };

    static final RowDot Q3_K = new KDot() {
        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 256;
            float sum = 0;
            for (int b = 0; b < nb; b++) {
                long bo = off + 110L * b;
                int xq = row * x.cols + 256 * b;
                int isum = 0;
                for (int n = 0; n < 2; n++) {
                    for (int j = 0; j < 4; j++) {
                        for (int s = 0; s < 2; s++) {
                            int idx = 8 * n + 2 * j + s;
                            int low = idx < 8 ? u8(w, bo + 96 + idx) & 0xF : u8(w, bo + 96 + idx - 8) >>> 4;
                            int high = (u8(w, bo + 96 + 8 + idx % 4) >>> (2 * (idx / 4))) & 3;
                            int scale = (low | (high << 4)) - 32;
                            int sub = 0;
                            for (int l = 0; l < 16; l++) {
                                int v = (u8(w, bo + 32 + 32 * n + 16 * s + l) >>> (2 * j)) & 3;
                                if (((u8(w, bo + 16 * s + l) >>> (4 * n + j)) & 1) == 0) {
                                    v -= 4;
                                }
                                sub += v * x.quants[xq + 128 * n + 32 * j + 16 * s + l];
                            }
                            isum += scale * sub;
                        }
                    }
                }
                sum += Simd.f16At(w, bo + 108) * x.scales[row * nb + b] * isum;
            }
            return sum;
        }
    };
}
