package dev.llamaj.core.tensor;

import dev.llamaj.core.gguf.GgufFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamaj.testdata.SharedData;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks every format's block layout against files we did not write: the shared gqa256 goldens
 * are one synthetic model quantized from the same F32 weights (synth_gguf.py draws each tensor
 * from a seed and its name, whatever the output type), so dequantizing a quantized copy must
 * give the F32 copy back within the format's quantization error.
 *
 * <p>The error is measured per position inside the block (all blocks of all tensors of a type
 * pooled), so a mistake confined to one nibble, one sub-block scale or one high bit shows up
 * at that position. Bound: a b-bit code spans a block's range (about ±2.5σ for these Gaussian
 * blocks) in 2^b steps, so rounding noise has RMS ≈ 5σ·2^-b/√12 ≈ 0.72·2^-(b-1)σ; we allow
 * 2^-(b-1)·σ (relative RMS), 1.4× the expected noise. A layout error mixes unrelated values,
 * whose relative RMS error is about 1 or more: far above every bound (Q2_K's is 0.5).
 */
class GoldenWeightsTest {
    private static final Map<GgmlType, Integer> BITS = Map.of(GgmlType.Q8_0, 8, GgmlType.Q4_0, 4, GgmlType.Q4_1, 4,
            GgmlType.Q5_0, 5, GgmlType.Q5_1, 5, GgmlType.Q2_K, 2, GgmlType.Q3_K, 3, GgmlType.Q4_K, 4,
            GgmlType.Q5_K, 5, GgmlType.Q6_K, 6);

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q4_K_M"})
    void quantizedCopyDequantizesToTheF32Weights(String file) throws IOException {
        try (GgufFile reference = GgufFile.open(SharedData.file("models/golden/gqa256-F32.gguf"));
             GgufFile quantized = GgufFile.open(SharedData.file("models/golden/gqa256-" + file + ".gguf"))) {
            Map<GgmlType, double[][]> errors = new TreeMap<>();
            for (Tensor q : quantized.tensors().stream().map(quantized::tensor).toList()) {
                Tensor f = reference.requireTensor(q.name());
                assertEquals(f.elementCount(), q.elementCount(), q.name());
                if (q.type() == GgmlType.F32) {
                    continue;
                }
                accumulate(errors.computeIfAbsent(q.type(), t -> new double[2][t.blockSize()]), f, q);
            }
            assertTrue(!errors.isEmpty(), "no quantized tensors in " + file);
            errors.forEach((type, e) -> assertWithinBound(file, type, e));
        }
    }

    /**
     * Our k-quant quantizers make the synth tool's choices, so quantizing the F32 model must
     * reproduce the quantized files byte for byte (files llama.cpp accepted and ran).
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q4_K_M"})
    void kQuantizersReproduceTheSynthToolsBytes(String file) throws IOException {
        try (GgufFile reference = GgufFile.open(SharedData.file("models/golden/gqa256-F32.gguf"));
             GgufFile quantized = GgufFile.open(SharedData.file("models/golden/gqa256-" + file + ".gguf"));
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            int checked = 0;
            for (Tensor q : quantized.tensors().stream().map(quantized::tensor).toList()) {
                if (q.type().blockSize() != 256) {
                    continue;
                }
                Tensor f = reference.requireTensor(q.name());
                int cols = q.rowLength();
                float[] row = new float[cols];
                java.lang.foreign.MemorySegment ours = arena.allocate(q.rowBytes());
                Quantizer quantizer = (Quantizer) TensorFormat.of(q.type());
                for (int r = 0; r < q.rows(); r++) {
                    F32.INSTANCE.dequantize(f.data(), (long) r * cols, row, 0, cols);
                    quantizer.quantize(row, 0, ours, 0, cols);
                    long mismatch = ours.mismatch(q.data().asSlice(r * q.rowBytes(), q.rowBytes()));
                    int rowIndex = r;
                    assertEquals(-1, mismatch, () -> q.name() + " " + q.type() + " row " + rowIndex + ": first differing byte "
                            + mismatch + " (block " + mismatch / q.type().blockBytes() + ", offset "
                            + mismatch % q.type().blockBytes() + ")");
                }
                checked++;
            }
            assertTrue(checked > 0, "no k-quant tensors in " + file);
        }
    }

    private static void accumulate(double[][] e, Tensor f32, Tensor q) {
        int cols = q.rowLength();
        float[] expected = new float[cols];
        float[] actual = new float[cols];
        TensorFormat format = TensorFormat.of(q.type());
        int bs = q.type().blockSize();
        for (int r = 0; r < q.rows(); r++) {
            long first = (long) r * cols;
            F32.INSTANCE.dequantize(f32.data(), first, expected, 0, cols);
            format.dequantize(q.data(), first, actual, 0, cols);
            for (int i = 0; i < cols; i++) {
                double d = actual[i] - expected[i];
                e[0][i % bs] += d * d;
                e[1][i % bs] += (double) expected[i] * expected[i];
            }
        }
    }

    private static void assertWithinBound(String file, GgmlType type, double[][] e) {
        double bound = Math.pow(2, -(BITS.get(type) - 1));
        for (int p = 0; p < e[0].length; p++) {
            double rel = Math.sqrt(e[0][p] / e[1][p]);
            int position = p;
            assertTrue(rel <= bound, () -> file + ": " + type + " block position " + position
                    + " has relative RMS error " + rel + " > " + bound);
        }
    }

    /**
     * F16 and BF16 copies of stories260K against its F32 original: each value is the F32 one
     * rounded to nearest, so the error is at most half an ulp of the narrow format: 2^-11
     * relative for F16 (plus 2^-25 absolute for its subnormals), 2^-8 relative for BF16.
     */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16"})
    void halfPrecisionCopiesRoundTheF32Weights(String file) throws IOException {
        double relative = file.equals("F16") ? 0x1p-11 : 0x1p-8;
        double absolute = file.equals("F16") ? 0x1p-25 : 0;
        try (GgufFile reference = GgufFile.open(SharedData.file("models/stories260K/stories260K.gguf"));
             GgufFile copy = GgufFile.open(SharedData.file("models/golden/stories260K-" + file + ".gguf"))) {
            int checked = 0;
            for (Tensor t : copy.tensors().stream().map(copy::tensor).toList()) {
                if (t.type() == GgmlType.F32) {
                    continue;
                }
                assertEquals(GgmlType.valueOf(file), t.type(), t.name());
                Tensor f = reference.requireTensor(t.name());
                float[] expected = new float[t.rowLength()];
                float[] actual = new float[t.rowLength()];
                for (int r = 0; r < t.rows(); r++) {
                    long first = (long) r * t.rowLength();
                    F32.INSTANCE.dequantize(f.data(), first, expected, 0, expected.length);
                    TensorFormat.of(t.type()).dequantize(t.data(), first, actual, 0, actual.length);
                    for (int i = 0; i < actual.length; i++) {
                        double limit = Math.abs(expected[i]) * relative + absolute;
                        assertTrue(Math.abs(actual[i] - expected[i]) <= limit,
                                t.name() + " row " + r + " col " + i + ": " + actual[i] + " vs " + expected[i]);
                    }
                }
                checked++;
            }
            assertTrue(checked > 0, "no " + file + " tensors found");
        }
    }
}
