package dev.llamaj.core.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.RandomBlocks;
import dev.llamaj.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A token's matrix-vector product reads a thread's rows one after another ({@link RowDot#dot}), or
 * four runs side by side ({@link RowDot#dot4}: by default Q4_0's, Q8_0's and F16's, and BF16's
 * on Intel cores; any format's with {@code -Dllamaj.decode.runs=4}), and the one-row
 * dots of Q4_0, Q8_0, Q4_K, Q6_K and F16 are kernels of their own. Each row must still get, bit for bit,
 * what its own dot gives: the four-row forms add every row's terms in its one-row order, so any
 * difference is a defect, not rounding. Rows have tails past the last whole quad or super-block
 * where the format has them, and the scratch starts dirty.
 */
class RowDotTest {
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

    private static int colsFor(GgmlType type) {
        // three K-quant super-blocks; 13 blocks of 32 (three quads and a tail block); a ragged float row
        return type.blockSize() == 256 ? 768 : type.blockSize() == 32 ? 13 * 32 : 172 + 2 * Simd.L;
    }

    @ParameterizedTest
    @MethodSource("formats")
    void fourRowsSideBySideGetTheirOwnDotsBitForBit(GgmlType type) {
        int cols = colsFor(type);
        int rows = 13;
        try (Arena arena = Arena.ofShared()) {
            Tensor t = RandomBlocks.matrix(arena, "w", type, rows, cols, 21);
            RowDot dot = VectorKernels.dotFor(type);
            float[] raw = RandomBlocks.vector(2 * cols, 22);
            RoundedRows x = new RoundedRows();
            x.prepare(dot.rounding(), 2, cols);
            x.round(raw, 0);
            x.round(raw, 1);
            long rowBytes = t.rowBytes();
            for (int tok = 0; tok < 2; tok++) {
                float[] out = new float[rows];
                float[] scratch = new float[RoundedRows.DOT_SCRATCH];
                Arrays.fill(scratch, Float.NaN);
                // rows 1, 4, 7 and 10
                dot.dot4(t.data(), rowBytes, 3 * rowBytes, x, raw, tok, out, 1, 3, scratch);
                for (int k = 0; k < 4; k++) {
                    int r = 1 + 3 * k;
                    float one = dot.dot(t.data(), r * rowBytes, x, raw, tok);
                    assertEquals(Float.floatToRawIntBits(one), Float.floatToRawIntBits(out[r]),
                            type + " row " + r + " token " + tok + ": " + out[r] + " vs " + one);
                }
            }
        }
    }

    /**
     * Through the kernels: one token against two weights at once, of 37 and 6 rows (so neither
     * splits into four equal runs, and a worker's share can span both), on two threads.
     */
    @ParameterizedTest
    @MethodSource("formats")
    void aTokensProductGivesEveryRowItsOwnDot(GgmlType type) {
        int cols = colsFor(type);
        int[] rowCounts = {37, 6};
        try (Arena arena = Arena.ofShared()) {
            Tensor[] ts = new Tensor[rowCounts.length];
            Activations[] outs = new Activations[rowCounts.length];
            for (int j = 0; j < ts.length; j++) {
                ts[j] = RandomBlocks.matrix(arena, "w" + j, type, rowCounts[j], cols, 31 + j);
                outs[j] = kernels.activations(1, rowCounts[j]);
            }
            float[] raw = RandomBlocks.vector(cols, 33);
            Activations in = kernels.activations(1, cols);
            in.write(0, raw);
            kernels.matmul(List.of(outs), Arrays.stream(ts).map(kernels::weights).toList(), in, 1);
            RowDot dot = VectorKernels.dotFor(type);
            RoundedRows x = new RoundedRows();
            x.prepare(dot.rounding(), 1, cols);
            x.round(raw, 0);
            for (int j = 0; j < ts.length; j++) {
                float[] got = new float[rowCounts[j]];
                outs[j].read(0, got);
                for (int r = 0; r < rowCounts[j]; r++) {
                    float one = dot.dot(ts[j].data(), r * ts[j].rowBytes(), x, raw, 0);
                    assertEquals(Float.floatToRawIntBits(one), Float.floatToRawIntBits(got[r]),
                            type + " weight " + j + " row " + r + ": " + got[r] + " vs " + one);
                }
            }
        }
    }

    /**
     * Rows of 2 KB or more read one byte {@link Simd#READ_AHEAD} past each block: at the end of the
     * tensor that read must stay inside it (there the row takes the loop without it), and neither
     * loop may change a sum.
     */
    @ParameterizedTest
    @MethodSource("readAheadFormats")
    void longRowsReadAheadInsideTheirTensorAndKeepTheirSums(GgmlType type) {
        int cols = 4096;
        int rows = 5;
        try (Arena arena = Arena.ofShared()) {
            Tensor t = RandomBlocks.matrix(arena, "w", type, rows, cols, 31);
            assertTrue(t.rowBytes() >= 2048, t.rowBytes() + " bytes a row");
            RowDot dot = VectorKernels.dotFor(type);
            float[] raw = RandomBlocks.vector(cols, 32);
            RoundedRows x = new RoundedRows();
            x.prepare(dot.rounding(), 1, cols);
            x.round(raw, 0);
            float[] out = new float[rows];
            dot.dot4(t.data(), 0, t.rowBytes(), x, raw, 0, out, 0, 1, new float[RoundedRows.DOT_SCRATCH]);
            for (int r = 0; r < 4; r++) {
                float one = dot.dot(t.data(), r * t.rowBytes(), x, raw, 0);
                assertEquals(Float.floatToRawIntBits(out[r]), Float.floatToRawIntBits(one), type + " row " + r);
            }
            // the last row's reads ahead would reach past the tensor's end: it takes the loop without them,
            // and keeps the sum the four-row form (no read ahead) gives it
            float last = dot.dot(t.data(), 4 * t.rowBytes(), x, raw, 0);
            dot.dot4(t.data(), t.rowBytes(), t.rowBytes(), x, raw, 0, out, 0, 1, new float[RoundedRows.DOT_SCRATCH]);
            assertEquals(Float.floatToRawIntBits(out[3]), Float.floatToRawIntBits(last), type + " last row: " + last + " vs " + out[3]);
        }
    }

    static GgmlType[] readAheadFormats() {
        return new GgmlType[] {GgmlType.Q4_0, GgmlType.Q8_0};
    }

    /**
     * Both ways of an F16 row ({@link FloatDots#F16_ONE_PASS}), and four rows side by side in one pass
     * ({@link FloatDots#f16Runs}, whichever way this CPU takes by default), give the same bits, and the float
     * products of the F16 values, with subnormal, zero and signed weights among normal ones (the one
     * pass reads subnormals as subnormal floats, the conversion as normal ones).
     */
    @Test
    void f16RowsInOnePassAndConvertedAgreeBitForBitSubnormalsIncluded() {
        int cols = 5 * 2048 / 4 + 2 * Simd.L + 3; // more than one conversion pass, a ragged tail
        int rows = 4;
        java.util.Random random = new java.util.Random(41);
        try (Arena arena = Arena.ofShared()) {
            java.lang.foreign.MemorySegment w = arena.allocate(2L * rows * cols, 64);
            int subnormals = 0;
            for (int i = 0; i < rows * cols; i++) {
                short h = Float.floatToFloat16((float) (random.nextGaussian() * 0.02));
                if (i % 7 == 3) {
                    h = (short) ((random.nextBoolean() ? 0x8000 : 0) | (1 + random.nextInt(0x3FF)));
                } else if (i % 97 == 5) {
                    h = (short) (random.nextBoolean() ? 0x8000 : 0);
                }
                subnormals += (h & 0x7C00) == 0 && (h & 0x3FF) != 0 ? 1 : 0;
                w.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, h);
            }
            assertTrue(subnormals > rows * cols / 8, subnormals + " subnormal weights");
            float[] raw = RandomBlocks.vector(2 * cols, 42);
            RoundedRows x = new RoundedRows();
            x.prepare(Rounding.F16, 2, cols);
            x.round(raw, 0);
            x.round(raw, 1);
            for (int tok = 0; tok < 2; tok++) {
                float[] runs = new float[2 * rows];
                Arrays.fill(runs, Float.NaN);
                // the four rows side by side in one pass, written to every other slot
                FloatDots.f16Runs(w, 0, 2L * cols, x, tok, runs, 1, 2);
                for (int r = 0; r < rows; r++) {
                    long off = 2L * r * cols;
                    float onePass = FloatDots.f16Row(w, off, x, tok);
                    assertEquals(Float.floatToRawIntBits(onePass), Float.floatToRawIntBits(runs[1 + 2 * r]),
                            "four runs, row " + r + " token " + tok + ": " + runs[1 + 2 * r] + " vs " + onePass);
                    assertTrue(Float.isNaN(runs[2 * r]), "slot " + 2 * r + " left alone");
                    float converted = FloatDots.converted(w, off, x, tok, false);
                    assertEquals(Float.floatToRawIntBits(converted), Float.floatToRawIntBits(onePass),
                            "row " + r + " token " + tok + ": " + onePass + " vs " + converted);
                    double expected = 0;
                    double magnitude = 0;
                    for (int i = 0; i < cols; i++) {
                        double p = (double) Float.float16ToFloat(w.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, off + 2L * i))
                                * x.floats[tok * cols + i];
                        expected += p;
                        magnitude += Math.abs(p);
                    }
                    // each float product is exact (F16 x F16); each lane's chain of cols/(2L) additions, then
                    // the lane tree and the tail, round by at most 2^-24 of the running magnitude a step
                    double bound = (cols / (2.0 * Simd.L) + 8) * 0x1p-24 * magnitude;
                    assertEquals(expected, converted, bound, "row " + r + " token " + tok);
                }
            }
        }
    }
}
