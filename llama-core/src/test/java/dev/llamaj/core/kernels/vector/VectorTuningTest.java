package dev.llamaj.core.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamaj.core.kernels.Availability;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.RandomBlocks;
import org.junit.jupiter.api.Test;

/** The vector provider's tuning properties: their values, and how a bad one is reported. */
class VectorTuningTest {
    @Test
    void decodeRunsTakesOneOrFourAndNamesThePropertyOtherwise() {
        assertEquals(0, VectorTuning.decodeRuns(null));
        assertEquals(1, VectorTuning.decodeRuns("1"));
        assertEquals(4, VectorTuning.decodeRuns("4"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorTuning.decodeRuns("2"));
        assertTrue(e.getMessage().contains("llamaj.decode.runs") && e.getMessage().contains("1 or 4"), e.getMessage());
    }

    @Test
    void f16OnePassIsOffOnIntelByDefaultAndTakesTrueOrFalse() {
        assertFalse(VectorTuning.f16OnePass(null, "GenuineIntel"));
        assertTrue(VectorTuning.f16OnePass(null, "AuthenticAMD"));
        assertTrue(VectorTuning.f16OnePass(null, null));
        assertTrue(VectorTuning.f16OnePass("true", "GenuineIntel"));
        assertFalse(VectorTuning.f16OnePass("false", "AuthenticAMD"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorTuning.f16OnePass("yes", null));
        assertTrue(e.getMessage().contains("llamaj.f16.onePass") && e.getMessage().contains("true or false"), e.getMessage());
    }

    /**
     * Unset, {@code llamaj.decode.runs} leaves the choice to each format: four runs side by side
     * for Q4_0 and Q8_0 with 512-bit registers (their dots keep four sums in registers), for F16
     * either way it is read (in one pass, {@link FloatDots#f16Runs}, or converted first), and for
     * BF16 on Intel cores; one row after another elsewhere.
     */
    @Test
    void withoutThePropertyEachFormatChoosesHowItsRowsAreRead() {
        boolean intel = "GenuineIntel".equals(Simd.cpuVendor());
        for (GgmlType type : RandomBlocks.SUPPORTED) {
            RowDot dot = VectorKernels.dotFor(type);
            boolean expected = switch (type) {
                case Q4_0, Q8_0 -> Simd.SHORT_PRODUCTS;
                case F16 -> true;
                case BF16 -> intel;
                default -> false;
            };
            assertEquals(expected, dot.runsSideBySide(), type.toString());
            assertEquals(Simd.SHORT_PRODUCTS && (type == GgmlType.Q4_0 || type == GgmlType.Q8_0), dot instanceof FourRunDot,
                    type.toString());
        }
    }

    /**
     * A bad value makes the provider unavailable with the property's own message, checked before
     * any kernel class loads: before, {@code llamaj.f16.onePass=maybe} read as "the Vector API could
     * not be used (ExceptionInInitializerError): run java with --add-modules", and a bad
     * {@code llamaj.decode.runs} crashed {@code llama bench} with a stack trace.
     */
    @Test
    void aBadTuningPropertyMakesTheProviderUnavailableNamingIt() {
        String[][] cases = {
            {VectorTuning.F16_ONE_PASS_PROPERTY, "maybe", "llamaj.f16.onePass is maybe: expected true or false"},
            {VectorTuning.DECODE_RUNS_PROPERTY, "3", "llamaj.decode.runs is 3: expected 1 or 4"},
        };
        assertNull(VectorTuning.problem());
        for (String[] c : cases) {
            String before = System.getProperty(c[0]);
            System.setProperty(c[0], c[1]);
            try {
                Availability a = new VectorKernelProvider().availability();
                assertFalse(a.available(), c[0]);
                assertEquals(c[2], a.reason());
            } finally {
                if (before == null) {
                    System.clearProperty(c[0]);
                } else {
                    System.setProperty(c[0], before);
                }
            }
        }
        assertNull(VectorTuning.problem());
    }
}
