package dev.llamaj.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The contract every format keeps: dot agrees with dequantize, ranges are block-aligned. */
class TensorFormatTest {
    static GgmlType[] supported() {
        return RandomBlocks.SUPPORTED;
    }

    /**
     * dot over a row in the middle of a matrix equals the double sum of the dequantized row
     * times x. Both sides use the same decoded floats and double sums; only the final float
     * rounding (and summation order) may differ, so 1e-6 relative to Σ|w·x| is generous.
     */
    @ParameterizedTest
    @MethodSource("supported")
    void dotMatchesDequantizedRow(GgmlType type) {
        int cols = 2 * 256;
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = RandomBlocks.matrix(arena, "w", type, 3, cols, 42);
            float[] x = RandomBlocks.vector(cols + 5, 7);
            float[] row = new float[cols + 3];
            TensorFormat format = TensorFormat.of(type);
            for (int r = 0; r < 3; r++) {
                format.dequantize(t.data(), (long) r * cols, row, 3, cols);
                double expected = 0;
                double magnitude = 0;
                for (int i = 0; i < cols; i++) {
                    assertTrue(Float.isFinite(row[3 + i]));
                    expected += (double) row[3 + i] * x[5 + i];
                    magnitude += Math.abs((double) row[3 + i] * x[5 + i]);
                }
                float actual = format.dot(t.data(), (long) r * cols, x, 5, cols);
                assertEquals(expected, actual, 1e-6 * magnitude, type + " row " + r);
                assertTrue(magnitude > 0, "random blocks must not be all zero");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("supported")
    void rangesMustBeWholeBlocks(GgmlType type) {
        if (type.blockSize() == 1) {
            assertThrows(IllegalArgumentException.class,
                    () -> TensorFormat.of(type).dot(java.lang.foreign.MemorySegment.ofArray(new byte[8]), -1, new float[4], 0, 1));
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = RandomBlocks.matrix(arena, "w", type, 2, 256, 1);
            float[] x = new float[512];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TensorFormat.of(type).dot(t.data(), 1, x, 0, type.blockSize()));
            assertTrue(e.getMessage().contains(type.toString()) && e.getMessage().contains("multiples"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> TensorFormat.of(type).dequantize(t.data(), 0, x, 0, type.blockSize() - 1));
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_1", "Q8_K", "IQ2_XXS", "IQ4_NL", "I32", "F64"})
    void typesWeCannotComputeWithAreRejected(GgmlType type) {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> TensorFormat.of(type));
        assertTrue(e.getMessage().contains(type.toString()));
    }

    @ParameterizedTest
    @MethodSource("supported")
    void formatReportsItsType(GgmlType type) {
        assertEquals(type, TensorFormat.of(type).type());
    }
}
