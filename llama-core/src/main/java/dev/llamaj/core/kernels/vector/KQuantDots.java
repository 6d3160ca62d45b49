package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.BW_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.F_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.I_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.SW;
import static dev.llamaj.core.kernels.vector.Simd.SW_VECTOR;
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
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products for the K-quants (super-blocks of 256) against Q8_K activations, as llama.cpp
 * computes them: per super-block an integer sum of {@code scale_s · Σ q·a} over sub-blocks,
 * times {@code d_w · d_x}; formats with minimums subtract {@code dmin_w · d_x · Σ m_s · bsum_s}
 * using the activation sums. All five are vectorized; Q5_K, Q3_K and Q2_K (and Q4_K under
 * 512-bit registers) in the float domain on integer-valued lanes (exact), Q6_K and Q4_K with
 * 512-bit registers on short/int lanes.
 */
final class KQuantDots {
    private KQuantDots() {
    }

    /*
     * A Q4_K/Q5_K super-block's 12 scale bytes hold eight 6-bit scales and eight 6-bit minimums,
     * unpacked here four at a time into the bytes of an int (SWAR), not one by one: the per-value
     * unpacking cost a third of the kernel. Bytes 0-3 (scales) and 4-7 (minimums) hold values 0-3
     * in their low 6 bits and the top 2 bits of values 4-7; bytes 8-11 hold the low 4 bits of
     * values 4-7, scales in the low nibbles and minimums in the high ones. (Q4_K with 512-bit
     * registers unpacks all sixteen at once in an xmm register instead: see Q4K_LOW_BITS.)
     */

    /** Values 0-3 of a 6-bit table, one per byte: the low 6 bits of {@code low4}'s bytes. */
    private static int first4(int low4) {
        return low4 & 0x3F3F3F3F;
    }

    /** Values 4-7: the low nibbles of {@code nibbles}' bytes, the top 2 bits of {@code low4}'s bytes above them. */
    private static int last4(int low4, int nibbles) {
        return (nibbles & 0x0F0F0F0F) | (((low4 >>> 6) & 0x03030303) << 4);
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

    /**
     * Q4_K. With 512-bit registers ({@link Simd#SHORT_PRODUCTS}), products in 16-bit lanes. Per 128
     * weights (64 quant bytes: sub-blocks 4h to 4h+3) one 64-byte load; a short lane holds two quant
     * bytes of one 32-byte group, and masks and shifts give its four nibbles, multiplied (16-bit)
     * against {@link RoundedRows#q4kQuads} (bytes widened as loaded, {@link Simd#BW}; ≤ 15·127, exact). The low nibbles' products (first
     * sub-block of each group) are added, the high nibbles' too, and each is summed into 16 int
     * lanes ({@code (v + (v << 16)) >> 16}, ≤ 4·15·127), 8 per sub-block, converted to float and
     * multiplied-added with a vector of the two sub-blocks' 6-bit scales (one permute of the eight
     * scales; integers below 2^21, exact, so equal to an int accumulator's), then times
     * {@code d_w·d_x}. Against the former pass per 64
     * weights (a zero-extending 32-byte load, two pair sums and two scale multiplies per sub-block
     * pair), JMH 5632×2048, per-fork best, alternated: in cache 591-621 vs 636-660 µs, from DRAM
     * 573-621 vs 665-750. The two halves are written out: as a loop C2 kept range checks and
     * branches between the iterations, as a helper method it was not inlined and boxed the vectors.
     *
     * <p>With narrower registers, in the float domain: per 32 quant bytes the bytes are repeated
     * across the register with one byte permute, then a per-lane variable shift and mask isolates
     * a nibble per lane, against activations laid out in that lane order ({@link RoundedRows#kOrder});
     * products, per-sub-block sums (≤ 32·15·127) and their 6-bit-scaled sum over the super-block
     * (&lt; 2^21) are integers exact in float.
     *
     * <p>Either way each lane holds exactly what the integer path held; only the order of the final
     * lane reduction differs. Every load lies inside its super-block (both ways they end at its
     * byte 144), so no super-block needs a scalar path.
     *
     * <p>A token's product reads the rows one after another ({@link #q4kRow}). Two rows side by
     * side with their sums in registers, as Q8_0 reads them, gave the same bits and no speed: on
     * an AMD EPYC (Zen 4) host, 1 thread, alternated, JMH 5632×2048 from DRAM 703-835 µs against
     * 668-778 one row after another, 590-649 against 616-773 in L3, TinyLlama Q4_K_M decode
     * 11.9-14.4 against 12.7-15.6 tok/s. This dot is bound by its instructions (~68 per
     * super-block), not by the stream of weights, so a second stream adds nothing.
     */
    static final RowDot Q4_K = new FourRowDot(Rounding.Q8_K) {
        @Override
        void rows(MemorySegment w, long off, long stride, int nrows, RoundedRows x, int row, float[] scratch) {
            q4kRows(w, off, stride, nrows, x, row, scratch);
        }

        @Override
        float finish(MemorySegment w, long off, RoundedRows x, int row, float[] scratch, int k) {
            return lanes(scratch, k) - Simd.laneSum8(scratch, 4 * L + 8 * k);
        }

        @Override
        float one(MemorySegment w, long off, RoundedRows x, int row, float[] scratch) {
            return q4kRow(w, off, x, row);
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row, float[] scratch) {
            return Simd.SHORT_PRODUCTS ? one(w, off, x, row, scratch) : dot(w, off, x, raw, row);
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            if (Simd.SHORT_PRODUCTS) {
                return super.dot(w, off, x, raw, row);
            }
            int nb = x.cols / 256;
            float[] xr = x.kOrder;
            FloatVector acc = FloatVector.zero(F);
            FloatVector minsV = FloatVector.zero(F8);
            for (int b = 0; b < nb; b++) {
                long bo = off + 144L * b;
                int xq = 256 * (row * nb + b);
                float dx = x.scales[row * nb + b];
                // d, dmin and the 12 scale bytes in one 16-byte load: each segment access costs its checks
                LongVector head = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, bo, LE).reinterpretAsLongs();
                long h0 = head.lane(0);
                long h1 = head.lane(1);
                float dw = Float.float16ToFloat((short) h0);
                float dmin = Float.float16ToFloat((short) (h0 >>> 16));
                long lo8 = (h0 >>> 32) | (h1 << 32);
                int hi4 = (int) (h1 >>> 32);
                int mins4 = (int) (lo8 >>> 32);
                long m8 = (first4(mins4) & 0xFFFFFFFFL) | (long) last4(mins4, hi4 >>> 4) << 32;
                // the scales packed four to an int, picked per pair with shifts: a branch per sub-block on which
                // half of the 12 bytes holds its bits, and an int broadcast (FloatVector.broadcast(long) checks
                // exactness), cost 7%
                int s0 = first4((int) lo8);
                int s1 = last4((int) lo8, hi4);
                FloatVector s = FloatVector.zero(F);
                for (int j = 0; j < 4; j++) {
                    int packed = j < 2 ? s0 : s1;
                    int at = 16 * (j & 1);
                    int e = xq + 64 * j;
                    IntVector v = ByteVector.fromMemorySegment(BI, w, bo + 16 + 32 * j, LE).rearrange(SPREAD32).reinterpretAsInts();
                    // pass 0 is peeled so the sums start from a product, not an add to a zero vector
                    FloatVector lo = ((FloatVector) v.lanewise(VectorOperators.LSHR, SHIFT[0]).and(0xF).convertShape(VectorOperators.I2F, F, 0))
                            .mul(FloatVector.fromArray(F, xr, e));
                    FloatVector hi = ((FloatVector) v.lanewise(VectorOperators.LSHR, SHIFT_HI[0]).and(0xF).convertShape(VectorOperators.I2F, F, 0))
                            .mul(FloatVector.fromArray(F, xr, e + 32));
                    for (int t = 1; t < 32 / L; t++) {
                        FloatVector ql = (FloatVector) v.lanewise(VectorOperators.LSHR, SHIFT[t]).and(0xF).convertShape(VectorOperators.I2F, F, 0);
                        FloatVector qh = (FloatVector) v.lanewise(VectorOperators.LSHR, SHIFT_HI[t]).and(0xF).convertShape(VectorOperators.I2F, F, 0);
                        lo = ql.fma(FloatVector.fromArray(F, xr, e + t * L), lo);
                        hi = qh.fma(FloatVector.fromArray(F, xr, e + 32 + t * L), hi);
                    }
                    // one scale multiply per sub-block, after its products are summed
                    s = lo.fma(FloatVector.broadcast(F, (float) ((packed >>> at) & 0xFF)), s);
                    s = hi.fma(FloatVector.broadcast(F, (float) ((packed >>> (at + 8)) & 0xFF)), s);
                }
                acc = s.fma(FloatVector.broadcast(F, dw * dx), acc);
                // the eight 6-bit minimums, one per byte, times the activation sums per 32 in one 8-lane multiply-add,
                // reduced once per row: 6-9% faster than the eight scalar products it replaces, alternated in JMH
                // 5632x2048 from DRAM (fp512) and in cache. (Vectorizing the scale broadcasts too cost 8%: it moved
                // work from the scalar pipes, which overlap, onto the vector pipes, which are the bottleneck.)
                FloatVector m = (FloatVector) LongVector.broadcast(LongVector.SPECIES_128, m8).reinterpretAsBytes()
                        .convertShape(VectorOperators.B2F, F8, 0);
                minsV = m.mul(FloatVector.fromArray(F8, x.pairSums, 8 * (row * nb + b))).fma(FloatVector.broadcast(F8, dmin * dx), minsV);
            }
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
            acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
            minsV = (FloatVector) minsV.add(minsV.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            minsV = minsV.add(minsV.rearrange(Simd.XOR_2_OF_4));
            return (acc.lane(0) + acc.lane(1)) - (minsV.lane(0) + minsV.lane(1));
        }

        @Override
        public void dot4(MemorySegment w, long off, long stride, RoundedRows x, float[] raw, int row, float[] out, int o,
                int outStride, float[] scratch) {
            if (Simd.SHORT_PRODUCTS) {
                super.dot4(w, off, stride, x, raw, row, out, o, outStride, scratch);
                return;
            }
            for (int k = 0; k < 4; k++) {
                out[o + k * outStride] = dot(w, off + k * stride, x, raw, row);
            }
        }
    };

    /**
     * {@link #Q4_K}'s 512-bit path over {@code nrows} rows at {@code off + k·stride}, super-block by
     * super-block: the activations loaded and widened once for all of them; row k's lanes in
     * {@code scratch[k·L ..]}, its minimum terms in {@code scratch[4L + 8k ..]} (a load and a store
     * per super-block: its sums keep one order whether the row runs alone or beside others).
     */
    private static void q4kRows(MemorySegment w, long off, long stride, int nrows, RoundedRows x, int row, float[] scratch) {
        int nb = x.cols / 256;
        Arrays.fill(scratch, 0, 4 * L + 32, 0f);
        byte[] xq4 = x.q4kQuads;
        for (int b = 0; b < nb; b++) {
            int xq = 256 * (row * nb + b);
            float dx = x.scales[row * nb + b];
            ShortVector x0 = (ShortVector) ByteVector.fromArray(Simd.BW, xq4, xq).convertShape(B2S, Simd.SW, 0);
            ShortVector x1 = (ShortVector) ByteVector.fromArray(Simd.BW, xq4, xq + 32).convertShape(B2S, Simd.SW, 0);
            ShortVector x2 = (ShortVector) ByteVector.fromArray(Simd.BW, xq4, xq + 64).convertShape(B2S, Simd.SW, 0);
            ShortVector x3 = (ShortVector) ByteVector.fromArray(Simd.BW, xq4, xq + 96).convertShape(B2S, Simd.SW, 0);
            ShortVector x4 = (ShortVector) ByteVector.fromArray(Simd.BW, xq4, xq + 128).convertShape(B2S, Simd.SW, 0);
            ShortVector x5 = (ShortVector) ByteVector.fromArray(Simd.BW, xq4, xq + 160).convertShape(B2S, Simd.SW, 0);
            ShortVector x6 = (ShortVector) ByteVector.fromArray(Simd.BW, xq4, xq + 192).convertShape(B2S, Simd.SW, 0);
            ShortVector x7 = (ShortVector) ByteVector.fromArray(Simd.BW, xq4, xq + 224).convertShape(B2S, Simd.SW, 0);
            FloatVector pairs = FloatVector.fromArray(F8, x.pairSums, 8 * (row * nb + b));
            for (int k = 0; k < nrows; k++) {
                long bo = off + k * stride + 144L * b;
                // d, dmin and the 12 scale bytes in one 16-byte load: each segment access costs its checks
                ByteVector head = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, bo, LE);
                long h0 = head.reinterpretAsLongs().lane(0);
                float dw = Float.float16ToFloat((short) h0);
                float dmin = Float.float16ToFloat((short) (h0 >>> 16));
                // the sixteen 6-bit values, scales 0-7 then minimums 0-7, one per byte, unpacked in one register
                ByteVector sixBits = q4kSixBits(head);
                // the eight scales into float lanes 0-7, then one permute per pair of sub-blocks
                // that share a product vector below: lanes 0-7 the first's scale, 8-15 the second's
                FloatVector scales = (FloatVector) sixBits.convertShape(VectorOperators.B2F, F, 0);
                FloatVector m = (FloatVector) sixBits.convertShape(VectorOperators.B2F, F8, 1);
                // first half (sub-blocks 0-3): a short lane holds quant bytes 2j, 2j+1 of one 32-byte group, whose
                // low nibbles are elements of its first sub-block and high nibbles of its second
                IntVector q = ByteVector.fromMemorySegment(BI, w, bo + 16, LE).reinterpretAsInts();
                IntVector even = q.and(Simd.LOW_NIBBLES).reinterpretAsShorts().mul(x0)
                        .add(q.lanewise(VectorOperators.LSHR, 8).and(Simd.LOW_NIBBLES).reinterpretAsShorts().mul(x1)).reinterpretAsInts();
                IntVector odd = q.lanewise(VectorOperators.LSHR, 4).and(Simd.LOW_NIBBLES).reinterpretAsShorts().mul(x2)
                        .add(q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 12).mul(x3)).reinterpretAsInts();
                // an int lane holds shorts h and l: (v + (v << 16)) >> 16 is h + l (≤ 4·15·127). Those sums times the
                // 6-bit scales in float, not int: a conversion and a multiply-add each, where an int multiply
                // (vpmulld) is two uops on the vector pipes. Every product is an integer below 2^19 and a lane adds four
                // (< 2^21), so the float lanes hold exactly the int sums the integer path held.
                FloatVector s = ((FloatVector) even.add(even.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).mul(scales.rearrange(Q4K_SCALES_02));
                s = ((FloatVector) odd.add(odd.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(scales.rearrange(Q4K_SCALES_13), s);
                // second half (sub-blocks 4-7)
                q = ByteVector.fromMemorySegment(BI, w, bo + 80, LE).reinterpretAsInts();
                even = q.and(Simd.LOW_NIBBLES).reinterpretAsShorts().mul(x4)
                        .add(q.lanewise(VectorOperators.LSHR, 8).and(Simd.LOW_NIBBLES).reinterpretAsShorts().mul(x5)).reinterpretAsInts();
                odd = q.lanewise(VectorOperators.LSHR, 4).and(Simd.LOW_NIBBLES).reinterpretAsShorts().mul(x6)
                        .add(q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 12).mul(x7)).reinterpretAsInts();
                s = ((FloatVector) even.add(even.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(scales.rearrange(Q4K_SCALES_46), s);
                s = ((FloatVector) odd.add(odd.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(scales.rearrange(Q4K_SCALES_57), s);
                s.fma(FloatVector.broadcast(F, dw * dx), FloatVector.fromArray(F, scratch, k * L)).intoArray(scratch, k * L);
                m.mul(pairs).fma(FloatVector.broadcast(F8, dmin * dx), FloatVector.fromArray(F8, scratch, 4 * L + 8 * k))
                        .intoArray(scratch, 4 * L + 8 * k);
            }
        }
    }

    /**
     * {@link #q4kRows} for one row: the same operations in the same order (so the same bits), its
     * two sums in registers from super-block to super-block instead of a scratch's store and load,
     * and the activations widened as loaded, as there. Returns the lanes' sum less the minimum terms'
     * sum, each in {@link #Q4_K}'s {@code finish} order.
     * Values are cast to their exact classes, as in {@link Gemm}.
     */
    private static float q4kRow(MemorySegment w, long off, RoundedRows x, int row) {
        int nb = x.cols / 256;
        byte[] xq4 = x.q4kQuads;
        FloatVector acc = F_VECTOR.cast(FloatVector.zero(F));
        FloatVector macc = F8_VECTOR.cast(FloatVector.zero(F8));
        // pair sums as v·0x10001 >> 16 where Simd.PAIR_SUMS_BY_MULTIPLY, as BlockDots.q4_0Row explains (Q4_K on Zen 5: 4-5% faster)
        for (int b = 0; b < nb; b++) {
            int xq = 256 * (row * nb + b);
            float dx = x.scales[row * nb + b];
            ShortVector x0 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xq4, xq)).convertShape(B2S, Simd.SW, 0));
            ShortVector x1 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xq4, xq + 32)).convertShape(B2S, Simd.SW, 0));
            ShortVector x2 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xq4, xq + 64)).convertShape(B2S, Simd.SW, 0));
            ShortVector x3 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xq4, xq + 96)).convertShape(B2S, Simd.SW, 0));
            ShortVector x4 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xq4, xq + 128)).convertShape(B2S, Simd.SW, 0));
            ShortVector x5 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xq4, xq + 160)).convertShape(B2S, Simd.SW, 0));
            ShortVector x6 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xq4, xq + 192)).convertShape(B2S, Simd.SW, 0));
            ShortVector x7 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xq4, xq + 224)).convertShape(B2S, Simd.SW, 0));
            long bo = off + 144L * b;
            ByteVector head = B128_VECTOR.cast(ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, bo, LE));
            long h0 = head.reinterpretAsLongs().lane(0);
            float dw = Float.float16ToFloat((short) h0);
            float dmin = Float.float16ToFloat((short) (h0 >>> 16));
            ByteVector sixBits = q4kSixBits(head);
            FloatVector scales = F_VECTOR.cast(sixBits.convertShape(VectorOperators.B2F, F, 0));
            FloatVector m = F8_VECTOR.cast(sixBits.convertShape(VectorOperators.B2F, F8, 1));
            IntVector q = I_VECTOR.cast(BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 16, LE)).reinterpretAsInts());
            IntVector even = I_VECTOR.cast(SW_VECTOR.cast(q.and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x0)
                    .add(SW_VECTOR.cast(q.lanewise(VectorOperators.LSHR, 8).and(Simd.LOW_NIBBLES).reinterpretAsShorts())
                            .mul(x1)).reinterpretAsInts());
            IntVector odd = I_VECTOR.cast(SW_VECTOR.cast(q.lanewise(VectorOperators.LSHR, 4).and(Simd.LOW_NIBBLES).reinterpretAsShorts())
                    .mul(x2)
                    .add(SW_VECTOR.cast(q.reinterpretAsShorts()).lanewise(VectorOperators.LSHR, 12)
                            .mul(x3)).reinterpretAsInts());
            FloatVector s = F_VECTOR.cast((Simd.PAIR_SUMS_BY_MULTIPLY ? even.mul(0x10001) : even.add(even.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).mul(F_VECTOR.cast(scales.rearrange(Q4K_SCALES_02)));
            s = F_VECTOR.cast((Simd.PAIR_SUMS_BY_MULTIPLY ? odd.mul(0x10001) : odd.add(odd.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(F_VECTOR.cast(scales.rearrange(Q4K_SCALES_13)), s);
            q = I_VECTOR.cast(BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 80, LE)).reinterpretAsInts());
            even = I_VECTOR.cast(SW_VECTOR.cast(q.and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x4)
                    .add(SW_VECTOR.cast(q.lanewise(VectorOperators.LSHR, 8).and(Simd.LOW_NIBBLES).reinterpretAsShorts())
                            .mul(x5)).reinterpretAsInts());
            odd = I_VECTOR.cast(SW_VECTOR.cast(q.lanewise(VectorOperators.LSHR, 4).and(Simd.LOW_NIBBLES).reinterpretAsShorts())
                    .mul(x6)
                    .add(SW_VECTOR.cast(q.reinterpretAsShorts()).lanewise(VectorOperators.LSHR, 12)
                            .mul(x7)).reinterpretAsInts());
            s = F_VECTOR.cast((Simd.PAIR_SUMS_BY_MULTIPLY ? even.mul(0x10001) : even.add(even.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(F_VECTOR.cast(scales.rearrange(Q4K_SCALES_46)), s);
            s = F_VECTOR.cast((Simd.PAIR_SUMS_BY_MULTIPLY ? odd.mul(0x10001) : odd.add(odd.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(F_VECTOR.cast(scales.rearrange(Q4K_SCALES_57)), s);
            acc = s.fma(FloatVector.broadcast(F, dw * dx), acc);
            macc = m.mul(F8_VECTOR.cast(FloatVector.fromArray(F8, x.pairSums, 8 * (row * nb + b)))).fma(FloatVector.broadcast(F8, dmin * dx), macc);
        }
        // lanes summed as FourRowDot.lanes sums them (the tree above Simd.laneSum), in registers: storing them for
        // scalar loads stalled each row on the store (8% of TinyLlama Q4_0 decode, 1 thread, in finish)
        acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0);
        acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
        macc = (FloatVector) macc.add(macc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        macc = macc.add(macc.rearrange(Simd.XOR_2_OF_4));
        return (acc.lane(0) + acc.lane(1)) - (macc.lane(0) + macc.lane(1));
    }

    /**
     * The sixteen 6-bit values of a Q4_K super-block's 16-byte {@code head}, one per byte: scales
     * 0-7, then minimums 0-7. Low bits from the bytes or the bytes a nibble down (one two-table
     * permute), top 2 bits from bytes 0-7 (a permute and a shift); every vector cast to its exact
     * class, for the reason {@link Simd#F_VECTOR} gives.
     *
     * <p>Unlike the Vector API's own methods, which are force-inlined, C2 inlines this one only
     * while its caller's parse is below {@code NodeCountInliningCutoff}: a kernel with much vector
     * code must call it before the bulk of that code. A two-row Q4_K kernel that called it for its
     * second row after the first row's products did not get it inlined, and every vector computed
     * from its result stayed boxed (10 GB allocated per 64 TinyLlama tokens, 8 tok/s against 13-14);
     * {@code -XX:CompileCommand=PrintInlining,<class>::<method>} names such a failure.
     */
    static ByteVector q4kSixBits(ByteVector head) {
        head = B128_VECTOR.cast(head);
        return B128_VECTOR.cast(Q4K_LOW_BITS.selectFrom(head,
                        B128_VECTOR.cast(I128_VECTOR.cast(head.reinterpretAsInts()).lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()))
                .and(Q4K_LOW_MASK)
                .or(B128_VECTOR.cast(I128_VECTOR.cast(B128_VECTOR.cast(head.rearrange(Q4K_TOP_BITS)).reinterpretAsInts())
                        .lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes()).and(Q4K_TOP_MASK)));
    }

    /*
     * The 16-byte head of a Q4_K super-block: d (bytes 0-1), dmin (2-3), then the 12 scale bytes q0-q11 (4-15). Scale j < 4 is
     * q[j] & 63 and minimum j < 4 is q[j+4] & 63; scale j >= 4 is (q[j+4] & 15) | (q[j-4] >> 6) << 4, minimum j >= 4 is
     * (q[j+4] >> 4) | (q[j] >> 6) << 4. Byte lane k of the unpacked register: scale k (k < 8), minimum k - 8 (k >= 8).
     */
    /** Per lane, the byte whose low bits it takes: head byte i (index i), or head byte i a nibble down (16 + i). */
    private static final ByteVector Q4K_LOW_BITS = ByteVector.fromArray(ByteVector.SPECIES_128,
            new byte[] {4, 5, 6, 7, 12, 13, 14, 15, 8, 9, 10, 11, 16 + 12, 16 + 13, 16 + 14, 16 + 15}, 0);
    private static final ByteVector Q4K_LOW_MASK = ByteVector.fromArray(ByteVector.SPECIES_128,
            new byte[] {63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15}, 0);
    /** Per lane, the head byte whose top 2 bits become bits 4-5 (lanes 4-7 and 12-15 only; the mask clears the rest). */
    private static final VectorShuffle<Byte> Q4K_TOP_BITS = VectorShuffle.fromValues(ByteVector.SPECIES_128,
            0, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 0, 8, 9, 10, 11);
    private static final ByteVector Q4K_TOP_MASK = ByteVector.fromArray(ByteVector.SPECIES_128,
            new byte[] {0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30, 0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30}, 0);

    /** Int lanes 0-7 from scale lane {@code a}, 8-15 from {@code b}: the two sub-blocks of a product vector in {@link #Q4_K}. */
    private static final VectorShuffle<Float> Q4K_SCALES_02 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> j < 8 ? 0 : 2) : null;
    private static final VectorShuffle<Float> Q4K_SCALES_13 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> j < 8 ? 1 : 3) : null;
    private static final VectorShuffle<Float> Q4K_SCALES_46 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> j < 8 ? 4 : 6) : null;
    private static final VectorShuffle<Float> Q4K_SCALES_57 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> j < 8 ? 5 : 7) : null;

    /** Eight float lanes: one per sub-block of a super-block. */
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    @SuppressWarnings("unchecked")
    private static final Class<? extends FloatVector> F8_VECTOR = (Class<? extends FloatVector>) F8.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<? extends ByteVector> B128_VECTOR = (Class<? extends ByteVector>) ByteVector.SPECIES_128.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<? extends IntVector> I128_VECTOR = (Class<? extends IntVector>) IntVector.SPECIES_128.vectorType();

    /** Bytes in a register of {@link Simd#I}'s shape. */
    private static final VectorSpecies<Byte> BI = VectorSpecies.of(byte.class, I.vectorShape());
    @SuppressWarnings("unchecked")
    private static final Class<? extends ByteVector> BI_VECTOR = (Class<? extends ByteVector>) BI.vectorType();
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    /** Repeats 32 quant bytes across the register (a no-op with 256-bit registers). */
    private static final VectorShuffle<Byte> SPREAD32 = VectorShuffle.fromOp(BI, k -> k % 32);
    /** Per pass, the shift that brings lane k's low nibble down: byte {@code k/8 + t·L/8} of int {@code k%8}. */
    private static final IntVector[] SHIFT = Simd.perPass(32 / L, (t, k) -> 8 * (k / 8 + t * L / 8));
    /** {@link #SHIFT} + 4: the high nibbles. */
    private static final IntVector[] SHIFT_HI = Simd.perPass(32 / L, (t, k) -> 8 * (k / 8 + t * L / 8) + 4);

    /** Which of 32 quant bytes lane {@code k} of pass {@code t} reads in {@link #Q4_K}. */
    static int q4kByte(int t, int k) {
        return 4 * (k % 8) + k / 8 + t * L / 8;
    }

    /**
     * Q6_K with 512-bit registers ({@link Simd#SHORT_PRODUCTS}), products in 16-bit lanes. Per half super-block (128 weights):
     * three zero-extending loads give 32 shorts each of the two low-nibble rows and of the high
     * bits; masks, shifts and ors assemble the four 6-bit quant rows, minus 32; each row times
     * the 16-bit activations (|q - 32|·127 ≤ 4064), adjacent shorts summed into int lanes
     * ({@code (v + (v << 16)) >> 16}): lanes 0-7 then hold the first 16 weights of the row, lanes
     * 8-15 the next 16, so one permute of the 16 signed scales (widened to floats once per
     * super-block) gives each lane its scale. Each pair sum is converted to float and
     * multiplied-added with its scale (an int multiply, {@code vpmulld}, is two uops on the vector
     * pipes); lane sums stay ≤ 8·8128·128 &lt; 2^24, integers exact as floats, so they equal the
     * integer path's. The lanes are then times {@code d_w·d_x}. Every load lies
     * inside its block. Written out in full: C2 neither unrolls such a loop cleanly nor inlines
     * a helper holding vectors.
     */
    static final RowDot Q6_K_SHORTS = new FourRowDot(Rounding.Q8_K) {
        @Override
        void rows(MemorySegment w, long off, long stride, int nrows, RoundedRows x, int row, float[] scratch) {
            q6kRows(w, off, stride, nrows, x, row, scratch);
        }

        @Override
        float finish(MemorySegment w, long off, RoundedRows x, int row, float[] scratch, int k) {
            return lanes(scratch, k);
        }

        @Override
        float one(MemorySegment w, long off, RoundedRows x, int row, float[] scratch) {
            return q6kRow(w, off, x, row);
        }
    };

    /**
     * {@link #Q6_K_SHORTS} over {@code nrows} rows at {@code off + k·stride}, super-block by
     * super-block, the activations loaded once for all of them; row k's lanes in
     * {@code scratch[k·L ..]} (a load and a store per super-block: its sums keep one order whether
     * the row runs alone or beside others).
     */
    private static void q6kRows(MemorySegment w, long off, long stride, int nrows, RoundedRows x, int row, float[] scratch) {
        int nb = x.cols / 256;
        short[] xw = x.wide;
        Arrays.fill(scratch, 0, nrows * L, 0f);
        for (int b = 0; b < nb; b++) {
            int xq = 256 * (row * nb + b);
            ShortVector x0 = ShortVector.fromArray(Simd.SW, xw, xq);
            ShortVector x1 = ShortVector.fromArray(Simd.SW, xw, xq + 32);
            ShortVector x2 = ShortVector.fromArray(Simd.SW, xw, xq + 64);
            ShortVector x3 = ShortVector.fromArray(Simd.SW, xw, xq + 96);
            ShortVector x4 = ShortVector.fromArray(Simd.SW, xw, xq + 128);
            ShortVector x5 = ShortVector.fromArray(Simd.SW, xw, xq + 160);
            ShortVector x6 = ShortVector.fromArray(Simd.SW, xw, xq + 192);
            ShortVector x7 = ShortVector.fromArray(Simd.SW, xw, xq + 224);
            for (int k = 0; k < nrows; k++) {
                long bo = off + k * stride + 210L * b;
                // read before the vector code: after it, C2 had passed its node-count cutoff and called f16At out of line
                float scale = Simd.f16At(w, bo + 208) * x.scales[row * nb + b];
                // the signed scales as floats: each pair sum is converted and multiplied-added (exact, see above)
                // rather than multiplied as ints (vpmulld, two uops on the vector pipes) and converted once
                FloatVector sc = (FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, bo + 192, LE)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector s = FloatVector.zero(F);
                ShortVector lo;
                ShortVector hi;
                ShortVector h;
                IntVector p;
                lo = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
                hi = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
                h = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
                p = lo.and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x0).reinterpretAsInts();
                s = ((FloatVector) p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_0), s);
                p = hi.and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 2).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x1).reinterpretAsInts();
                s = ((FloatVector) p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_1), s);
                p = lo.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF).or(h.and((short) 0x30)).sub((short) 32).mul(x2).reinterpretAsInts();
                s = ((FloatVector) p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_2), s);
                p = hi.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x3).reinterpretAsInts();
                s = ((FloatVector) p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_3), s);
                lo = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
                hi = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo + 96, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
                h = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo + 160, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
                p = lo.and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x4).reinterpretAsInts();
                s = ((FloatVector) p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_4), s);
                p = hi.and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 2).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x5).reinterpretAsInts();
                s = ((FloatVector) p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_5), s);
                p = lo.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF).or(h.and((short) 0x30)).sub((short) 32).mul(x6).reinterpretAsInts();
                s = ((FloatVector) p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_6), s);
                p = hi.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x7).reinterpretAsInts();
                s = ((FloatVector) p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_7), s);
                s.fma(FloatVector.broadcast(F, scale), FloatVector.fromArray(F, scratch, k * L)).intoArray(scratch, k * L);
            }
        }
    }

    /**
     * {@link #q6kRows} for one row: the same operations in the same order (so the same bits), its
     * sum in a register from super-block to super-block instead of a scratch's store and load.
     * Returns its lanes' sum, in {@link FourRowDot#lanes}' order.
     */
    private static float q6kRow(MemorySegment w, long off, RoundedRows x, int row) {
        int nb = x.cols / 256;
        short[] xw = x.wide;
        FloatVector acc = F_VECTOR.cast(FloatVector.zero(F));
        // pair sums as v·0x10001 >> 16 where Simd.PAIR_SUMS_BY_MULTIPLY, as BlockDots.q4_0Row explains (Q6_K on Zen 5: 499 -> 466 us in cache)
        for (int b = 0; b < nb; b++) {
            int xq = 256 * (row * nb + b);
            ShortVector x0 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xw, xq));
            ShortVector x1 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xw, xq + 32));
            ShortVector x2 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xw, xq + 64));
            ShortVector x3 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xw, xq + 96));
            ShortVector x4 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xw, xq + 128));
            ShortVector x5 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xw, xq + 160));
            ShortVector x6 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xw, xq + 192));
            ShortVector x7 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xw, xq + 224));
            long bo = off + 210L * b;
            // read before the vector code: after it, C2 had passed its node-count cutoff and called f16At out of line
            float scale = Simd.f16At(w, bo + 208) * x.scales[row * nb + b];
            // the signed scales as floats: each pair sum is converted and multiplied-added (exact, see above)
            // rather than multiplied as ints (vpmulld, two uops on the vector pipes) and converted once
            FloatVector sc = (FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, bo + 192, LE)
                    .convertShape(VectorOperators.B2F, F, 0);
            FloatVector s = F_VECTOR.cast(FloatVector.zero(F));
            ShortVector lo;
            ShortVector hi;
            ShortVector h;
            IntVector p;
            lo = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
            hi = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
            h = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
            p = lo.and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x0).reinterpretAsInts();
            s = ((FloatVector) (Simd.PAIR_SUMS_BY_MULTIPLY ? p.mul(0x10001) : p.add(p.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_0), s);
            p = hi.and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 2).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x1).reinterpretAsInts();
            s = ((FloatVector) (Simd.PAIR_SUMS_BY_MULTIPLY ? p.mul(0x10001) : p.add(p.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_1), s);
            p = lo.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF).or(h.and((short) 0x30)).sub((short) 32).mul(x2).reinterpretAsInts();
            s = ((FloatVector) (Simd.PAIR_SUMS_BY_MULTIPLY ? p.mul(0x10001) : p.add(p.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_2), s);
            p = hi.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x3).reinterpretAsInts();
            s = ((FloatVector) (Simd.PAIR_SUMS_BY_MULTIPLY ? p.mul(0x10001) : p.add(p.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_3), s);
            lo = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
            hi = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo + 96, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
            h = (ShortVector) ByteVector.fromMemorySegment(B32, w, bo + 160, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, Simd.SW, 0);
            p = lo.and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x4).reinterpretAsInts();
            s = ((FloatVector) (Simd.PAIR_SUMS_BY_MULTIPLY ? p.mul(0x10001) : p.add(p.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_4), s);
            p = hi.and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHL, 2).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x5).reinterpretAsInts();
            s = ((FloatVector) (Simd.PAIR_SUMS_BY_MULTIPLY ? p.mul(0x10001) : p.add(p.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_5), s);
            p = lo.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF).or(h.and((short) 0x30)).sub((short) 32).mul(x6).reinterpretAsInts();
            s = ((FloatVector) (Simd.PAIR_SUMS_BY_MULTIPLY ? p.mul(0x10001) : p.add(p.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_6), s);
            p = hi.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0xF).or(h.reinterpretAsInts().lanewise(VectorOperators.LSHR, 2).reinterpretAsShorts().and((short) 0x30)).sub((short) 32).mul(x7).reinterpretAsInts();
            s = ((FloatVector) (Simd.PAIR_SUMS_BY_MULTIPLY ? p.mul(0x10001) : p.add(p.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sc.rearrange(Q6K_SCALES_7), s);
            acc = F_VECTOR.cast(s).fma(FloatVector.broadcast(F, scale), acc);
        }
        // lanes summed as FourRowDot.lanes sums them (the tree above Simd.laneSum), in registers: storing them for
        // scalar loads stalled each row on the store (8% of TinyLlama Q4_0 decode, 1 thread, in finish)
        acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0);
        acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
        return acc.lane(0) + acc.lane(1);
    }

    /** Per row {@code k} of 32 weights, int lanes 0-7 take scale {@code 2k}, lanes 8-15 scale {@code 2k + 1}. */
    private static final VectorShuffle<Float> Q6K_SCALES_0 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> j / 8) : null;
    private static final VectorShuffle<Float> Q6K_SCALES_1 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> 2 + j / 8) : null;
    private static final VectorShuffle<Float> Q6K_SCALES_2 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> 4 + j / 8) : null;
    private static final VectorShuffle<Float> Q6K_SCALES_3 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> 6 + j / 8) : null;
    private static final VectorShuffle<Float> Q6K_SCALES_4 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> 8 + j / 8) : null;
    private static final VectorShuffle<Float> Q6K_SCALES_5 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> 10 + j / 8) : null;
    private static final VectorShuffle<Float> Q6K_SCALES_6 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> 12 + j / 8) : null;
    private static final VectorShuffle<Float> Q6K_SCALES_7 = Simd.SHORT_PRODUCTS ? VectorShuffle.fromOp(F, j -> 14 + j / 8) : null;

    static final RowDot Q6_K = new KDot() {
        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 256;
            int qo = row * x.cols;
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
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
            acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
            return acc.lane(0) + acc.lane(1);
        }
    };

    /**
     * Q5_K in the float domain: per sub-block pair {@code j} and pass of {@link Simd#L} elements, one
     * L-byte load of the low nibbles ({@code qs}) and one of the fifth bits ({@code qh}, shared by
     * all pairs), combined on the narrow byte register with 32-bit shifts and rotates (masks drop
     * what crossed a byte), converted byte → float and multiplied with the natural-order activations
     * ({@link RoundedRows#values}). All loads lie inside the block. Exactness: a quant is ≤ 31 and
     * an activation quant |a| ≤ 128, so a lane's sub-block sum is ≤ (32/L)·31·128 and, after the
     * 6-bit scales, a lane's super-block sum is ≤ 8·63·(32/L)·31·128 ≈ 8.0e6 &lt; 2^24 for L ≥ 8:
     * every value is an integer exact in float, as in the former integer loop; only the order of
     * the final lane reduction differs. Minimums go through the activation sums per 32 as in Q4_K.
     */
    static final RowDot Q5_K = new KDot() {
        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 256;
            float[] xv = x.values;
            float[] ps = x.pairSums;
            FloatVector acc = FloatVector.zero(F);
            float mins = 0;
            for (int b = 0; b < nb; b++) {
                long bo = off + 176L * b;
                int xq = row * x.cols + 256 * b;
                float dx = x.scales[row * nb + b];
                // d, dmin and the 12 scale bytes in one 16-byte load
                LongVector head = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, bo, LE).reinterpretAsLongs();
                long h0 = head.lane(0);
                long h1 = head.lane(1);
                float dw = Float.float16ToFloat((short) h0);
                float dmin = Float.float16ToFloat((short) (h0 >>> 16));
                long lo8 = (h0 >>> 32) | (h1 << 32);
                int hi4 = (int) (h1 >>> 32);
                int s0 = first4((int) lo8);
                int s1 = last4((int) lo8, hi4);
                FloatVector s = FloatVector.zero(F);
                for (int j = 0; j < 4; j++) {
                    int packed = j < 2 ? s0 : s1;
                    int at = 16 * (j & 1);
                    FloatVector lo = FloatVector.zero(F);
                    FloatVector hi = FloatVector.zero(F);
                    // rotating the 32-bit lanes left by 4-2j (3-2j) brings bit 2j (2j+1) of every byte to bit 4
                    int rl = (4 - 2 * j) & 31;
                    int rh = (3 - 2 * j) & 31;
                    for (int g = 0; g < 32; g += L) {
                        ByteVector qs = ByteVector.fromMemorySegment(B, w, bo + 48 + 32 * j + g, LE);
                        IntVector qh = ByteVector.fromMemorySegment(B, w, bo + 16 + g, LE).reinterpretAsInts();
                        IntVector qsi = qs.reinterpretAsInts();
                        ByteVector ql = (ByteVector) qsi.and(0x0F0F0F0F)
                                .or(qh.lanewise(VectorOperators.ROL, rl).and(0x10101010)).reinterpretShape(B, 0);
                        ByteVector qu = (ByteVector) qsi.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F)
                                .or(qh.lanewise(VectorOperators.ROL, rh).and(0x10101010)).reinterpretShape(B, 0);
                        int e = xq + 64 * j + g;
                        lo = ((FloatVector) ql.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, xv, e), lo);
                        hi = ((FloatVector) qu.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, xv, e + 32), hi);
                    }
                    s = lo.fma(FloatVector.broadcast(F, (float) ((packed >>> at) & 0xFF)), s);
                    s = hi.fma(FloatVector.broadcast(F, (float) ((packed >>> (at + 8)) & 0xFF)), s);
                }
                acc = s.fma(FloatVector.broadcast(F, dw * dx), acc);
                // the minimums as in Q4_K, against sums per 32
                int mins4 = (int) (lo8 >>> 32);
                int m0 = first4(mins4);
                int m1 = last4(mins4, hi4 >>> 4);
                int p = 8 * (row * nb + b);
                float m = (m0 & 0xFF) * ps[p] + ((m0 >>> 8) & 0xFF) * ps[p + 1] + ((m0 >>> 16) & 0xFF) * ps[p + 2] + (m0 >>> 24) * ps[p + 3]
                        + (m1 & 0xFF) * ps[p + 4] + ((m1 >>> 8) & 0xFF) * ps[p + 5] + ((m1 >>> 16) & 0xFF) * ps[p + 6] + (m1 >>> 24) * ps[p + 7];
                mins += dmin * dx * m;
            }
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
            acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
            return (acc.lane(0) + acc.lane(1)) - mins;
        }
    };

    /**
     * Q2_K in the float domain, shaped like {@link #Q5_K}: per half {@code n} and pass of
     * {@link Simd#L} bytes one L-byte load of quants, from which each of the four 2-bit planes is
     * shifted out on the byte register (32-bit shifts, masked), converted byte → float and
     * multiplied with the natural-order activations; one scale multiply per pass. Exactness: a
     * quant is ≤ 3, |a| ≤ 128 and a scale ≤ 15, so a lane's super-block sum is
     * ≤ 16·(16/L)·3·128·15 &lt; 2^24 for L ≥ 8, integers exact in float. The 4-bit minimums go
     * through the activation sums per 16, in integers as before.
     */
    static final RowDot Q2_K = new KDot() {
        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 256;
            float[] xv = x.values;
            FloatVector acc = FloatVector.zero(F);
            float mins = 0;
            for (int b = 0; b < nb; b++) {
                long bo = off + 84L * b;
                int xq = row * x.cols + 256 * b;
                // the 16 scale bytes (low nibble scale, high nibble minimum) in one load
                LongVector head = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, bo, LE).reinterpretAsLongs();
                long sc0 = head.lane(0);
                long sc1 = head.lane(1);
                FloatVector s = FloatVector.zero(F);
                for (int n = 0; n < 2; n++) {
                    long sc = n == 0 ? sc0 : sc1;
                    for (int t = 0; t < 32; t += L) {
                        IntVector q = ByteVector.fromMemorySegment(B, w, bo + 16 + 32 * n + t, LE).reinterpretAsInts();
                        int e = xq + 128 * n + t;
                        // sub-block 2j + t/16 of this half: its scale is byte 2j + t/16 of sc
                        int shiftScale = 8 * (t / 16);
                        for (int j = 0; j < 4; j++) {
                            ByteVector v = (ByteVector) q.lanewise(VectorOperators.LSHR, 2 * j).and(0x03030303).reinterpretShape(B, 0);
                            float scale = (int) (sc >>> (16 * j + shiftScale)) & 0xF;
                            s = ((FloatVector) v.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, xv, e + 32 * j))
                                    .fma(FloatVector.broadcast(F, scale), s);
                        }
                    }
                }
                int bs = (row * nb + b) * 16;
                int m = 0;
                for (int i = 0; i < 8; i++) {
                    m += ((int) (sc0 >>> (8 * i + 4)) & 0xF) * x.blockSums[bs + i] + ((int) (sc1 >>> (8 * i + 4)) & 0xF) * x.blockSums[bs + 8 + i];
                }
                int dd = w.get(Simd.INT, bo + 80);
                float dx = x.scales[row * nb + b];
                acc = s.fma(FloatVector.broadcast(F, Float.float16ToFloat((short) dd) * dx), acc);
                mins += Float.float16ToFloat((short) (dd >>> 16)) * dx * m;
            }
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
            acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
            return (acc.lane(0) + acc.lane(1)) - mins;
        }
    };

    /**
     * Q3_K in the float domain, shaped like {@link #Q2_K}: the 2-bit planes of the quants are
     * joined on the byte register by their third bit from {@code hmask} (brought to bit 2 with a
     * 32-bit rotate, masked), offset by -4 in bytes, converted byte → float (sign-extending) and
     * multiplied with the natural-order activations. The sixteen 6-bit signed scales come from
     * one 16-byte load, unpacked eight at a time in the bytes of a long. Exactness: |q| ≤ 4,
     * |a| ≤ 128, |scale| ≤ 32, so a lane's super-block sum is ≤ 16·(16/L)·4·128·32 &lt; 2^24 for
     * L ≥ 8, integers exact in float.
     */
    static final RowDot Q3_K = new KDot() {
        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 256;
            float[] xv = x.values;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < nb; b++) {
                long bo = off + 110L * b;
                int xq = row * x.cols + 256 * b;
                // bytes 94-109 of the block: two quant bytes, the 12 scale bytes, then d
                LongVector head = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, bo + 94, LE).reinterpretAsLongs();
                long h0 = head.lane(0);
                long h1 = head.lane(1);
                long lo8 = (h0 >>> 16) | (h1 << 48);
                int hi4 = (int) (h1 >>> 16);
                float d = Float.float16ToFloat((short) (h1 >>> 48));
                // the 6-bit scales 8n..8n+7 as the bytes of one long each (SWAR): the low nibbles of bytes 0-7,
                // then their high nibbles; the top two bits from bytes 8-11, two bits per pass of four scales
                long scA = (lo8 & 0x0F0F0F0F0F0F0F0FL) | ((hi4 & 0x03030303L) | (((hi4 >>> 2) & 0x03030303L) << 32)) << 4;
                long scB = ((lo8 >>> 4) & 0x0F0F0F0F0F0F0F0FL) | (((hi4 >>> 4) & 0x03030303L) | (((hi4 >>> 6) & 0x03030303L) << 32)) << 4;
                FloatVector s = FloatVector.zero(F);
                for (int n = 0; n < 2; n++) {
                    long sc = n == 0 ? scA : scB;
                    for (int t = 0; t < 32; t += L) {
                        IntVector q = ByteVector.fromMemorySegment(B, w, bo + 32 + 32 * n + t, LE).reinterpretAsInts();
                        IntVector hm = ByteVector.fromMemorySegment(B, w, bo + t, LE).reinterpretAsInts();
                        int e = xq + 128 * n + t;
                        for (int j = 0; j < 4; j++) {
                            // bit 4n+j of each hmask byte to bit 2
                            IntVector high = hm.lanewise(VectorOperators.ROL, (2 - 4 * n - j) & 31).and(0x04040404);
                            ByteVector v = ((ByteVector) q.lanewise(VectorOperators.LSHR, 2 * j).and(0x03030303).or(high).reinterpretShape(B, 0))
                                    .sub((byte) 4);
                            // sub-block 8n + 2j + t/16: byte 2j + t/16 of sc
                            float scale = ((int) (sc >>> (16 * j + 8 * (t / 16))) & 0x3F) - 32;
                            s = ((FloatVector) v.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, xv, e + 32 * j))
                                    .fma(FloatVector.broadcast(F, scale), s);
                        }
                    }
                }
                acc = s.fma(FloatVector.broadcast(F, d * x.scales[row * nb + b]), acc);
            }
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
            acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
            return acc.lane(0) + acc.lane(1);
        }
    };
}
