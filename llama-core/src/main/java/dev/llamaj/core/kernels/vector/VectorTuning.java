package dev.llamaj.core.kernels.vector;

/**
 * The vector provider's tuning properties and their parsers, in a class of their own that needs
 * no Vector API: {@link VectorKernelProvider#availability} checks them before loading any kernel,
 * so a bad value is reported as itself, not as a failed class initialization.
 */
final class VectorTuning {
    private VectorTuning() {
    }

    /** System property: how decode reads a thread's rows, 1 or 4; absent, by format ({@link VectorKernels#DECODE_RUNS}). */
    static final String DECODE_RUNS_PROPERTY = "llamaj.decode.runs";
    /** System property: {@code true} or {@code false} overrides {@link FloatDots#F16_ONE_PASS}'s choice by CPU vendor. */
    static final String F16_ONE_PASS_PROPERTY = "llamaj.f16.onePass";

    /** {@link VectorKernels#DECODE_RUNS} from the system property's value: 0 (by format) when absent. */
    static int decodeRuns(String v) {
        if (v == null) {
            return 0;
        }
        return switch (v) {
            case "1" -> 1;
            case "4" -> 4;
            default -> throw new IllegalArgumentException(DECODE_RUNS_PROPERTY + " is " + v + ": expected 1 or 4");
        };
    }

    /** {@link FloatDots#F16_ONE_PASS} from the system property's value (null: by vendor) and {@code /proc/cpuinfo}'s {@code vendor_id}. */
    static boolean f16OnePass(String property, String vendor) {
        if (property == null) {
            return !"GenuineIntel".equals(vendor);
        }
        return switch (property) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(F16_ONE_PASS_PROPERTY + " is " + property + ": expected true or false");
        };
    }

    /** Null when every tuning property is absent or valid, else what is wrong with the first bad one. */
    static String problem() {
        try {
            decodeRuns(System.getProperty(DECODE_RUNS_PROPERTY));
            f16OnePass(System.getProperty(F16_ONE_PASS_PROPERTY), null);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
