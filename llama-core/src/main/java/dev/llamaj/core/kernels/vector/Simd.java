package dev.llamaj.core.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes the kernels use, all with the same lane count {@link #L}: floats and ints
 * fill the preferred register (16 lanes with AVX-512), shorts half of one, bytes a quarter, so
 * that widening byte → short → int keeps lanes aligned and 32-element blocks split evenly.
 */
final class Simd {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    /** Ints over the bytes of a {@link #B} register: x86 shifts 32-bit lanes but has no byte or reliable short shift. */
    static final VectorSpecies<Integer> IB = VectorSpecies.of(int.class, B.vectorShape());
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private Simd() {
    }

    /** Lane-wise products of two byte vectors, widened to ints (exact: |a·b| ≤ 128·127). */
    static IntVector mul(ByteVector a, ByteVector b) {
        ShortVector as = (ShortVector) a.convertShape(VectorOperators.B2S, S, 0);
        ShortVector bs = (ShortVector) b.convertShape(VectorOperators.B2S, S, 0);
        return (IntVector) as.mul(bs).convertShape(VectorOperators.S2I, I, 0);
    }

    /** Widened sum of two products: {@code a·b + c·d} (exact as long as each |product| ≤ 16384). */
    static IntVector mul2(ByteVector a, ByteVector b, ByteVector c, ByteVector d) {
        ShortVector p = ((ShortVector) a.convertShape(VectorOperators.B2S, S, 0))
                .mul((ShortVector) b.convertShape(VectorOperators.B2S, S, 0));
        ShortVector r = ((ShortVector) c.convertShape(VectorOperators.B2S, S, 0))
                .mul((ShortVector) d.convertShape(VectorOperators.B2S, S, 0));
        return (IntVector) p.add(r).convertShape(VectorOperators.S2I, I, 0);
    }

    /** {@link #L} bytes of {@code seg} at {@code off}, sign-extended to shorts. */
    static ShortVector shorts(MemorySegment seg, long off) {
        return (ShortVector) ByteVector.fromMemorySegment(B, seg, off, LE).convertShape(VectorOperators.B2S, S, 0);
    }

    /** {@link #L} bytes of {@code a} at {@code off}, sign-extended to shorts. */
    static ShortVector shorts(byte[] a, int off) {
        return (ShortVector) ByteVector.fromArray(B, a, off).convertShape(VectorOperators.B2S, S, 0);
    }

    /** Short lanes widened to ints. */
    static IntVector ints(ShortVector v) {
        return (IntVector) v.convertShape(VectorOperators.S2I, I, 0);
    }

    static ByteVector bytes(MemorySegment seg, long off) {
        return ByteVector.fromMemorySegment(B, seg, off, LE);
    }

    static ByteVector bytes(byte[] a, int off) {
        return ByteVector.fromArray(B, a, off);
    }

    /** {@link #L} F16 values at {@code off} of {@code seg} as floats (exact for all finite values). */
    static FloatVector f16(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, off, LE).convertShape(VectorOperators.S2I, I, 0);
        // the magnitude bits shifted into a float's place, then scaled by 2^112 to re-bias the exponent;
        // this also turns F16 subnormals into the right normal floats
        FloatVector mag = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        return mag.reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** {@link #L} BF16 values at {@code off} of {@code seg} as floats. */
    static FloatVector bf16(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, off, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float f16At(MemorySegment seg, long off) {
        return Float.float16ToFloat(seg.get(SHORT, off));
    }

    static float bf16At(MemorySegment seg, long off) {
        return Float.intBitsToFloat((seg.get(SHORT, off) & 0xffff) << 16);
    }
}
