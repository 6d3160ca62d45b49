package dev.llamaj.core.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.RandomBlocks;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.core.tensor.TensorFormat;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Matrix products of every format against the reference dequantizers of {@code tensor}, on an
 * odd number of rows, several tokens and two worker threads.
 */
class VectorMatmulTest {
    private static final int ROWS = 37;
    private static final int TOKENS = 5;
    private static VectorKernels kernels;

    @BeforeAll
    static void open() {
        kernels = new VectorKernels(2);
    }

    @AfterAll
    static void close() {
        kernels.close();
    }

    static GgmlType[] formats() {
        return RandomBlocks.SUPPORTED;
    }

    /** Tokens past two vectors of the widest lanes (2 × 16), and not a whole number of blocks. */
    private static final int LONG_BATCH = 37;

    static Stream<Arguments> formatsAndBatches() {
        return Arrays.stream(formats()).flatMap(type -> Stream.of(Arguments.of(type, TOKENS), Arguments.of(type, LONG_BATCH)));
    }

    private static int colsFor(GgmlType type) {
        // two super-blocks for K-quants; an odd number of blocks of 32 otherwise; F32 with a ragged tail
        return type.blockSize() == 256 ? 512 : type == GgmlType.F32 ? 172 : type.blockSize() == 32 ? 96 + 64 : 150;
    }

    /**
     * Against exact float math: the only difference allowed is what rounding the activations
     * costs, bounded per element by half a quantization step (amax/254 for 8-bit blocks, plus
     * the F16 rounding of a Q8_0 scale, 2^-11 relative) or by the F16 (2^-11) / BF16 (2^-8)
     * rounding of x; summed as Σ|w_i|·err_i, plus 1e-5 of Σ|w·x| for float summation order.
     */
    @ParameterizedTest
    @MethodSource("formats")
    void matchesExactMathWithinTheActivationRoundingBound(GgmlType type) {
        int cols = colsFor(type);
        try (Arena arena = Arena.ofShared()) {
            Tensor t = RandomBlocks.matrix(arena, "w", type, ROWS, cols, 11);
            float[] x = RandomBlocks.vector(TOKENS * cols, 5);
            float[] out = multiply(t, x, TOKENS);
            float[] row = new float[cols];
            for (int tok = 0; tok < TOKENS; tok++) {
                double[] err = roundingError(type, x, tok * cols, cols);
                for (int r = 0; r < ROWS; r++) {
                    TensorFormat.of(type).dequantize(t.data(), (long) r * cols, row, 0, cols);
                    double exact = 0;
                    double bound = 0;
                    double magnitude = 0;
                    for (int i = 0; i < cols; i++) {
                        exact += (double) row[i] * x[tok * cols + i];
                        bound += Math.abs(row[i]) * err[i];
                        magnitude += Math.abs((double) row[i] * x[tok * cols + i]);
                    }
                    double got = out[tok * ROWS + r];
                    assertTrue(Math.abs(got - exact) <= bound + 1e-5 * magnitude,
                            type + " row " + r + " token " + tok + ": " + got + " vs " + exact + " (bound " + bound + ")");
                }
            }
        }
    }

    /**
     * Against the same math on the rounded activations (decoded back to floats): this checks the
     * integer dot products and scale handling exactly, up to float summation (1e-5 of Σ|w·x̂|).
     */
    @ParameterizedTest
    @MethodSource("formats")
    void matchesTheRoundedActivationsDotProduct(GgmlType type) {
        int cols = colsFor(type);
        try (Arena arena = Arena.ofShared()) {
            Tensor t = RandomBlocks.matrix(arena, "w", type, ROWS, cols, 12);
            float[] x = RandomBlocks.vector(TOKENS * cols, 6);
            float[] out = multiply(t, x, TOKENS);
            RowDot dot = VectorKernels.dotFor(type);
            RoundedRows rounded = new RoundedRows();
            rounded.prepare(dot.rounding(), TOKENS, cols);
            float[] row = new float[cols];
            for (int tok = 0; tok < TOKENS; tok++) {
                rounded.round(x, tok);
                double[] xr = decoded(rounded, x, tok, cols);
                for (int r = 0; r < ROWS; r++) {
                    TensorFormat.of(type).dequantize(t.data(), (long) r * cols, row, 0, cols);
                    double expected = 0;
                    double magnitude = 0;
                    for (int i = 0; i < cols; i++) {
                        expected += row[i] * xr[i];
                        magnitude += Math.abs(row[i] * xr[i]);
                    }
                    assertEquals(expected, out[tok * ROWS + r], 1e-5 * magnitude + minTermRounding(t, r, rounded, tok),
                            type + " row " + r + " token " + tok);
                }
            }
        }
    }

    /**
     * A batch (the GEMM path: weights decoded to floats, products summed in float) gives each token
     * what a single-token call (integer dot products) gives it, up to float summation order
     * (1e-5 of Σ|w·x|) and, for Q4_1/Q5_1, the F16 rounding of the Q8_1 block sums the
     * single-token path uses (see {@link #minTermRounding}). With {@link #TOKENS} and with
     * {@link #LONG_BATCH} tokens: the GEMMs' register tiles hold two vectors of tokens, and only a
     * batch longer than a vector puts tokens in the second, and more than two in a second block.
     */
    @ParameterizedTest
    @MethodSource("formatsAndBatches")
    void batchAgreesWithOneTokenAtATime(GgmlType type, int tokens) {
        int cols = colsFor(type);
        try (Arena arena = Arena.ofShared()) {
            Tensor t = RandomBlocks.matrix(arena, "w", type, ROWS, cols, 13);
            float[] x = RandomBlocks.vector(tokens * cols, 7);
            float[] batch = multiply(t, x, tokens);
            float[] row = new float[cols];
            RoundedRows rounded = new RoundedRows();
            rounded.prepare(VectorKernels.dotFor(type).rounding(), tokens, cols);
            for (int tok = 0; tok < tokens; tok++) {
                rounded.round(x, tok);
                float[] one = multiply(t, Arrays.copyOfRange(x, tok * cols, (tok + 1) * cols), 1);
                for (int r = 0; r < ROWS; r++) {
                    TensorFormat.of(type).dequantize(t.data(), (long) r * cols, row, 0, cols);
                    double magnitude = 0;
                    for (int i = 0; i < cols; i++) {
                        magnitude += Math.abs((double) row[i] * x[tok * cols + i]);
                    }
                    assertEquals(one[r], batch[tok * ROWS + r], 1e-5 * magnitude + minTermRounding(t, r, rounded, tok),
                            type + " row " + r + " token " + tok);
                }
            }
        }
    }

    /** The vectorized decoders of the prefill path produce the reference's floats exactly. */
    @ParameterizedTest
    @MethodSource("formats")
    void prefillDecoderEqualsTheReference(GgmlType type) {
        int cols = 512;
        try (Arena arena = Arena.ofShared()) {
            Tensor t = RandomBlocks.matrix(arena, "w", type, 3, cols, 14);
            float[] expected = new float[2 * cols];
            float[] got = new float[2 * cols];
            TensorFormat.of(type).dequantize(t.data(), cols, expected, 0, 2 * cols);
            Dequant.rows(type, t.data(), cols, 2 * cols, got);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, got, type.toString());
        }
    }

    @Test
    void rejectsMismatchedShapesAndUnsupportedTypes() {
        try (Arena arena = Arena.ofShared()) {
            Tensor t = RandomBlocks.matrix(arena, "w", GgmlType.Q8_0, 4, 64, 1);
            Weights w = kernels.weights(t);
            assertThrows(IllegalArgumentException.class, () -> kernels.matmul(kernels.activations(1, 4), w,
                    kernels.activations(1, 32), 1));
            assertThrows(IndexOutOfBoundsException.class, () -> kernels.matmul(kernels.activations(1, 4), w,
                    kernels.activations(1, 64), 2));
            Tensor iq = new Tensor("iq", GgmlType.IQ4_NL, new long[] {32, 1}, arena.allocate(18));
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> kernels.matmul(kernels.activations(1, 1), kernels.weights(iq), kernels.activations(1, 32), 1));
            assertTrue(e.getMessage().contains("IQ4_NL"));
        }
    }

    /**
     * The same product, bit for bit, before and after C2 compiles the kernels: the interpreter and
     * C1 run the Vector API as plain Java, and C2 once summed a vector's lanes
     * ({@code reduceLanes}) in another order than that Java does, so logits changed in the last
     * bits once a process had warmed up. One token (the dot kernels) and a batch (the GEMMs).
     */
    @ParameterizedTest
    @MethodSource("formats")
    void sameResultsBeforeAndAfterTheKernelsAreCompiled(GgmlType type) {
        int cols = colsFor(type);
        try (Arena arena = Arena.ofShared()) {
            Tensor t = RandomBlocks.matrix(arena, "w", type, ROWS, cols, 19);
            float[] x = RandomBlocks.vector(TOKENS * cols, 23);
            float[] cold = multiply(t, x, 1);
            float[] coldBatch = multiply(t, x, TOKENS);
            float[] hot = cold;
            float[] hotBatch = coldBatch;
            for (int i = 0; i < WARM_UP_CALLS; i++) {
                hot = multiply(t, x, 1);
                hotBatch = multiply(t, x, TOKENS);
            }
            for (int r = 0; r < ROWS; r++) {
                assertEquals(Float.floatToRawIntBits(cold[r]), Float.floatToRawIntBits(hot[r]), type + " row " + r);
            }
            for (int i = 0; i < TOKENS * ROWS; i++) {
                assertEquals(Float.floatToRawIntBits(coldBatch[i]), Float.floatToRawIntBits(hotBatch[i]), type + " batch element " + i);
            }
        }
    }

    /** Enough products for C2 to compile the kernels (it does after a few thousand calls of a method). */
    private static final int WARM_UP_CALLS = 3000;

    private static float[] multiply(Tensor t, float[] x, int n) {
        int cols = t.rowLength();
        Activations in = kernels.activations(n, cols);
        Activations out = kernels.activations(n, t.rows());
        float[] row = new float[cols];
        for (int i = 0; i < n; i++) {
            System.arraycopy(x, i * cols, row, 0, cols);
            in.write(i, row);
        }
        kernels.matmul(out, kernels.weights(t), in, n);
        float[] result = new float[n * t.rows()];
        float[] o = new float[t.rows()];
        for (int i = 0; i < n; i++) {
            out.read(i, o);
            System.arraycopy(o, 0, result, i * t.rows(), t.rows());
        }
        return result;
    }

    private static double[] roundingError(GgmlType type, float[] x, int off, int n) {
        double[] err = new double[n];
        int block = switch (type) {
            case F32, F16, BF16 -> 1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> 256;
            default -> 32;
        };
        for (int b = 0; b < n; b += block) {
            double amax = 0;
            for (int i = b; i < b + block; i++) {
                amax = Math.max(amax, Math.abs(x[off + i]));
            }
            for (int i = b; i < b + block; i++) {
                double ax = Math.abs(x[off + i]);
                err[i] = switch (type) {
                    case F32 -> 0;
                    case F16 -> ax * 0x1p-11;
                    case BF16 -> ax * 0x1p-8;
                    case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> amax / 254 * 1.0001;
                    default -> amax / 254 * 1.0001 + (ax + amax / 254) * 0x1p-11;
                };
            }
        }
        return err;
    }

    /**
     * Q4_1/Q5_1 take their minimum's share from the Q8_1 block sum {@code s = F16(d·Σq)}, as
     * llama.cpp does, not from the decoded activations: allow that F16 rounding, 2^-11 of |m·s|.
     */
    private static double minTermRounding(Tensor t, int row, RoundedRows x, int tok) {
        if (x.rounding != Rounding.Q8_1) {
            return 0;
        }
        int nb = t.rowLength() / 32;
        double allowed = 0;
        for (int b = 0; b < nb; b++) {
            long at = t.rowBytes() * row + (long) t.type().blockBytes() * b + 2;
            float m = Float.float16ToFloat(t.data().get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, at));
            allowed += Math.abs(m * x.sums[tok * nb + b]) * 0x1p-11;
        }
        return allowed;
    }

    private static double[] decoded(RoundedRows r, float[] raw, int tok, int cols) {
        double[] v = new double[cols];
        for (int i = 0; i < cols; i++) {
            int e = tok * cols + i;
            v[i] = switch (r.rounding) {
                case NONE -> raw[e];
                case F16, BF16 -> r.floats[e];
                case Q8_0, Q8_1 -> (double) r.quants[e] * r.scales[e / 32];
                case Q8_K -> (double) r.quants[e] * r.scales[e / 256];
            };
        }
        return v;
    }

    /**
     * The integer dots at the largest sums their formats allow: every weight quant and scale at the
     * end of its range with the sign that makes all products agree ({@code q - 8 = -8} for Q4_0,
     * {@code -128} for Q8_0, {@code q = 15} with scales and minimums 63 for Q4_K, {@code q - 32 = -32}
     * with scales -128 for Q6_K), against activations that all round to the extreme quant,
     * {@code -127} (Q8_0 and Q8_K alike map the largest magnitude to 127, so none is ever -128).
     * The 16-bit lane sums then reach their stated bounds
     * (Q8_0's pair of products 2·128·127 = 32512) and the float lanes theirs (Q6_K's 8·8128·128 &lt; 2^24):
     * a sum that wrapped, or a float lane that rounded, is off by far more than the float
     * summation's few ulps (1e-6 relative; every product has one sign, so nothing cancels).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(names = {"Q4_0", "Q8_0", "Q4_K", "Q6_K"})
    void integerDotsAreExactAtTheirLargestSums(GgmlType type) {
        int cols = 1024;
        int rows = 2;
        TensorFormat format = TensorFormat.of(type);
        try (Arena arena = Arena.ofShared()) {
            long rowBytes = (long) cols / type.blockSize() * type.blockBytes();
            byte[] block = new byte[type.blockBytes()];
            short one = Float.floatToFloat16(1f);
            switch (type) {
                case Q4_0 -> put16(block, 0, one); // quants 0: q - 8 = -8
                case Q8_0 -> {
                    put16(block, 0, one);
                    Arrays.fill(block, 2, 34, (byte) -128);
                }
                case Q4_K -> {
                    put16(block, 0, one);
                    put16(block, 2, one);
                    Arrays.fill(block, 4, 144, (byte) 0xFF); // scales, minimums 63; quants 15
                }
                case Q6_K -> {
                    Arrays.fill(block, 192, 208, (byte) -128); // quants 0: q - 32 = -32
                    put16(block, 208, one);
                }
                default -> throw new IllegalArgumentException(type.toString());
            }
            java.lang.foreign.MemorySegment w = repeated(arena, block, rows * cols / type.blockSize());
            float[] x = new float[cols];
            Arrays.fill(x, -1f);
            RowDot dot = VectorKernels.dotFor(type);
            RoundedRows rounded = new RoundedRows();
            rounded.prepare(dot.rounding(), 1, cols);
            rounded.round(x, 0);
            double[] xr = decoded(rounded, x, 0, cols);
            assertEquals(-127, rounded.quants[0], "the activations' quant");
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                format.dequantize(w, (long) r * cols, row, 0, cols);
                double expected = 0;
                for (int i = 0; i < cols; i++) {
                    expected += row[i] * xr[i];
                }
                float got = dot.dot(w, r * rowBytes, rounded, x, 0);
                assertEquals(expected, got, 1e-6 * Math.abs(expected), type + " row " + r);
            }
        }
    }

    /**
     * The 4-bit batch kernel ({@link NibbleGemm}) at its largest 16-bit lane sums, against activations
     * that all round to {@code -127}: Q4_0 with every quant 0 ({@code q - 8 = -8}), so each lane
     * adds 16·8·127 = 16256 and a lane pair 32512; Q4_K with every quant 15 and every scale and
     * minimum 63, so each lane adds 16·15·127 = 30480 and a lane pair 60960, past 16 bits: the
     * pair must be summed in int lanes. A wrapped sum is off by about 65536 products; the float
     * sums are allowed the few ulps of their order (1e-6 relative: every product has one sign, and
     * Q4_K's minimum terms take 63 of every 945 away). Ten rows: two 4-row tiles and two single
     * rows; five tokens.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(names = {"Q4_0", "Q4_K"})
    void nibbleBatchSumsAreExactAtTheirLargest(GgmlType type) {
        int cols = 1024;
        int rows = 10;
        TensorFormat format = TensorFormat.of(type);
        try (Arena arena = Arena.ofShared()) {
            byte[] block = new byte[type.blockBytes()];
            put16(block, 0, Float.floatToFloat16(1f)); // scale 1 (Q4_0: quants 0)
            if (type == GgmlType.Q4_K) {
                put16(block, 2, Float.floatToFloat16(1f));
                Arrays.fill(block, 4, 144, (byte) 0xFF); // scales, minimums 63; quants 15
            }
            java.lang.foreign.MemorySegment w = repeated(arena, block, rows * cols / type.blockSize());
            Tensor t = new Tensor("w", type, new long[] {cols, rows}, w);
            float[] x = new float[TOKENS * cols];
            Arrays.fill(x, -1f);
            float[] got = multiply(t, x, TOKENS);
            RoundedRows rounded = new RoundedRows();
            rounded.prepare(VectorKernels.dotFor(type).rounding(), TOKENS, cols);
            float[] row = new float[cols];
            for (int tok = 0; tok < TOKENS; tok++) {
                rounded.round(x, tok);
                double[] xr = decoded(rounded, x, tok, cols);
                assertEquals(-127, rounded.quants[tok * cols], "the activations' quant");
                for (int r = 0; r < rows; r++) {
                    format.dequantize(w, (long) r * cols, row, 0, cols);
                    double expected = 0;
                    for (int i = 0; i < cols; i++) {
                        expected += row[i] * xr[i];
                    }
                    assertEquals(expected, got[tok * rows + r], 1e-6 * Math.abs(expected), "row " + r + " token " + tok);
                }
            }
        }
    }

    /** {@code count} copies of {@code block}, end to end, in memory of {@code arena}. */
    private static java.lang.foreign.MemorySegment repeated(Arena arena, byte[] block, int count) {
        java.lang.foreign.MemorySegment w = arena.allocate((long) block.length * count, 64);
        for (int b = 0; b < count; b++) {
            java.lang.foreign.MemorySegment.copy(block, 0, w, java.lang.foreign.ValueLayout.JAVA_BYTE, (long) b * block.length,
                    block.length);
        }
        return w;
    }

    private static void put16(byte[] block, int at, short v) {
        block[at] = (byte) v;
        block[at + 1] = (byte) (v >> 8);
    }

    /**
     * F16 and BF16 rows longer than one conversion pass ({@link FloatDots#PASS}), with a ragged tail
     * and (F16) subnormal weights, give bit for bit what one loop over the whole row gives: the same
     * two accumulators over steps of 2L, each weight read exactly ({@link Float#float16ToFloat}, {@link Simd#bf16At}).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void sixteenBitRowsLongerThanAConversionPassSumAsOneLoopDoes(boolean bf16) {
        int cols = 2 * FloatDots.PASS + 3 * Simd.L + 5;
        java.util.Random random = new java.util.Random(21);
        try (Arena arena = Arena.ofShared()) {
            java.lang.foreign.MemorySegment w = arena.allocate(2L * cols * 3, 64);
            for (int i = 0; i < cols * 3; i++) {
                // spread 0.02, as a layer's weights: about 0.2% fall below 2^-14, subnormal in F16
                float v = (float) random.nextGaussian() * 0.02f;
                w.set(Simd.SHORT, 2L * i, bf16 ? dev.llamaj.core.tensor.BF16.fromFloat(v) : Float.floatToFloat16(v));
            }
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = (float) random.nextGaussian();
            }
            RoundedRows rounded = new RoundedRows();
            rounded.prepare(bf16 ? Rounding.BF16 : Rounding.F16, 1, cols);
            rounded.round(x, 0);
            for (int r = 0; r < 3; r++) {
                long off = 2L * cols * r;
                float[] wr = new float[cols];
                for (int i = 0; i < cols; i++) {
                    wr[i] = bf16 ? Simd.bf16At(w, off + 2L * i) : Simd.f16At(w, off + 2L * i);
                }
                jdk.incubator.vector.FloatVector a0 = jdk.incubator.vector.FloatVector.zero(Simd.F);
                jdk.incubator.vector.FloatVector a1 = jdk.incubator.vector.FloatVector.zero(Simd.F);
                int i = 0;
                for (; i + 2 * Simd.L <= cols; i += 2 * Simd.L) {
                    a0 = jdk.incubator.vector.FloatVector.fromArray(Simd.F, wr, i)
                            .fma(jdk.incubator.vector.FloatVector.fromArray(Simd.F, rounded.floats, i), a0);
                    a1 = jdk.incubator.vector.FloatVector.fromArray(Simd.F, wr, i + Simd.L)
                            .fma(jdk.incubator.vector.FloatVector.fromArray(Simd.F, rounded.floats, i + Simd.L), a1);
                }
                float[] lanes = a0.add(a1).toArray();
                float expected = tree(lanes, 0, lanes.length);
                for (; i < cols; i++) {
                    expected += wr[i] * rounded.floats[i];
                }
                RowDot dot = bf16 ? FloatDots.BF16 : FloatDots.F16;
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(dot.dot(w, off, rounded, x, 0)),
                        (bf16 ? "BF16" : "F16") + " row " + r + ": " + expected + " vs " + dot.dot(w, off, rounded, x, 0));
            }
        }
    }

    /** The kernels' lane sum: lane i plus lane i + half, down to one (Simd's pairwise tree). */
    private static float tree(float[] v, int from, int n) {
        float[] a = Arrays.copyOfRange(v, from, from + n);
        for (int half = n / 2; half >= 1; half /= 2) {
            for (int k = 0; k < half; k++) {
                a[k] += a[k + half];
            }
        }
        return a[0];
    }
}
