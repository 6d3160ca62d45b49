package dev.llamaj.core.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The register width the kernels choose from the CPU's flags, and the F16 reads. */
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

    /**
     * Every finite F16 bit pattern, subnormals included, read by {@link Simd#f16Row} gives
     * {@link Float#float16ToFloat}'s float bit for bit.
     */
    @Test
    void f16RowReadsEveryFiniteF16AsTheJdkConvertsIt() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = arena.allocate(2 * 65536);
            for (int h = 0; h < 65536; h++) {
                all.setAtIndex(Simd.SHORT, h, (short) h);
            }
            float[] lanes = new float[Simd.L];
            int checked = 0;
            for (int h = 0; h < 65536; h += Simd.L) {
                Simd.f16Row(all, 2L * h, lanes, 0, Simd.L);
                for (int j = 0; j < Simd.L; j++) {
                    int bits = h + j;
                    float expected = Float.float16ToFloat((short) bits);
                    float got = lanes[j];
                    if (Float.isFinite(expected)) {
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got),
                                () -> "F16 bits " + Integer.toHexString(bits) + " read as " + got + ", not " + expected);
                        checked++;
                    }
                }
            }
            // 2 × 31 exponents × 1024 mantissas: everything but infinities and NaNs
            assertEquals(63488, checked);
        }
    }
}
