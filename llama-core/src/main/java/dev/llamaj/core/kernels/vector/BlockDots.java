package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.BW_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.F_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.I_VECTOR;
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
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products for the 32-element block formats against Q8_0/Q8_1 activations: integer
 * products per block, the block's integer sum converted to float and multiplied-added with
 * {@code d_w · d_x} into a vector accumulator, one horizontal sum per row. Q8_0 widens to
 * shorts, and so does Q4_0 with 512-bit registers; Q4_1, Q5_0 and Q5_1 (and Q4_0 with narrower
 * registers) work in the float domain on exact small integers.
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
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
            acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
            return acc.lane(0) + acc.lane(1);
        }
    };

    /**
     * Q8_0 with 512-bit registers ({@link Simd#SHORT_PRODUCTS}): four blocks (136 bytes, 128
     * weights) per pass, products in 16-bit lanes, against the activations of {@link RoundedRows#q8_0Quads}.
     * <ul>
     *   <li>two byte permutes ({@code vpermi2b}) of four overlapping 64-byte loads (all inside the
     *       quad) give two registers: {@code A} with quants 0-15 of each block, {@code B} with
     *       16-31, block k's in bytes 16k to 16k+15 of both;</li>
     *   <li>each short lane holds two quants, {@code i} and {@code i+1}, which pair with q4_0Quads'
     *       runs 0 and 2 (B's with 1 and 3): the high one sign-extended by one shift, the low one
     *       as {@code ((v ^ 0x80) & 0xFF) - 0x80} (one {@code vpternlogd} and a subtraction);</li>
     *   <li>each lane's two products added in 16 bits ({@code |w| ≤ 128}, {@code |x| ≤ 127}: at
     *       most 32512), then A's and B's adjacent short lanes summed into 16 int lanes, four per
     *       block, each the exact sum of 8 products: the high shorts by an arithmetic shift each,
     *       the low ones as {@code ((a ^ 0x8000) & 0xFFFF) + ((b ^ 0x8000) | 0xFFFF0000)}, which is
     *       {@code (lo_a + 2^15) + (lo_b - 2^15)} (one {@code vpternlogd} each, no shift);</li>
     *   <li>the four F16 scales permuted out of the first two loads into their blocks' int lanes,
     *       read as {@link BlockDots#Q4_0_QUADS} reads them, times {@link RoundedRows#quadScales}.</li>
     * </ul>
     * Why no shifts where another instruction does: on Intel cores a 512-bit shift, like the 16-bit
     * multiply and the int-to-float conversion, runs on one port only (port 0), and this dot was
     * bound by it: of the 31 vector operations per row and quad besides loads (C2's loop, read off
     * its disassembly), 18 went there; now 10 of 27. The activations are shorts, widened once per
     * token ({@link RoundedRows#q8_0Quads}), not per quad and row. Measured on the project's Intel
     * Xeon with AMX, 1 thread, the old and new kernels alternated in one JVM over four runs of
     * rows (a harness like {@code MatmulKernelBenchmark}, the same bits from both): median 82.3 ->
     * 67.1 us per 512x2048 matrix in L2, 1548 -> 1470 us per 5632x2048 from DRAM; TinyLlama Q8_0
     * decode through {@code llama bench}, alternated, 5.86-6.58 -> 6.50-6.84 tok/s.
     * About 35 vector instructions per 128 weights, loads included, against about 64 for
     * {@link #Q8_0}, which widens 16 weights per step in 256-bit registers and scales each block
     * with scalar code. Each lane's
     * block sum is an exact integer, as in {@link #Q8_0}; results differ from it only in the order
     * scaled lane sums are added. Blocks past the last whole quad of a row take the scalar path.
     * {@link #q8_0Row} runs it for one row, {@link #q8_0Pair} for two far apart (twice for
     * {@link FourRunDot}'s four): the same operations in the same order, so the same bits.
     */
    static final RowDot Q8_0_QUADS = new FourRunDot(Rounding.Q8_0) {
        @Override
        float one(MemorySegment w, long off, RoundedRows x, int row, float[] scratch) {
            return q8_0Row(w, off, x, row, scratch);
        }

        @Override
        void runs(MemorySegment w, long off, long stride, RoundedRows x, int row, float[] out, int o, int outStride) {
            q8_0Pair(w, off, stride, x, row, out, o, outStride);
            q8_0Pair(w, off + 2 * stride, stride, x, row, out, o + 2 * outStride, outStride);
        }

        @Override
        float tail(MemorySegment w, long off, RoundedRows x, int row) {
            return q8_0Tail(w, off, x, row);
        }

        @Override
        public long secondLoopFromRowBytes() {
            return Simd.READ_AHEAD_MIN_ROW;
        }
    };

    /**
     * {@link #Q8_0_QUADS} over one row's whole quads, its sum in a register from quad to quad (a
     * scratch array's store and load per quad bound a row alone by their latency). Returns its
     * lanes' sum, in {@link Simd#laneSum}'s order. Values are cast to their exact classes, as in
     * {@link Gemm}.
     */
    private static float q8_0Row(MemorySegment w, long off, RoundedRows x, int row, float[] scratch) {
        int quads = x.cols / 128;
        short[] xs = x.q8_0Quads;
        float[] dx = x.quadScales;
        FloatVector acc = F_VECTOR.cast(FloatVector.zero(F));
        int xq = 128 * row * quads;
        int xo = 16 * row * quads;
        long bo = off;
        // long rows read ahead (Simd.READ_AHEAD), but for the last ones of the tensor, where it would read past
        // its end; the rest have their own loop without it: a byte read per quad, though an L1 hit, cost them 16%
        // (JMH 5632x2048 Q4_0, 1 thread, in cache: 314-319 us without it, 377 with it). VectorKernels.prime
        // runs both loops.
        long reach = 136L * quads >= Simd.READ_AHEAD_MIN_ROW ? Simd.READ_AHEAD : 0;
        if (reach > 0 && off + 136L * (quads - 1) + reach < w.byteSize()) {
            int touched = 0;
            for (int g = 0; g < quads; g++, xq += 128, xo += 16, bo += 136) {
                ShortVector x0 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq));
                ShortVector x1 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq + 32));
                ShortVector x2 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq + 64));
                ShortVector x3 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq + 96));
                FloatVector dxs = F_VECTOR.cast(FloatVector.fromArray(F, dx, xo));
                touched += w.get(ValueLayout.JAVA_BYTE, bo + reach);
                ByteVector l0 = BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo, LE));
                ByteVector l1 = BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 56, LE));
                ShortVector a = SW_VECTOR.cast(BI_VECTOR.cast(Q8_FIRST_HALVES.selectFrom(l0, l1)).reinterpretAsShorts());
                ShortVector b = SW_VECTOR.cast(BI_VECTOR.cast(Q8_SECOND_HALVES.selectFrom(BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 18, LE)),
                        BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 72, LE)))).reinterpretAsShorts());
                ShortVector pa = a.lanewise(VectorOperators.XOR, (short) 0x80).and((short) 0xFF).sub((short) 0x80).mul(x0)
                        .add(SW_VECTOR.cast(a.lanewise(VectorOperators.ASHR, 8)).mul(x2));
                ShortVector pb = b.lanewise(VectorOperators.XOR, (short) 0x80).and((short) 0xFF).sub((short) 0x80).mul(x1)
                        .add(SW_VECTOR.cast(b.lanewise(VectorOperators.ASHR, 8)).mul(x3));
                IntVector ia = I_VECTOR.cast(SW_VECTOR.cast(pa).reinterpretAsInts());
                IntVector ib = I_VECTOR.cast(SW_VECTOR.cast(pb).reinterpretAsInts());
                IntVector sums = ia.lanewise(VectorOperators.ASHR, 16).add(ib.lanewise(VectorOperators.ASHR, 16))
                        .add(ia.lanewise(VectorOperators.XOR, 0x8000).and(0xFFFF).add(ib.lanewise(VectorOperators.XOR, 0x8000).or(0xFFFF0000)));
                FloatVector scale = F_VECTOR.cast(I_VECTOR.cast(BI_VECTOR.cast(Q8_SCALES.selectFrom(l0, l1)).reinterpretAsInts())
                        .lanewise(VectorOperators.ASHR, 3).and(Simd.F16_IN_FLOAT).reinterpretAsFloats()).mul(dxs);
                acc = F_VECTOR.cast(I_VECTOR.cast(sums).convert(VectorOperators.I2F, 0)).fma(scale, acc);
            }
            // kept where nothing reads it, so that C2 keeps the reads ahead
            scratch[L] = touched;
        } else {
            // the same loop without the read ahead (as a helper method C2 would not inline it, and box its vectors)
            for (int g = 0; g < quads; g++, xq += 128, xo += 16, bo += 136) {
                ShortVector x0 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq));
                ShortVector x1 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq + 32));
                ShortVector x2 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq + 64));
                ShortVector x3 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq + 96));
                FloatVector dxs = F_VECTOR.cast(FloatVector.fromArray(F, dx, xo));
                ByteVector l0 = BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo, LE));
                ByteVector l1 = BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 56, LE));
                ShortVector a = SW_VECTOR.cast(BI_VECTOR.cast(Q8_FIRST_HALVES.selectFrom(l0, l1)).reinterpretAsShorts());
                ShortVector b = SW_VECTOR.cast(BI_VECTOR.cast(Q8_SECOND_HALVES.selectFrom(BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 18, LE)),
                        BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 72, LE)))).reinterpretAsShorts());
                ShortVector pa = a.lanewise(VectorOperators.XOR, (short) 0x80).and((short) 0xFF).sub((short) 0x80).mul(x0)
                        .add(SW_VECTOR.cast(a.lanewise(VectorOperators.ASHR, 8)).mul(x2));
                ShortVector pb = b.lanewise(VectorOperators.XOR, (short) 0x80).and((short) 0xFF).sub((short) 0x80).mul(x1)
                        .add(SW_VECTOR.cast(b.lanewise(VectorOperators.ASHR, 8)).mul(x3));
                IntVector ia = I_VECTOR.cast(SW_VECTOR.cast(pa).reinterpretAsInts());
                IntVector ib = I_VECTOR.cast(SW_VECTOR.cast(pb).reinterpretAsInts());
                IntVector sums = ia.lanewise(VectorOperators.ASHR, 16).add(ib.lanewise(VectorOperators.ASHR, 16))
                        .add(ia.lanewise(VectorOperators.XOR, 0x8000).and(0xFFFF).add(ib.lanewise(VectorOperators.XOR, 0x8000).or(0xFFFF0000)));
                FloatVector scale = F_VECTOR.cast(I_VECTOR.cast(BI_VECTOR.cast(Q8_SCALES.selectFrom(l0, l1)).reinterpretAsInts())
                        .lanewise(VectorOperators.ASHR, 3).and(Simd.F16_IN_FLOAT).reinterpretAsFloats()).mul(dxs);
                acc = F_VECTOR.cast(I_VECTOR.cast(sums).convert(VectorOperators.I2F, 0)).fma(scale, acc);
            }
        }
        // lanes summed as Simd.laneSum sums them, in registers: storing them for
        // scalar loads stalled each row on the store (8% of TinyLlama Q4_0 decode, 1 thread, in finish)
        acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0);
        acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
        return acc.lane(0) + acc.lane(1);
    }

    /**
     * {@link #q8_0Row} for the two rows at {@code off} and {@code off + stride}, side by side, each
     * sum in a register of its own: the same operations in the same order for each row (so the
     * same bits), the activations loaded and widened once for the two. Row k's sum (without its
     * tail) goes to {@code out[o + k·outStride]}. Two rows, not four as {@link #q4_0Runs}: C1 gave
     * up on a four-row method this size (tier 3, "out of virtual registers"), and the JVM then left
     * it in its tier-2 code, which runs the vectors boxed, about 150 times slower, for good.
     */
    private static void q8_0Pair(MemorySegment w, long off, long stride, RoundedRows x, int row, float[] out, int o, int outStride) {
        int quads = x.cols / 128;
        short[] xs = x.q8_0Quads;
        float[] dx = x.quadScales;
        FloatVector acc0 = F_VECTOR.cast(FloatVector.zero(F));
        FloatVector acc1 = acc0;
        int xq = 128 * row * quads;
        int xo = 16 * row * quads;
        long bo = off;
        for (int g = 0; g < quads; g++, xq += 128, xo += 16, bo += 136) {
            ShortVector x0 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq));
            ShortVector x1 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq + 32));
            ShortVector x2 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq + 64));
            ShortVector x3 = SW_VECTOR.cast(ShortVector.fromArray(Simd.SW, xs, xq + 96));
            FloatVector dxs = F_VECTOR.cast(FloatVector.fromArray(F, dx, xo));
            ByteVector l00 = ByteVector.fromMemorySegment(BI, w, bo, LE);
            ByteVector l10 = ByteVector.fromMemorySegment(BI, w, bo + 56, LE);
            ShortVector a0 = Q8_FIRST_HALVES.selectFrom(l00, l10).reinterpretAsShorts();
            ShortVector b0 = Q8_SECOND_HALVES.selectFrom(ByteVector.fromMemorySegment(BI, w, bo + 18, LE),
                    ByteVector.fromMemorySegment(BI, w, bo + 72, LE)).reinterpretAsShorts();
            // a short lane holds quants i (low byte, sign-extended by two shifts) and i + 1 (high byte)
            ShortVector pa0 = a0.lanewise(VectorOperators.XOR, (short) 0x80).and((short) 0xFF).sub((short) 0x80).mul(x0)
                    .add(a0.lanewise(VectorOperators.ASHR, 8).mul(x2));
            ShortVector pb0 = b0.lanewise(VectorOperators.XOR, (short) 0x80).and((short) 0xFF).sub((short) 0x80).mul(x1)
                    .add(b0.lanewise(VectorOperators.ASHR, 8).mul(x3));
            // both shorts of each int lane, of both registers, summed in 32 bits (each short is up to 32512)
            IntVector ia0 = pa0.reinterpretAsInts();
            IntVector ib0 = pb0.reinterpretAsInts();
            IntVector sums0 = ia0.lanewise(VectorOperators.ASHR, 16).add(ib0.lanewise(VectorOperators.ASHR, 16))
                    .add(ia0.lanewise(VectorOperators.XOR, 0x8000).and(0xFFFF).add(ib0.lanewise(VectorOperators.XOR, 0x8000).or(0xFFFF0000)));
            FloatVector scale0 = Q8_SCALES.selectFrom(l00, l10).reinterpretAsInts().lanewise(VectorOperators.ASHR, 3)
                    .and(Simd.F16_IN_FLOAT).reinterpretAsFloats().mul(dxs);
            acc0 = ((FloatVector) sums0.convert(VectorOperators.I2F, 0)).fma(scale0, acc0);
            // row 1 the same
            ByteVector l01 = ByteVector.fromMemorySegment(BI, w, bo + 1 * stride, LE);
            ByteVector l11 = ByteVector.fromMemorySegment(BI, w, bo + 1 * stride + 56, LE);
            ShortVector a1 = Q8_FIRST_HALVES.selectFrom(l01, l11).reinterpretAsShorts();
            ShortVector b1 = Q8_SECOND_HALVES.selectFrom(ByteVector.fromMemorySegment(BI, w, bo + 1 * stride + 18, LE),
                    ByteVector.fromMemorySegment(BI, w, bo + 1 * stride + 72, LE)).reinterpretAsShorts();
            ShortVector pa1 = a1.lanewise(VectorOperators.XOR, (short) 0x80).and((short) 0xFF).sub((short) 0x80).mul(x0)
                    .add(a1.lanewise(VectorOperators.ASHR, 8).mul(x2));
            ShortVector pb1 = b1.lanewise(VectorOperators.XOR, (short) 0x80).and((short) 0xFF).sub((short) 0x80).mul(x1)
                    .add(b1.lanewise(VectorOperators.ASHR, 8).mul(x3));
            IntVector ia1 = pa1.reinterpretAsInts();
            IntVector ib1 = pb1.reinterpretAsInts();
            IntVector sums1 = ia1.lanewise(VectorOperators.ASHR, 16).add(ib1.lanewise(VectorOperators.ASHR, 16))
                    .add(ia1.lanewise(VectorOperators.XOR, 0x8000).and(0xFFFF).add(ib1.lanewise(VectorOperators.XOR, 0x8000).or(0xFFFF0000)));
            FloatVector scale1 = Q8_SCALES.selectFrom(l01, l11).reinterpretAsInts().lanewise(VectorOperators.ASHR, 3)
                    .and(Simd.F16_IN_FLOAT).reinterpretAsFloats().mul(dxs);
            acc1 = ((FloatVector) sums1.convert(VectorOperators.I2F, 0)).fma(scale1, acc1);
        }
        // each row's lanes summed as q8_0Row sums them
        acc0 = (FloatVector) F_VECTOR.cast(acc0).add(acc0.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0);
        acc0 = (FloatVector) acc0.add(acc0.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        acc0 = acc0.add(acc0.rearrange(Simd.XOR_2_OF_4));
        out[o + 0 * outStride] = acc0.lane(0) + acc0.lane(1);
        acc1 = (FloatVector) F_VECTOR.cast(acc1).add(acc1.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0);
        acc1 = (FloatVector) acc1.add(acc1.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        acc1 = acc1.add(acc1.rearrange(Simd.XOR_2_OF_4));
        out[o + 1 * outStride] = acc1.lane(0) + acc1.lane(1);
    }

    /** The blocks of a Q8_0 row past its last whole quad, by the scalar path. */
    private static float q8_0Tail(MemorySegment w, long off, RoundedRows x, int row) {
        int nb = x.cols / 32;
        float tail = 0;
        for (int b = nb / 4 * 4; b < nb; b++) {
            tail += q8_0Block(w, off + 34L * b, x, row * x.cols + 32 * b, row * nb + b);
        }
        return tail;
    }

    /** One Q8_0 block at {@code bo} by the plain integer loop (activation quants at {@code xq}, scale {@code s}). */
    private static float q8_0Block(MemorySegment w, long bo, RoundedRows x, int xq, int s) {
        int isum = 0;
        for (int j = 0; j < 32; j++) {
            isum += w.get(ValueLayout.JAVA_BYTE, bo + 2 + j) * x.quants[xq + j];
        }
        return Simd.f16At(w, bo) * x.scales[s] * isum;
    }

    /**
     * Byte {@code 16k + i} of {@link #Q8_0_QUADS}' register A is quant {@code i} of block {@code k}
     * (quad byte {@code 34k + 2 + i}), indexed into the loads at quad bytes 0 and 56.
     */
    private static final ByteVector Q8_FIRST_HALVES = Simd.SHORT_PRODUCTS
            ? twoLoadIndexes(n -> 34 * (n / 16) + 2 + n % 16, 0, 56) : null;
    /** Byte {@code 16k + i} of register B is quant {@code 16 + i} of block {@code k}, from the loads at quad bytes 18 and 72. */
    private static final ByteVector Q8_SECOND_HALVES = Simd.SHORT_PRODUCTS
            ? twoLoadIndexes(n -> 34 * (n / 16) + 18 + n % 16, 18, 72) : null;
    /** Int lane {@code m}'s bytes 2 and 3 from block {@code m/4}'s scale (quad bytes {@code 34·(m/4)}, +1); bytes 0 and 1 are masked off. */
    private static final ByteVector Q8_SCALES = Simd.SHORT_PRODUCTS
            ? twoLoadIndexes(n -> 34 * (n / 16) + Math.max(0, n % 4 - 2), 0, 56) : null;

    /**
     * Indexes for a two-register byte permute ({@code selectFrom}) of 64-byte loads at quad bytes
     * {@code first} and {@code second}: result byte {@code n} is quad byte {@code source(n)}, taken
     * from the first load where it holds it.
     */
    private static ByteVector twoLoadIndexes(java.util.function.IntUnaryOperator source, int first, int second) {
        return Simd.pairPermute(n -> {
            int q = source.applyAsInt(n);
            if (q >= first && q < first + 64) {
                return q - first;
            }
            if (q >= second && q < second + 64) {
                return 64 + q - second;
            }
            throw new IllegalStateException("quad byte " + q + " is in neither load");
        });
    }

    /**
     * Q4_0 with registers under 512 bits ({@link #Q4_0_QUADS} otherwise), in the float domain,
     * shaped to cut instructions per 18-byte block (the kernel is compute-bound: ~10 GB/s from
     * memory, about the same from cache):
     * <ul>
     *   <li>one register load per block brings the F16 scale and the 16 quant bytes: a second
     *       segment access per block (the scalar scale read) cost ~20% in cache, each access
     *       paying its own bounds and liveness checks;</li>
     *   <li>one byte permute puts quant byte {@code j} in bits 16-23 of int lane {@code j}; a shift
     *       brings a nibble to bits 19-22 and one and-or (a single {@code vpternlogd}) sets 16.0f's
     *       exponent above it, which makes the float {@code 16 + q} with no int→float conversion.
     *       Lanes then hold elements in natural order against {@link RoundedRows#values};</li>
     *   <li>each block's lane sums start from {@code -24·Σx/L} ({@link RoundedRows#q4_0Offsets}), so
     *       they end as {@code Σ (q - 8)·x}: no scalar offset term per block.</li>
     * </ul>
     * 8-10% faster than shifting each nibble to bit 0 and converting (JMH 5632×2048 from DRAM:
     * best of each fork 595-640 (one 751) vs 665-693 µs; TinyLlama Q4_0 decode, 1 thread: 16.0-17.2 vs 15.1-16.0 tok/s).
     * Every product, the offset and each lane's block sum are integers or halves below 2^20, exact
     * in float, so each block's sum is the exact integer the scalar path computes; results differ
     * from it only in the order the scaled block sums are added. Blocks at the very end of a
     * tensor, where a full register would read past it, take the scalar path.
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
            float[] xr = x.values;
            float[] offsets = x.q4_0Offsets;
            float[] d = x.scales;
            // blocks whose full-register load stays inside the segment; the rest (end of the tensor) go scalar
            long room = w.byteSize() - off - BI.vectorByteSize();
            int fast = room < 0 ? 0 : (int) Math.min(nb, room / 18 + 1);
            FloatVector acc = FloatVector.zero(F);
            int b = 0;
            for (; b < fast; b++) {
                long bo = off + 18L * b;
                int xq = 32 * (so + b);
                // one load per block brings both the F16 scale (bytes 0-1) and the quants (2-17): every
                // segment access costs bounds and liveness checks, a second one per block cost 20%
                ByteVector all = ByteVector.fromMemorySegment(BI, w, bo, LE);
                float dw = Float.float16ToFloat(all.reinterpretAsShorts().lane(0));
                FloatVector s = FloatVector.broadcast(F, offsets[so + b]);
                for (int t = 0; t < 16 / L; t++) {
                    // quant byte t·L + j in bits 16-23 of lane j; each nibble moved to bits 19-22 and or-ed
                    // under 16.0f's exponent is the float 16 + q: no int→float conversion
                    IntVector v = all.rearrange(t == 0 ? TO_BYTE2_0 : TO_BYTE2[t]).reinterpretAsInts();
                    FloatVector lo = v.lanewise(VectorOperators.LSHL, 3).and(NIBBLE_AT_19).or(SIXTEEN).reinterpretAsFloats();
                    FloatVector hi = v.lanewise(VectorOperators.LSHR, 1).and(NIBBLE_AT_19).or(SIXTEEN).reinterpretAsFloats();
                    s = lo.fma(FloatVector.fromArray(F, xr, xq + t * L), hi.fma(FloatVector.fromArray(F, xr, xq + 16 + t * L), s));
                }
                float scale = dw * d[so + b];
                acc = s.fma(FloatVector.broadcast(F, scale), acc);
            }
            float tail = 0;
            for (; b < nb; b++) {
                tail += q4_0Block(w, off + 18L * b, x, row * x.cols + 32 * b, so + b);
            }
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
            acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
            return (acc.lane(0) + acc.lane(1)) + tail;
        }
    };

    /**
     * Q4_0 with 512-bit registers ({@link Simd#SHORT_PRODUCTS}): four blocks (72 bytes, 128
     * weights) per pass, their products in 16-bit lanes.
     * <ul>
     *   <li>two overlapping 64-byte loads cover the four blocks; one two-register byte permute
     *       ({@code selectFrom}, {@code vpermi2b}) gathers their 64 quant bytes, block k's in short
     *       lanes 8k to 8k+7, two bytes (four nibbles) per lane;</li>
     *   <li>masks and shifts of that one register give four short vectors, each of one nibble
     *       position, {@code q} in [0, 15] (the top nibble by a 16-bit shift alone, which needs no
     *       mask: one operation fewer per row and quad, 6% in L2 and 4% from DRAM on an AMD EPYC
     *       Zen 4, 1 thread, old and new alternated in one JVM, the same bits), multiplied (16-bit) against the matching activations in
     *       {@link RoundedRows#q4_0Quads} (bytes, widened as loaded: {@link Simd#BW}) and added: at most 4·15·128 = 7680, exact in 16 bits;</li>
     *   <li>adjacent short lanes summed into 16 int lanes (4 per block), plus {@code -2·Σx} per lane
     *       ({@link RoundedRows#q4_0QuadOffsets}), which makes the 4 lanes' total {@code Σ (q - 8)·x};</li>
     *   <li>the four F16 scales permuted out of the first load into the top half of their blocks'
     *       int lanes and shifted into a float's place, times the activation scales
     *       ({@link RoundedRows#quadScales}, which carry the re-bias 2^112).</li>
     * </ul>
     * About 27 vector instructions per 128 weights, against 38 for two 2-block passes (the former
     * pair kernel, one load and one permute per 36 bytes). Each block's integer sum is exact, as
     * in the scalar path; results differ from it only in the order the scaled lane sums are added.
     * Blocks past the last whole quad of a row take the scalar path. {@link #q4_0Row} runs it for
     * one row, {@link #q4_0Runs} for four far apart ({@link FourRunDot}): the same operations in
     * the same order, so the two agree bit for bit (RowDotTest).
     */
    static final RowDot Q4_0_QUADS = new FourRunDot(Rounding.Q8_0) {
        @Override
        float one(MemorySegment w, long off, RoundedRows x, int row, float[] scratch) {
            return q4_0Row(w, off, x, row, scratch);
        }

        @Override
        void runs(MemorySegment w, long off, long stride, RoundedRows x, int row, float[] out, int o, int outStride) {
            q4_0Runs(w, off, stride, x, row, out, o, outStride);
        }

        @Override
        float tail(MemorySegment w, long off, RoundedRows x, int row) {
            return q4_0Tail(w, off, x, row);
        }

        @Override
        public long secondLoopFromRowBytes() {
            return Simd.READ_AHEAD_MIN_ROW;
        }
    };

    /**
     * {@link #Q4_0_QUADS} over one row's whole quads, its sum in a register from quad to quad. The
     * sums once went through a scratch array, a store and a load per quad, and a quad's fma waited
     * on the last one's store (about 13 cycles a quad in cache, on an AMD EPYC Zen 5 core): JMH
     * 5632x2048, 1 thread, one row after another, 570 us from DRAM with the scratch against 377
     * with the register (312 in cache). Returns its lanes' sum, in {@link Simd#laneSum}'s order.
     */
    private static float q4_0Row(MemorySegment w, long off, RoundedRows x, int row, float[] scratch) {
        int quads = x.cols / 128;
        byte[] xs = x.q4_0Quads;
        int[] offsets = x.q4_0QuadOffsets;
        float[] dx = x.quadScales;
        FloatVector acc = F_VECTOR.cast(FloatVector.zero(F));
        // pair sums as v·0x10001 >> 16 where Simd.PAIR_SUMS_BY_MULTIPLY (not on Intel cores): v·0x10001 is
        // v + (v << 16) mod 2^32, so the same bits as the shift and add; on an AMD EPYC (Zen 5) one
        // vpmulld for the two was 4-7% faster (JMH 5632x2048, 1 thread, in cache: Q4_0 303 -> 291 us, Q4_K
        // 350 -> 334, Q6_K 499 -> 466; from DRAM 327 -> 313, 362-373 -> 354, 523 -> 500), on an Intel Xeon 13-20% slower
        int xq = 128 * row * quads;
        int xo = 16 * row * quads;
        long bo = off;
        // long rows read ahead (Simd.READ_AHEAD), but for the last ones of the tensor, where it would read past
        // its end; the rest have their own loop without it: a byte read per quad, though an L1 hit, cost them 16%
        // (JMH 5632x2048 Q4_0, 1 thread, in cache: 314-319 us without it, 377 with it). VectorKernels.prime
        // runs both loops.
        long reach = 72L * quads >= Simd.READ_AHEAD_MIN_ROW ? Simd.READ_AHEAD : 0;
        if (reach > 0 && off + 72L * (quads - 1) + reach < w.byteSize()) {
            int touched = 0;
            for (int g = 0; g < quads; g++, xq += 128, xo += 16, bo += 72) {
                ShortVector x0 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq)).convertShape(B2S, Simd.SW, 0));
                ShortVector x1 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq + 32)).convertShape(B2S, Simd.SW, 0));
                ShortVector x2 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq + 64)).convertShape(B2S, Simd.SW, 0));
                ShortVector x3 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq + 96)).convertShape(B2S, Simd.SW, 0));
                IntVector offs = I_VECTOR.cast(IntVector.fromArray(I, offsets, xo));
                FloatVector dxs = F_VECTOR.cast(FloatVector.fromArray(F, dx, xo));
                touched += w.get(ValueLayout.JAVA_BYTE, bo + reach);
                ByteVector first = BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo, LE));
                IntVector q = I_VECTOR.cast(QUAD_QUANTS.selectFrom(first, BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 8, LE)))
                        .reinterpretAsInts());
                IntVector prod = I_VECTOR.cast(SW_VECTOR.cast(q.and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x0)
                        .add(SW_VECTOR.cast(q.lanewise(VectorOperators.LSHR, 4).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x1))
                        .add(SW_VECTOR.cast(q.lanewise(VectorOperators.LSHR, 8).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x2)
                                .add(SW_VECTOR.cast(q.reinterpretAsShorts()).lanewise(VectorOperators.LSHR, 12).mul(x3)))
                        .reinterpretAsInts());
                IntVector sums = (Simd.PAIR_SUMS_BY_MULTIPLY ? prod.mul(0x10001) : prod.add(prod.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).add(offs);
                FloatVector scale = F_VECTOR.cast(I_VECTOR.cast(BI_VECTOR.cast(first.rearrange(QUAD_SCALES)).reinterpretAsInts())
                        .lanewise(VectorOperators.ASHR, 3).and(Simd.F16_IN_FLOAT).reinterpretAsFloats()).mul(dxs);
                acc = F_VECTOR.cast(sums.convert(VectorOperators.I2F, 0)).fma(scale, acc);
            }
            // kept where nothing reads it, so that C2 keeps the reads ahead
            scratch[L] = touched;
        } else {
            // the same loop without the read ahead (as a helper method C2 would not inline it, and box its vectors)
            for (int g = 0; g < quads; g++, xq += 128, xo += 16, bo += 72) {
                ShortVector x0 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq)).convertShape(B2S, Simd.SW, 0));
                ShortVector x1 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq + 32)).convertShape(B2S, Simd.SW, 0));
                ShortVector x2 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq + 64)).convertShape(B2S, Simd.SW, 0));
                ShortVector x3 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq + 96)).convertShape(B2S, Simd.SW, 0));
                IntVector offs = I_VECTOR.cast(IntVector.fromArray(I, offsets, xo));
                FloatVector dxs = F_VECTOR.cast(FloatVector.fromArray(F, dx, xo));
                ByteVector first = BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo, LE));
                IntVector q = I_VECTOR.cast(QUAD_QUANTS.selectFrom(first, BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 8, LE)))
                        .reinterpretAsInts());
                IntVector prod = I_VECTOR.cast(SW_VECTOR.cast(q.and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x0)
                        .add(SW_VECTOR.cast(q.lanewise(VectorOperators.LSHR, 4).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x1))
                        .add(SW_VECTOR.cast(q.lanewise(VectorOperators.LSHR, 8).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x2)
                                .add(SW_VECTOR.cast(q.reinterpretAsShorts()).lanewise(VectorOperators.LSHR, 12).mul(x3)))
                        .reinterpretAsInts());
                IntVector sums = (Simd.PAIR_SUMS_BY_MULTIPLY ? prod.mul(0x10001) : prod.add(prod.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).add(offs);
                FloatVector scale = F_VECTOR.cast(I_VECTOR.cast(BI_VECTOR.cast(first.rearrange(QUAD_SCALES)).reinterpretAsInts())
                        .lanewise(VectorOperators.ASHR, 3).and(Simd.F16_IN_FLOAT).reinterpretAsFloats()).mul(dxs);
                acc = F_VECTOR.cast(sums.convert(VectorOperators.I2F, 0)).fma(scale, acc);
            }
        }
        // lanes summed as Simd.laneSum sums them, in registers: storing them for
        // scalar loads stalled each row on the store (8% of TinyLlama Q4_0 decode, 1 thread, in finish)
        acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0);
        acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
        return acc.lane(0) + acc.lane(1);
    }

    /**
     * {@link #q4_0Row} for the four rows at {@code off + k·stride}, side by side, each sum in a
     * register of its own: the same operations in the same order for each row (so the same bits),
     * the activations loaded and widened once for the four, and four streams of weights in flight.
     * Row k's sum (without its tail) goes to {@code out[o + k·outStride]}. Two rows at a time, as
     * {@link #q8_0Pair} must, were slower: JMH 5632x2048, 1 thread, alternated, best iterations,
     * 863-1000 us against 735-774 from DRAM. This method's size is near what C1 can compile with
     * profiling (tier 3; Q8_0's four-row form was not, see there): on JDK 25, C1 compiles it at
     * tier 3 and C2 at tier 4 ({@code -XX:+PrintCompilation}); a larger one must be checked so.
     */
    private static void q4_0Runs(MemorySegment w, long off, long stride, RoundedRows x, int row, float[] out, int o, int outStride) {
        int quads = x.cols / 128;
        byte[] xs = x.q4_0Quads;
        int[] offsets = x.q4_0QuadOffsets;
        float[] dx = x.quadScales;
        FloatVector a0 = F_VECTOR.cast(FloatVector.zero(F));
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int xq = 128 * row * quads;
        int xo = 16 * row * quads;
        long bo = off;
        for (int g = 0; g < quads; g++, xq += 128, xo += 16, bo += 72) {
            ShortVector x0 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq)).convertShape(B2S, Simd.SW, 0));
            ShortVector x1 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq + 32)).convertShape(B2S, Simd.SW, 0));
            ShortVector x2 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq + 64)).convertShape(B2S, Simd.SW, 0));
            ShortVector x3 = SW_VECTOR.cast(BW_VECTOR.cast(ByteVector.fromArray(Simd.BW, xs, xq + 96)).convertShape(B2S, Simd.SW, 0));
            IntVector offs = I_VECTOR.cast(IntVector.fromArray(I, offsets, xo));
            FloatVector dxs = F_VECTOR.cast(FloatVector.fromArray(F, dx, xo));
            // row 0
            ByteVector first0 = BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo, LE));
            IntVector q0 = I_VECTOR.cast(QUAD_QUANTS.selectFrom(first0, BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 8, LE)))
                    .reinterpretAsInts());
            IntVector prod0 = I_VECTOR.cast(SW_VECTOR.cast(q0.and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x0)
                    .add(SW_VECTOR.cast(q0.lanewise(VectorOperators.LSHR, 4).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x1))
                    .add(SW_VECTOR.cast(q0.lanewise(VectorOperators.LSHR, 8).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x2)
                            .add(SW_VECTOR.cast(q0.reinterpretAsShorts()).lanewise(VectorOperators.LSHR, 12).mul(x3)))
                    .reinterpretAsInts());
            IntVector sums0 = (Simd.PAIR_SUMS_BY_MULTIPLY ? prod0.mul(0x10001) : prod0.add(prod0.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).add(offs);
            FloatVector scale0 = F_VECTOR.cast(I_VECTOR.cast(BI_VECTOR.cast(first0.rearrange(QUAD_SCALES)).reinterpretAsInts())
                    .lanewise(VectorOperators.ASHR, 3).and(Simd.F16_IN_FLOAT).reinterpretAsFloats()).mul(dxs);
            a0 = F_VECTOR.cast(sums0.convert(VectorOperators.I2F, 0)).fma(scale0, a0);
            // row 1
            ByteVector first1 = BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 1 * stride, LE));
            IntVector q1 = I_VECTOR.cast(QUAD_QUANTS.selectFrom(first1, BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 1 * stride + 8, LE)))
                    .reinterpretAsInts());
            IntVector prod1 = I_VECTOR.cast(SW_VECTOR.cast(q1.and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x0)
                    .add(SW_VECTOR.cast(q1.lanewise(VectorOperators.LSHR, 4).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x1))
                    .add(SW_VECTOR.cast(q1.lanewise(VectorOperators.LSHR, 8).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x2)
                            .add(SW_VECTOR.cast(q1.reinterpretAsShorts()).lanewise(VectorOperators.LSHR, 12).mul(x3)))
                    .reinterpretAsInts());
            IntVector sums1 = (Simd.PAIR_SUMS_BY_MULTIPLY ? prod1.mul(0x10001) : prod1.add(prod1.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).add(offs);
            FloatVector scale1 = F_VECTOR.cast(I_VECTOR.cast(BI_VECTOR.cast(first1.rearrange(QUAD_SCALES)).reinterpretAsInts())
                    .lanewise(VectorOperators.ASHR, 3).and(Simd.F16_IN_FLOAT).reinterpretAsFloats()).mul(dxs);
            a1 = F_VECTOR.cast(sums1.convert(VectorOperators.I2F, 0)).fma(scale1, a1);
            // row 2
            ByteVector first2 = BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 2 * stride, LE));
            IntVector q2 = I_VECTOR.cast(QUAD_QUANTS.selectFrom(first2, BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 2 * stride + 8, LE)))
                    .reinterpretAsInts());
            IntVector prod2 = I_VECTOR.cast(SW_VECTOR.cast(q2.and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x0)
                    .add(SW_VECTOR.cast(q2.lanewise(VectorOperators.LSHR, 4).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x1))
                    .add(SW_VECTOR.cast(q2.lanewise(VectorOperators.LSHR, 8).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x2)
                            .add(SW_VECTOR.cast(q2.reinterpretAsShorts()).lanewise(VectorOperators.LSHR, 12).mul(x3)))
                    .reinterpretAsInts());
            IntVector sums2 = (Simd.PAIR_SUMS_BY_MULTIPLY ? prod2.mul(0x10001) : prod2.add(prod2.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).add(offs);
            FloatVector scale2 = F_VECTOR.cast(I_VECTOR.cast(BI_VECTOR.cast(first2.rearrange(QUAD_SCALES)).reinterpretAsInts())
                    .lanewise(VectorOperators.ASHR, 3).and(Simd.F16_IN_FLOAT).reinterpretAsFloats()).mul(dxs);
            a2 = F_VECTOR.cast(sums2.convert(VectorOperators.I2F, 0)).fma(scale2, a2);
            // row 3
            ByteVector first3 = BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 3 * stride, LE));
            IntVector q3 = I_VECTOR.cast(QUAD_QUANTS.selectFrom(first3, BI_VECTOR.cast(ByteVector.fromMemorySegment(BI, w, bo + 3 * stride + 8, LE)))
                    .reinterpretAsInts());
            IntVector prod3 = I_VECTOR.cast(SW_VECTOR.cast(q3.and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x0)
                    .add(SW_VECTOR.cast(q3.lanewise(VectorOperators.LSHR, 4).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x1))
                    .add(SW_VECTOR.cast(q3.lanewise(VectorOperators.LSHR, 8).and(Simd.LOW_NIBBLES).reinterpretAsShorts()).mul(x2)
                            .add(SW_VECTOR.cast(q3.reinterpretAsShorts()).lanewise(VectorOperators.LSHR, 12).mul(x3)))
                    .reinterpretAsInts());
            IntVector sums3 = (Simd.PAIR_SUMS_BY_MULTIPLY ? prod3.mul(0x10001) : prod3.add(prod3.lanewise(VectorOperators.LSHL, 16))).lanewise(VectorOperators.ASHR, 16).add(offs);
            FloatVector scale3 = F_VECTOR.cast(I_VECTOR.cast(BI_VECTOR.cast(first3.rearrange(QUAD_SCALES)).reinterpretAsInts())
                    .lanewise(VectorOperators.ASHR, 3).and(Simd.F16_IN_FLOAT).reinterpretAsFloats()).mul(dxs);
            a3 = F_VECTOR.cast(sums3.convert(VectorOperators.I2F, 0)).fma(scale3, a3);
        }
        // each row's lanes summed as q4_0Row sums them
        a0 = (FloatVector) F_VECTOR.cast(a0).add(a0.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0);
        a0 = (FloatVector) a0.add(a0.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        a0 = a0.add(a0.rearrange(Simd.XOR_2_OF_4));
        out[o + 0 * outStride] = a0.lane(0) + a0.lane(1);
        a1 = (FloatVector) F_VECTOR.cast(a1).add(a1.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0);
        a1 = (FloatVector) a1.add(a1.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        a1 = a1.add(a1.rearrange(Simd.XOR_2_OF_4));
        out[o + 1 * outStride] = a1.lane(0) + a1.lane(1);
        a2 = (FloatVector) F_VECTOR.cast(a2).add(a2.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0);
        a2 = (FloatVector) a2.add(a2.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        a2 = a2.add(a2.rearrange(Simd.XOR_2_OF_4));
        out[o + 2 * outStride] = a2.lane(0) + a2.lane(1);
        a3 = (FloatVector) F_VECTOR.cast(a3).add(a3.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0);
        a3 = (FloatVector) a3.add(a3.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
        a3 = a3.add(a3.rearrange(Simd.XOR_2_OF_4));
        out[o + 3 * outStride] = a3.lane(0) + a3.lane(1);
    }

    /** The blocks of a Q4_0 row past its last whole quad, by the scalar path. */
    private static float q4_0Tail(MemorySegment w, long off, RoundedRows x, int row) {
        int nb = x.cols / 32;
        float tail = 0;
        for (int b = nb / 4 * 4; b < nb; b++) {
            tail += q4_0Block(w, off + 18L * b, x, row * x.cols + 32 * b, row * nb + b);
        }
        return tail;
    }

    /** Bytes in a register of {@link Simd#I}'s shape: one load holds a whole 18-byte Q4_0 block. */
    private static final jdk.incubator.vector.VectorSpecies<Byte> BI = VectorSpecies.of(byte.class, I.vectorShape());
    @SuppressWarnings("unchecked")
    private static final Class<? extends ByteVector> BI_VECTOR = (Class<? extends ByteVector>) BI.vectorType();
    /** One Q4_0 block at {@code bo} by the plain integer loop (activation quants at {@code xq}, scale {@code s}): the reference the vector paths match. */
    private static float q4_0Block(MemorySegment w, long bo, RoundedRows x, int xq, int s) {
        int isum = 0;
        for (int j = 0; j < 16; j++) {
            int v = w.get(ValueLayout.JAVA_BYTE, bo + 2 + j);
            isum += ((v & 0xF) - 8) * x.quants[xq + j] + (((v >> 4) & 0xF) - 8) * x.quants[xq + j + 16];
        }
        return Simd.f16At(w, bo) * x.scales[s] * isum;
    }

    /**
     * Byte {@code 16k + i} of the result is quant byte {@code i} of block {@code k} (quad byte
     * {@code 18k + 2 + i}), from the two loads of a quad (bytes 0-63 and 8-71).
     */
    private static final ByteVector QUAD_QUANTS = Simd.SHORT_PRODUCTS
            ? twoLoadIndexes(n -> 18 * (n / 16) + 2 + n % 16, 0, 8) : null;
    /** Int lane {@code m}'s bytes 2 and 3 from block {@code m/4}'s scale (quad bytes {@code 18·(m/4)}, +1); bytes 0 and 1 are masked off. */
    private static final VectorShuffle<Byte> QUAD_SCALES = Simd.SHORT_PRODUCTS
            ? VectorShuffle.fromOp(BI, n -> 18 * (n / 16) + Math.max(0, n % 4 - 2)) : null;

    /** Per pass {@code t}, the shuffle that puts quant byte {@code t·L + j} (block byte 2 + t·L + j) in byte 2 of int lane {@code j}. */
    private static final VectorShuffle<Byte>[] TO_BYTE2 = toByte2();
    /** Pass 0's shuffle in a constant of its own: read from the array per block, the kernel ran 25% slower in JMH. */
    private static final VectorShuffle<Byte> TO_BYTE2_0 = TO_BYTE2[0];
    private static final int NIBBLE_AT_19 = 0xF << 19;
    /** 16.0f: its mantissa's bits 19-22 count ones, so a nibble or-ed there reads as 16 + q. */
    private static final int SIXTEEN = Float.floatToRawIntBits(16f);

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Byte>[] toByte2() {
        VectorShuffle<Byte>[] table = new VectorShuffle[16 / L];
        for (int t = 0; t < table.length; t++) {
            int pass = t;
            table[t] = VectorShuffle.fromOp(BI, k -> 2 + pass * L + k / 4);
        }
        return table;
    }

    /** Per pass, the shift that brings lane j's low nibble down in {@link NibbleDot}: byte {@code j/4 + t·L/4} of the spread block. */
    private static final IntVector[] SHIFT_LO = Simd.perPass(16 / L, (t, j) -> 8 * (j / 4 + t * L / 4));
    /** {@link #SHIFT_LO} + 4: the high nibbles. */
    private static final IntVector[] SHIFT_HI = Simd.perPass(16 / L, (t, j) -> 8 * (j / 4 + t * L / 4) + 4);

    /** Element of a 32-block that lane {@code j} of pass {@code t} holds, low ({@code nib} 0) or high nibbles. */
    static int nibbleElement(int t, int nib, int j) {
        return 16 * nib + 4 * (j % 4) + j / 4 + t * L / 4;
    }

    /** Q4_1 and Q5_1: {@code d·q + m}, the minimum's share taken from the activation block sums. */
    static final RowDot Q4_1 = new NibbleDot(Rounding.Q8_1, 20, -1, 4);
    static final RowDot Q5_1 = new NibbleDot(Rounding.Q8_1, 24, 4, 8);
    /** Q5_0: {@code d·(q - 16)}, the offset taken from the activation block sums. */
    static final RowDot Q5_0 = new NibbleDot(Rounding.Q8_0, 22, 2, 6);

    /**
     * Q4_1, Q5_0 and Q5_1 in {@link #Q4_0}'s float-domain shape: one register load per block
     * (scales, qh and quants), the quant bytes spread over the register and split into nibbles
     * per lane against the activations in {@link RoundedRows#nibbleOrder}. For the 5-bit formats
     * qh is repeated in every int lane and rotated per lane so that the bit of the element a lane
     * holds lands on bit 4 ({@code ror(qh, e - 4) & 0x10}), then or-ed onto the nibble.
     *
     * <p>Exactness: a weight quant is in [0, 31] and an activation quant in [-128, 127], so a lane's
     * per-block sum is at most 32·31·128 = 126976 &lt; 2^24 in magnitude: every product and lane
     * sum is an exact integer in float, as the former integer loop's block sum was. Q5_0's -16
     * offset is applied per block as {@code -16·d·Σx} ({@link RoundedRows#blockSumsQ8_0}, exact)
     * and the minimum of Q4_1/Q5_1 as {@code m·s_x} ({@link RoundedRows#sums}), both in a scalar;
     * the result differs from the integer loop only in the order float terms are summed. Blocks
     * whose full-register load would read past the tensor's end take the scalar path.
     */
    private static final class NibbleDot implements RowDot {
        private final Rounding rounding;
        private final int blockBytes;
        /** Offset of the 32-bit qh in the block, -1 for the 4-bit formats. */
        private final int qhAt;
        private final int qsAt;
        private final boolean fifthBit;
        /** Q4_1/Q5_1 carry a minimum (F16 at byte 2); Q5_0 an offset of -16 instead. */
        private final boolean min;
        /** The block's 16 quant bytes repeated in every 16 bytes of the register. */
        private final VectorShuffle<Byte> spread;
        /** The block's qh repeated in every int lane (unused without a fifth bit). */
        private final VectorShuffle<Byte> qhSpread;

        NibbleDot(Rounding rounding, int blockBytes, int qhAt, int qsAt) {
            this.rounding = rounding;
            this.blockBytes = blockBytes;
            this.qhAt = qhAt;
            this.qsAt = qsAt;
            this.fifthBit = qhAt >= 0;
            this.min = rounding == Rounding.Q8_1;
            this.spread = VectorShuffle.fromOp(BI, k -> qsAt + (k % 16));
            this.qhSpread = VectorShuffle.fromOp(BI, k -> Math.max(qhAt, 0) + (k % 4));
        }

        @Override
        public Rounding rounding() {
            return rounding;
        }

        @Override
        public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
            int nb = x.cols / 32;
            int so = row * nb;
            float[] xr = x.nibbleOrder;
            float[] xsum = x.blockSumsQ8_0;
            float[] msum = x.sums;
            float[] d = x.scales;
            // blocks whose full-register load stays inside the segment (and a register holds a whole block)
            long room = w.byteSize() - off - BI.vectorByteSize();
            int fast = room < 0 || BI.vectorByteSize() < blockBytes ? 0 : (int) Math.min(nb, room / blockBytes + 1);
            FloatVector acc = FloatVector.zero(F);
            float extra = 0;
            for (int b = 0; b < fast; b++) {
                long bo = off + (long) blockBytes * b;
                int xq = 32 * (so + b);
                ByteVector all = ByteVector.fromMemorySegment(BI, w, bo, LE);
                ShortVector halves = all.reinterpretAsShorts();
                IntVector v = all.rearrange(spread).reinterpretAsInts();
                FloatVector s = FloatVector.zero(F);
                if (fifthBit) {
                    IntVector h = all.rearrange(qhSpread).reinterpretAsInts();
                    for (int t = 0; t < 16 / L; t++) {
                        IntVector lo = v.lanewise(VectorOperators.LSHR, SHIFT_LO[t]).and(0xF)
                                .or(h.lanewise(VectorOperators.ROR, ROT_LO[t]).and(0x10));
                        IntVector hi = v.lanewise(VectorOperators.LSHR, SHIFT_HI[t]).and(0xF)
                                .or(h.lanewise(VectorOperators.ROR, ROT_HI[t]).and(0x10));
                        FloatVector lf = (FloatVector) lo.convertShape(VectorOperators.I2F, F, 0);
                        FloatVector hf = (FloatVector) hi.convertShape(VectorOperators.I2F, F, 0);
                        s = lf.fma(FloatVector.fromArray(F, xr, xq + 2 * t * L), hf.fma(FloatVector.fromArray(F, xr, xq + (2 * t + 1) * L), s));
                    }
                } else {
                    for (int t = 0; t < 16 / L; t++) {
                        FloatVector lf = (FloatVector) v.lanewise(VectorOperators.LSHR, SHIFT_LO[t]).and(0xF).convertShape(VectorOperators.I2F, F, 0);
                        FloatVector hf = (FloatVector) v.lanewise(VectorOperators.LSHR, SHIFT_HI[t]).and(0xF).convertShape(VectorOperators.I2F, F, 0);
                        s = lf.fma(FloatVector.fromArray(F, xr, xq + 2 * t * L), hf.fma(FloatVector.fromArray(F, xr, xq + (2 * t + 1) * L), s));
                    }
                }
                float scale = Float.float16ToFloat(halves.lane(0)) * d[so + b];
                acc = s.fma(FloatVector.broadcast(F, scale), acc);
                extra += min ? Float.float16ToFloat(halves.lane(1)) * msum[so + b] : -16 * scale * xsum[so + b];
            }
            for (int b = fast; b < nb; b++) {
                extra += scalarBlock(w, off + (long) blockBytes * b, x, row * x.cols + 32 * b, so + b);
            }
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
            acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
            return (acc.lane(0) + acc.lane(1)) + extra;
        }

        /** One block by the plain integer loop: the reference the vector path must match. */
        private float scalarBlock(MemorySegment w, long bo, RoundedRows x, int xq, int s) {
            int qh = fifthBit ? w.get(Simd.INT, bo + qhAt) : 0;
            int bias = min ? 0 : 16;
            int isum = 0;
            for (int j = 0; j < 16; j++) {
                int v = w.get(ValueLayout.JAVA_BYTE, bo + qsAt + j) & 0xFF;
                int lo = ((v & 0xF) | (((qh >>> j) & 1) << 4)) - bias;
                int hi = ((v >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) - bias;
                isum += lo * x.quants[xq + j] + hi * x.quants[xq + j + 16];
            }
            float sum = Simd.f16At(w, bo) * x.scales[s] * isum;
            return min ? sum + Simd.f16At(w, bo + 2) * x.sums[s] : sum;
        }
    }

    /** Per lane, the right rotation of qh that brings the fifth bit of the lane's element to bit 4. */
    private static final IntVector[] ROT_LO = Simd.perPass(16 / L, (t, j) -> (nibbleElement(t, 0, j) - 4) & 31);
    private static final IntVector[] ROT_HI = Simd.perPass(16 / L, (t, j) -> (nibbleElement(t, 1, j) - 4) & 31);
}
