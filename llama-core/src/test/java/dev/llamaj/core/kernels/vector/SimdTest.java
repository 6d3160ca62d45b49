package dev.llamaj.core.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The register width the kernels choose from the CPU's flags. */
class SimdTest {
    private static final String SKYLAKE_SP = " fpu sse2 avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl ";
    private static final String ZEN5 = SKYLAKE_SP + "avx512vbmi avx512_vbmi2 avx512_vnni ";

    @Test
    void keeps512BitsWhereTheCpuHasByteShufflesAcrossTheRegister() {
        assertEquals(FloatVector.SPECIES_512, Simd.species(FloatVector.SPECIES_512, ZEN5));
    }

    @Test
    void dropsTo256BitsOnAvx512WithoutVbmi() {
        assertEquals(FloatVector.SPECIES_256, Simd.species(FloatVector.SPECIES_512, SKYLAKE_SP));
        // avx512_vbmi2 alone is a different extension
        assertEquals(FloatVector.SPECIES_256, Simd.species(FloatVector.SPECIES_512, SKYLAKE_SP + "avx512_vbmi2 "));
    }

    @Test
    void keepsThePreferredWidthWhenFlagsAreUnknownOrNarrower() {
        assertEquals(FloatVector.SPECIES_512, Simd.species(FloatVector.SPECIES_512, null));
        assertEquals(FloatVector.SPECIES_256, Simd.species(FloatVector.SPECIES_256, " avx2 fma "));
    }
}
