package dev.llamaj.core.kernels.vector;

import dev.llamaj.core.tensor.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Activation rows rounded for one weight format: floats (plain, F16- or BF16-rounded) or 8-bit
 * quants with their scales. A scratch buffer the kernels reuse from call to call.
 */
final class RoundedRows {
    Rounding rounding;
    int cols;
    float[] floats = new float[0];
    /**
     * F16-rounded activations times 2^112, for {@link FloatDots#F16}'s row dot, which reads each weight
     * into a float's place ({@link Simd#f16Down}: the weight times 2^-112). Exact: an F16 value is at
     * most 65504 &lt; 2^16, so the product stays below 2^128, and each product of the two is the
     * float product of the F16 values.
     */
    float[] floatsUp = new float[0];
    byte[] quants = new byte[0];
    /**
     * Q8_0/Q8_K quants widened to 16 bits once per row, so the Q8_0 dot under 512 bits and the 512-bit
     * Q6_K dot need not widen them per weight row ({@link BlockDots#Q8_0_QUADS} reads {@link #q4_0Quads}).
     */
    short[] wide = new short[0];
    /** Q8_0/Q8_1 quants as floats in the lane order of Q4_1, Q5_0 and Q5_1: per block, per pass, low then high nibble lanes. */
    float[] nibbleOrder = new float[0];
    /**
     * Q8_K quants for {@link KQuantDots#Q4_K} with 512-bit registers, 128 bytes per half super-block
     * (two 32-byte quant groups, sub-blocks 4h to 4h+3): four runs of 32, run {@code e} lane {@code j}
     * holding the element that nibble {@code e} of the lane's two weight bytes pairs with (low of
     * byte 2j, low of 2j+1, high of 2j, high of 2j+1; see {@link #layoutForKQuants}).
     */
    byte[] q4kQuads = new byte[0];
    /** Q8_K quants as floats in the lane order of {@link KQuantDots#Q4_K} with 256-bit registers: per 64 elements, per nibble half, per pass. */
    float[] kOrder = new float[0];
    /** Q8_0 and Q8_K quants as floats in natural order, for the float-domain Q4_0 (under 512 bits), Q5_K, Q3_K and Q2_K dots. */
    float[] values = new float[0];
    /** Per Q8_0 block, the sum of its quants (exact in float): Q5_0's -16 offset is applied through it. */
    float[] blockSumsQ8_0 = new float[0];
    /**
     * Per Q8_0 block, {@code -24·Σx / L}: the start of each lane's sum in {@link BlockDots#Q4_0}, which
     * reads weights as {@code 16 + q} and wants {@code q - 8}. A multiple of 1/2 (L ≤ 16), exact in float.
     */
    float[] q4_0Offsets = new float[0];
    /**
     * Q8_0 quants for {@link BlockDots#Q4_0_QUADS}, 128 bytes per four blocks of a row: four runs
     * of 32, run {@code e} lane {@code j} holding the element of block {@code j/8} that nibble
     * {@code e} of that lane's two weight bytes {@code i = 2·(j%8)}, {@code i+1} holds:
     * {@code i}, {@code i+16}, {@code i+1}, {@code i+17}.
     */
    byte[] q4_0Quads = new byte[0];
    /**
     * {@link #q4_0Quads} widened to shorts, for {@link BlockDots#Q8_0_QUADS}: widened once per
     * token rather than per quad and weight row (a {@code vpmovsxbw} per 32 activations, on the
     * port the byte permutes need). Q4_0 keeps the bytes: its dot reads more activation bytes per
     * weight byte, and halving that traffic was worth more than the widening ({@link Simd#BW}).
     */
    short[] q8_0Quads = new short[0];
    /** Per four Q8_0 blocks, 16 ints: {@code -2·Σx} of block {@code m/4} in lane {@code m}. */
    int[] q4_0QuadOffsets = new int[0];
    /**
     * Per four Q8_0 blocks, 16 floats: block {@code m/4}'s scale in lane {@code m}, times 2^112 (the
     * re-bias of an F16 read into a float's place, {@link Simd#f16}). Exact: scales are F16 values,
     * at most 65504 &lt; 2^16, so the product stays below 2^128.
     */
    float[] quadScales = new float[0];
    float[] scales = new float[0];
    float[] sums = new float[0];
    int[] blockSums = new int[0];
    /** Q8_K sums per 32 quants (two of {@link #blockSums}; |sum| ≤ 4096, exact in float): the sub-block size of Q4_K/Q5_K minimums. */
    float[] pairSums = new float[0];

    private final ThreadLocal<float[]> convertedRow = ThreadLocal.withInitial(() -> new float[0]);

    /** Floats a row dot's accumulators take in {@link #dotScratch} ({@link RowDot#dot4}'s scratch: four rows of {@link Simd#L} floats, and of 8). */
    static final int DOT_SCRATCH = 4 * Simd.L + 32;

    private final ThreadLocal<float[]> dotScratch = ThreadLocal.withInitial(() -> new float[DOT_SCRATCH]);

    /** A per-thread scratch of {@link #DOT_SCRATCH} floats, for a row dot's accumulators when it runs alone. */
    float[] dotScratch() {
        return dotScratch.get();
    }

    /** A per-thread scratch of at least {@code n} floats: the F16 and BF16 dots convert a weight row into it ({@link FloatDots#PASS}). */
    float[] convertedRow(int n) {
        float[] a = convertedRow.get();
        if (a.length < n) {
            a = new float[n];
            convertedRow.set(a);
        }
        return a;
    }

    /**
     * Whether {@link #round} lays rows out in {@link #nibbleOrder}, which only the Q4_1, Q5_0 and Q5_1
     * dots read: in a Q4_0 or Q8_0 model nothing read it, and the layout runs on the caller alone
     * while the other threads wait (skipping it took the layout from 1.28% to 1.12% of a 2-thread
     * TinyLlama Q4_0 decode's samples).
     */
    private boolean nibbleLanes = true;
    /** Whether {@link #round} fills {@link #values} for a Q8_K rounding: only Q5_K, Q3_K and Q2_K read them. */
    private boolean kValues = true;
    /** Whether {@link #round} fills {@link #q4_0Quads} (Q4_0 reads them) and {@link #q8_0Quads} (Q8_0 reads them). */
    private boolean quadBytes = true;
    private boolean quadShorts = true;

    /** Sizes the buffers for {@code rows} rows of {@code cols} in {@code rounding}, with every layout. */
    void prepare(Rounding rounding, int rows, int cols) {
        prepare(rounding, rows, cols, -1L);
    }

    /** {@code type}'s bit in a {@link #prepare(Rounding, int, int, long)} readers mask. */
    static long reader(GgmlType type) {
        return 1L << type.ordinal();
    }

    /**
     * Sizes the buffers for {@code rows} rows of {@code cols} in {@code rounding}, with the layouts that
     * weights of the formats in {@code readers} (a mask of {@link #reader} bits) read.
     */
    void prepare(Rounding rounding, int rows, int cols, long readers) {
        this.nibbleLanes = (readers & (reader(GgmlType.Q4_1) | reader(GgmlType.Q5_0) | reader(GgmlType.Q5_1))) != 0;
        this.kValues = (readers & (reader(GgmlType.Q5_K) | reader(GgmlType.Q3_K) | reader(GgmlType.Q2_K))) != 0;
        this.quadBytes = (readers & reader(GgmlType.Q4_0)) != 0;
        this.quadShorts = (readers & reader(GgmlType.Q8_0)) != 0;
        this.rounding = rounding;
        this.cols = cols;
        int n = rows * cols;
        switch (rounding) {
            case NONE -> {
            }
            case F16 -> {
                floats = grow(floats, n);
                floatsUp = grow(floatsUp, n);
            }
            case BF16 -> floats = grow(floats, n);
            case Q8_0, Q8_1 -> {
                quants = grow(quants, n);
                if (rounding == Rounding.Q8_0 && !Simd.SHORT_PRODUCTS) {
                    wide = grow(wide, n);
                }
                if (nibbleLanes) {
                    nibbleOrder = grow(nibbleOrder, n);
                }
                blockSumsQ8_0 = grow(blockSumsQ8_0, n / 32);
                // the Q4_0 layouts (Q4_1 and Q5_1, rounded Q8_1, read neither)
                if (rounding == Rounding.Q8_0 && Simd.SHORT_PRODUCTS) {
                    int quads = rows * (cols / 128);
                    if (quadBytes) {
                        q4_0Quads = grow(q4_0Quads, 128 * quads);
                    }
                    if (quadShorts) {
                        q8_0Quads = grow(q8_0Quads, 128 * quads);
                    }
                    q4_0QuadOffsets = grow(q4_0QuadOffsets, 16 * quads);
                    quadScales = grow(quadScales, 16 * quads);
                } else if (rounding == Rounding.Q8_0) {
                    values = grow(values, n);
                    q4_0Offsets = grow(q4_0Offsets, n / 32);
                }
                scales = grow(scales, n / 32);
                sums = grow(sums, n / 32);
            }
            case Q8_K -> {
                quants = grow(quants, n);
                wide = grow(wide, n);
                if (Simd.SHORT_PRODUCTS) {
                    q4kQuads = grow(q4kQuads, n);
                } else {
                    kOrder = grow(kOrder, n);
                }
                values = grow(values, n);
                scales = grow(scales, n / 256);
                blockSums = grow(blockSums, n / 16);
                pairSums = grow(pairSums, n / 32);
            }
        }
    }

    /** Rounds row {@code row} of {@code x} (rows of {@link #cols}) and lays it out for the row dots. */
    void round(float[] x, int row) {
        roundOnly(x, row);
        int off = row * cols;
        if (rounding == Rounding.F16) {
            for (int i = off; i < off + cols; i++) {
                floatsUp[i] = floats[i] * 0x1p112f;
            }
        } else if (rounding == Rounding.Q8_0 || rounding == Rounding.Q8_1) {
            layoutForQ8_0AndQ4_0(off);
        } else if (rounding == Rounding.Q8_K) {
            layoutForKQuants(off);
        }
    }

    /**
     * Rounds row {@code row} into {@link #quants} and {@link #scales} (or {@link #floats}) only:
     * the prefill reads nothing else, and the dots' layouts cost it 5% of its time.
     */
    void roundOnly(float[] x, int row) {
        int off = row * cols;
        switch (rounding) {
            case NONE -> {
            }
            case F16 -> ActivationQuantizer.roundF16(x, off, cols, floats);
            case BF16 -> ActivationQuantizer.roundBF16(x, off, cols, floats);
            case Q8_0 -> ActivationQuantizer.q8_0(x, off, cols, quants, off, scales, off / 32, null);
            case Q8_1 -> ActivationQuantizer.q8_0(x, off, cols, quants, off, scales, off / 32, sums);
            case Q8_K -> ActivationQuantizer.q8_K(x, off, cols, quants, off, scales, off / 256, blockSums, off / 16);
        }
    }

    /**
     * The row's quants laid out for the Q4_0 and Q8_0 dots that run ({@link BlockDots#Q4_0_QUADS} and
     * {@link BlockDots#Q8_0_QUADS}, or {@link BlockDots#Q4_0} and, widened, {@link BlockDots#Q8_0}),
     * and in the other nibble formats' lane order.
     */
    private void layoutForQ8_0AndQ4_0(int off) {
        // only Q4_0 and Q8_0 (rounded Q8_0) read the quad layout, the float values or the widened quants; Q4_1 and Q5_1 (Q8_1) none
        boolean forQ4_0 = rounding == Rounding.Q8_0;
        boolean quads = forQ4_0 && Simd.SHORT_PRODUCTS;
        for (int i = off; forQ4_0 && !quads && i < off + cols; i++) {
            wide[i] = quants[i];
            values[i] = quants[i];
        }
        int L = Simd.L;
        int quadsPerRow = cols / 128;
        if (quads) {
            // two byte permutes per quad (one per 64 bytes out, from its 128 bytes in) instead of 128 byte moves:
            // the byte moves were most of this layout, which the caller runs alone while the other threads wait
            int first = off / cols * quadsPerRow;
            for (int g = 0; g < quadsPerRow; g++) {
                ByteVector lo = ByteVector.fromArray(ByteVector.SPECIES_512, quants, off + 128 * g);
                ByteVector hi = ByteVector.fromArray(ByteVector.SPECIES_512, quants, off + 128 * g + 64);
                ByteVector runs01 = QUAD_RUNS_01.selectFrom(lo, hi);
                ByteVector runs23 = QUAD_RUNS_23.selectFrom(lo, hi);
                if (quadBytes) {
                    runs01.intoArray(q4_0Quads, 128 * (first + g));
                    runs23.intoArray(q4_0Quads, 128 * (first + g) + 64);
                }
                if (quadShorts) {
                    widen(runs01, q8_0Quads, 128 * (first + g));
                    widen(runs23, q8_0Quads, 128 * (first + g) + 64);
                }
            }
        }
        for (int b = off / 32; b < (off + cols) / 32; b++) {
            int sum = 0;
            for (int i = 0; i < 32; i++) {
                sum += quants[32 * b + i];
            }
            blockSumsQ8_0[b] = sum;
            int local = b - off / 32;
            if (quads && local / 4 < quadsPerRow) {
                // quads restart at each row; blocks past a row's last whole quad are read by the scalar path
                int quad = off / cols * quadsPerRow + local / 4;
                int k = local % 4;
                for (int m = 4 * k; m < 4 * k + 4; m++) {
                    q4_0QuadOffsets[16 * quad + m] = -2 * sum;
                    quadScales[16 * quad + m] = scales[b] * 0x1p112f;
                }
            } else if (forQ4_0 && !quads) {
                q4_0Offsets[b] = -24f * sum / L;
            }
            for (int t = 0; nibbleLanes && t < 16 / L; t++) {
                for (int j = 0; j < L; j++) {
                    float lo = quants[32 * b + BlockDots.nibbleElement(t, 0, j)];
                    float hi = quants[32 * b + BlockDots.nibbleElement(t, 1, j)];
                    nibbleOrder[32 * b + 2 * t * L + j] = lo;
                    nibbleOrder[32 * b + (2 * t + 1) * L + j] = hi;
                }
            }
        }
    }

    /**
     * The row's quants widened for {@link KQuantDots#Q6_K}, in {@link KQuantDots#Q4_K}'s lane order ({@link #q4kQuads}
     * at 512 bits, else floats in {@link #kOrder}), as floats in natural order (Q5_K, Q3_K, Q2_K), and sums per 32.
     */
    private void layoutForKQuants(int off) {
        for (int i = off; i < off + cols; i++) {
            wide[i] = quants[i];
        }
        for (int i = off; kValues && i < off + cols; i++) {
            values[i] = quants[i];
        }
        for (int g = off / 32; g < (off + cols) / 32; g++) {
            pairSums[g] = blockSums[2 * g] + blockSums[2 * g + 1];
        }
        if (Simd.SHORT_PRODUCTS) {
            // per 128 elements (sub-blocks s..s+3, two groups of 32 quant bytes): short lane j of a 64-byte
            // weight load holds bytes 2j, 2j+1 of group j/16, whose low nibbles are elements of its first
            // sub-block and high nibbles of its second; run 0 pairs with low of 2j, 1 low of 2j+1, 2 high
            // of 2j, 3 high of 2j+1. Two byte permutes per 128, as for the Q4_0 quads.
            for (int h = off; h < off + cols; h += 128) {
                ByteVector lo = ByteVector.fromArray(ByteVector.SPECIES_512, quants, h);
                ByteVector hi = ByteVector.fromArray(ByteVector.SPECIES_512, quants, h + 64);
                Q4K_RUNS_01.selectFrom(lo, hi).intoArray(q4kQuads, h);
                Q4K_RUNS_23.selectFrom(lo, hi).intoArray(q4kQuads, h + 64);
            }
            return;
        }
        int L = Simd.L;
        for (int g = off; g < off + cols; g += 32) {
            for (int t = 0; t < 32 / L; t++) {
                for (int k = 0; k < L; k++) {
                    kOrder[g + t * L + k] = quants[g + KQuantDots.q4kByte(t, k)];
                }
            }
        }
    }

    /** The 64 bytes of {@code v} widened to shorts into {@code out} from {@code o}. */
    private static void widen(ByteVector v, short[] out, int o) {
        ((ShortVector) v.convertShape(VectorOperators.B2S, ShortVector.SPECIES_512, 0)).intoArray(out, o);
        ((ShortVector) v.convertShape(VectorOperators.B2S, ShortVector.SPECIES_512, 1)).intoArray(out, o + 32);
    }

    private static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n + n / 4];
    }

    private static byte[] grow(byte[] a, int n) {
        return a.length >= n + 64 ? a : new byte[n + n / 4 + 64];
    }

    private static short[] grow(short[] a, int n) {
        return a.length >= n + 64 ? a : new short[n + n / 4 + 64];
    }

    private static int[] grow(int[] a, int n) {
        return a.length >= n ? a : new int[n + n / 4];
    }

    /**
     * Byte {@code p} of a quad's {@link #q4_0Quads} (run {@code e = p/32}, block {@code k = p%32/8},
     * lane pair {@code i = 2·(p%8)}) is quad quant byte {@code 32k + i, +16, +1, +17} for runs 0-3:
     * as indexes into the quad's 128 quant bytes, the first 64 and the last 64 of them.
     */
    private static final ByteVector QUAD_RUNS_01 = Simd.SHORT_PRODUCTS ? runs(0, RoundedRows::quadSource) : null;
    private static final ByteVector QUAD_RUNS_23 = Simd.SHORT_PRODUCTS ? runs(64, RoundedRows::quadSource) : null;

    /**
     * Byte {@code p} of a 128-element run of {@link #q4kQuads} (run {@code e = p/32}, lane {@code j = p%32})
     * is quant {@code 64·(j/16) + 2·(j%16)}, {@code +1}, {@code +32}, {@code +33} for runs 0-3.
     */
    private static final ByteVector Q4K_RUNS_01 = Simd.SHORT_PRODUCTS ? runs(0, RoundedRows::q4kSource) : null;
    private static final ByteVector Q4K_RUNS_23 = Simd.SHORT_PRODUCTS ? runs(64, RoundedRows::q4kSource) : null;

    private static int quadSource(int p) {
        return 32 * (p % 32 / 8) + 2 * (p % 8) + new int[] {0, 16, 1, 17}[p / 32];
    }

    private static int q4kSource(int p) {
        return 64 * (p % 32 / 16) + 2 * (p % 16) + new int[] {0, 1, 32, 33}[p / 32];
    }

    /** Permute indexes for output bytes {@code from..from+63} of 128: each the input byte {@code source} names. */
    private static ByteVector runs(int from, java.util.function.IntUnaryOperator source) {
        return Simd.pairPermute(p -> source.applyAsInt(from + p));
    }
}
