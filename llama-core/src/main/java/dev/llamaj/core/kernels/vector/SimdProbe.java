package dev.llamaj.core.kernels.vector;

import jdk.incubator.vector.FloatVector;

/** Says whether the Vector API maps to real SIMD registers here. Loaded only by reflection. */
final class SimdProbe {
    private SimdProbe() {
    }

    /** Null when usable, else what is wrong and how to fix it. */
    public static String problem() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits < 256) {
            return "the CPU's preferred vector width is " + bits + " bits; the vector kernels need 256 (AVX2) or "
                    + "more, use --kernels scalar";
        }
        return null;
    }

    public static String describe() {
        String d = Simd.F.vectorBitSize() + "-bit SIMD, " + Simd.F.length() + " float lanes";
        if (Simd.narrowedForByteShuffles()) {
            d += " (512-bit registers, but no AVX512_VBMI byte permutes: the 512-bit kernels would run boxed)";
        }
        // the one-pass F16 dot is the faster where it is not off (FloatDots.F16_ONE_PASS): say when it is, and how to turn it on
        return FloatDots.F16_ONE_PASS ? d
                : d + "; F16 rows converted before their products (subnormal weights slow Intel cores' one pass; "
                        + "-D" + VectorTuning.F16_ONE_PASS_PROPERTY + "=true for it)";
    }
}
