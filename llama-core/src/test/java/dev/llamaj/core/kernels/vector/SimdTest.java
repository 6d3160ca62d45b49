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
    /**
     * The scalar lane sums the four-row dots finish with must give, bit for bit, what the kernels'
     * vector lane tree gives: random vectors of mixed magnitudes, where a different order of the
     * adds changes the last bits of most sums.
     */
    @Test
    void laneSumsAddInTheVectorTreesOrder() {
        java.util.Random random = new java.util.Random(5);
        float[] a = new float[Simd.L];
        for (int trial = 0; trial < 10_000; trial++) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
            }
            FloatVector acc = FloatVector.fromArray(Simd.F, a, 0);
            acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
            FloatVector eight = acc;
            acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
            assertEquals(Float.floatToRawIntBits(acc.lane(0) + acc.lane(1)), Float.floatToRawIntBits(Simd.laneSum(a, 0)));
            // the last two levels alone, on 8 lanes (the Q4_K minimums)
            float[] e = new float[8];
            eight.intoArray(e, 0);
            FloatVector m = FloatVector.fromArray(FloatVector.SPECIES_256, e, 0);
            m = (FloatVector) m.add(m.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            m = m.add(m.rearrange(Simd.XOR_2_OF_4));
            assertEquals(Float.floatToRawIntBits(m.lane(0) + m.lane(1)), Float.floatToRawIntBits(Simd.laneSum8(e, 0)));
        }
    }

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
