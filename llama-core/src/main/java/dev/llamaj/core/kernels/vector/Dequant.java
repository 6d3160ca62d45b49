package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.B;
import static dev.llamaj.core.kernels.vector.Simd.B_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.F_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.IB;
import static dev.llamaj.core.kernels.vector.Simd.IB_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.L;
import static dev.llamaj.core.kernels.vector.Simd.LE;
import static jdk.incubator.vector.VectorOperators.B2F;

import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.TensorFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Weight rows decoded to floats for the prefill kernel, vectorized for the main formats (the
 * same float operations, in the same order, as the reference formats of {@code tensor}); the
 * others use the reference decoder. Every vector is cast to its exact class where it comes from a
 * load, a conversion or a reinterpretation, for the reason {@link Simd#F_VECTOR} gives: these run
 * in the prefill, which nothing primes.
 */
final class Dequant {
    private Dequant() {
    }

    /** Elements {@code first .. first+n)} of {@code seg} in {@code type} to {@code out[0..n)}. */
    static void rows(GgmlType type, MemorySegment seg, long first, int n, float[] out) {
        switch (type) {
            case F16 -> Simd.f16Row(seg, 2 * first, out, 0, n);
            case F32 -> MemorySegment.copy(seg, Simd.FLOAT, 4 * first, out, 0, n);
            case BF16 -> Simd.bf16Row(seg, 2 * first, out, 0, n);
            case Q8_0 -> q8_0(seg, first / 32 * 34, n / 32, out);
            case Q4_0 -> q4_0(seg, first / 32 * 18, n / 32, out);
            case Q4_K -> q4_K(seg, first / 256 * 144, n / 256, out);
            case Q6_K -> q6_K(seg, first / 256 * 210, n / 256, out);
            default -> TensorFormat.of(type).dequantize(seg, first, out, 0, n);
        }
    }

    private static void q8_0(MemorySegment seg, long at, int blocks, float[] out) {
        for (int b = 0; b < blocks; b++) {
            long bo = at + 34L * b;
            float d = Simd.f16At(seg, bo);
            for (int g = 0; g < 32; g += L) {
                F_VECTOR.cast(B_VECTOR.cast(ByteVector.fromMemorySegment(B, seg, bo + 2 + g, LE)).convertShape(B2F, F, 0)).mul(d)
                        .intoArray(out, 32 * b + g);
            }
        }
    }

    private static void q4_0(MemorySegment seg, long at, int blocks, float[] out) {
        for (int b = 0; b < blocks; b++) {
            long bo = at + 18L * b;
            float d = Simd.f16At(seg, bo);
            for (int h = 0; h < 16; h += L) {
                ByteVector v = B_VECTOR.cast(ByteVector.fromMemorySegment(B, seg, bo + 2 + h, LE));
                ByteVector hi = B_VECTOR.cast(IB_VECTOR.cast(v.reinterpretShape(IB, 0))
                        .lanewise(VectorOperators.LSHR, 4).reinterpretShape(B, 0));
                F_VECTOR.cast(v.and((byte) 0xF).sub((byte) 8).convertShape(B2F, F, 0)).mul(d).intoArray(out, 32 * b + h);
                F_VECTOR.cast(hi.and((byte) 0xF).sub((byte) 8).convertShape(B2F, F, 0)).mul(d).intoArray(out, 32 * b + 16 + h);
            }
        }
    }

    private static int u8(MemorySegment seg, long at) {
        return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static void q4_K(MemorySegment seg, long at, int blocks, float[] out) {
        for (int b = 0; b < blocks; b++) {
            long bo = at + 144L * b;
            float d = Simd.f16At(seg, bo);
            float dmin = Simd.f16At(seg, bo + 2);
            for (int j = 0; j < 4; j++) {
                for (int h = 0; h < 2; h++) {
                    int s = 2 * j + h;
                    int sc;
                    int m;
                    if (s < 4) {
                        sc = u8(seg, bo + 4 + s) & 63;
                        m = u8(seg, bo + 8 + s) & 63;
                    } else {
                        int packed = u8(seg, bo + 8 + s);
                        sc = (packed & 0xF) | ((u8(seg, bo + s) >>> 6) << 4);
                        m = (packed >>> 4) | ((u8(seg, bo + 4 + s) >>> 6) << 4);
                    }
                    float scale = d * sc;
                    float min = dmin * m;
                    for (int l = 0; l < 32; l += L) {
                        ByteVector v = B_VECTOR.cast(ByteVector.fromMemorySegment(B, seg, bo + 16 + 32 * j + l, LE));
                        if (h == 1) {
                            v = B_VECTOR.cast(IB_VECTOR.cast(v.reinterpretShape(IB, 0))
                                    .lanewise(VectorOperators.LSHR, 4).reinterpretShape(B, 0));
                        }
                        F_VECTOR.cast(B_VECTOR.cast(v).and((byte) 0xF).convertShape(B2F, F, 0)).mul(scale).sub(min)
                                .intoArray(out, 256 * b + 64 * j + 32 * h + l);
                    }
                }
            }
        }
    }

    private static void q6_K(MemorySegment seg, long at, int blocks, float[] out) {
        for (int b = 0; b < blocks; b++) {
            long bo = at + 210L * b;
            float d = Simd.f16At(seg, bo + 208);
            for (int n = 0; n < 2; n++) {
                for (int k = 0; k < 4; k++) {
                    for (int l = 0; l < 32; l += L) {
                        ByteVector ql = B_VECTOR.cast(ByteVector.fromMemorySegment(B, seg, bo + 64 * n + l + 32 * (k & 1), LE));
                        if (k >= 2) {
                            ql = B_VECTOR.cast(IB_VECTOR.cast(ql.reinterpretShape(IB, 0))
                                    .lanewise(VectorOperators.LSHR, 4).reinterpretShape(B, 0));
                        }
                        ByteVector qh = B_VECTOR.cast(ByteVector.fromMemorySegment(B, seg, bo + 128 + 32 * n + l, LE));
                        qh = B_VECTOR.cast(IB_VECTOR.cast(qh.reinterpretShape(IB, 0))
                                .lanewise(VectorOperators.LSHR, 2 * k).reinterpretShape(B, 0));
                        ByteVector q = B_VECTOR.cast(ql).and((byte) 0xF).or(qh.and((byte) 3).mul((byte) 16)).sub((byte) 32);
                        int e = 128 * n + 32 * k + l;
                        float scale = d * seg.get(ValueLayout.JAVA_BYTE, bo + 192 + e / 16);
                        F_VECTOR.cast(q.convertShape(B2F, F, 0)).mul(scale).intoArray(out, 256 * b + e);
                    }
                }
            }
        }
    }
}
