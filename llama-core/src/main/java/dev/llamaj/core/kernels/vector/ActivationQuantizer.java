package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.L;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rounds float activations the way llama.cpp's x86 CPU code does before its dot products, so
 * that our results match its numerics, not just the exact math:
 * <ul>
 *   <li>Q8_0 / Q8_1 (blocks of 32): {@code d = amax/127}, stored as F16; quants
 *       {@code round-half-even(x · 127/amax)}; Q8_1 also keeps {@code s = F16(d · Σq)};</li>
 *   <li>Q8_K (blocks of 256): {@code max} = the element of largest magnitude (sign kept),
 *       {@code iscale = -127/max}, quants {@code min(127, round-half-even(iscale · x))},
 *       {@code d = 1/iscale} as a float, and the sums of each 16 quants;</li>
 *   <li>F16 and BF16: each value rounded to nearest even in that format.</li>
 * </ul>
 * The Q8 roundings run in vector registers (they run on the calling thread alone before each
 * decode matmul, while the other threads wait) and give exactly what the scalar
 * {@code ...Reference} versions give: maxima and integer sums do not depend on lane order, and
 * adding and subtracting {@link #ROUNDER} rounds half to even as {@link Math#rint} does.
 */
final class ActivationQuantizer {
    private ActivationQuantizer() {
    }

    /**
     * Quantizes {@code x[xOff .. xOff+n)} to Q8_0 blocks: quants to {@code q[qOff..]}, scales to
     * {@code d[dOff..]} (already rounded through F16), and when {@code s} is not null the Q8_1
     * sums to {@code s[dOff..]}.
     */
    static void q8_0(float[] x, int xOff, int n, byte[] q, int qOff, float[] d, int dOff, float[] s) {
        for (int b = 0; b < n / 32; b++) {
            int base = xOff + 32 * b;
            float amax = maxMagnitude(x, base, 32);
            float scale = amax / 127f;
            float inv = amax != 0 ? 127f / amax : 0f;
            int sum = roundInto(x, base, 32, inv, q, qOff + 32 * b);
            d[dOff + b] = roundF16(scale);
            if (s != null) {
                s[dOff + b] = roundF16(scale * sum);
            }
        }
    }

    /** {@link #q8_0} one element at a time: the reference the vector version is tested against. */
    static void q8_0Reference(float[] x, int xOff, int n, byte[] q, int qOff, float[] d, int dOff, float[] s) {
        for (int b = 0; b < n / 32; b++) {
            int base = xOff + 32 * b;
            float amax = 0;
            for (int i = 0; i < 32; i++) {
                amax = Math.max(amax, Math.abs(x[base + i]));
            }
            float scale = amax / 127f;
            float inv = amax != 0 ? 127f / amax : 0f;
            int sum = 0;
            int qb = qOff + 32 * b;
            for (int i = 0; i < 32; i++) {
                int v = (int) Math.rint(x[base + i] * inv);
                q[qb + i] = (byte) v;
                sum += v;
            }
            d[dOff + b] = roundF16(scale);
            if (s != null) {
                s[dOff + b] = roundF16(scale * sum);
            }
        }
    }

    /** Quantizes {@code x[xOff .. xOff+n)} to Q8_K blocks of 256: quants, float scales, sums per 16. */
    static void q8_K(float[] x, int xOff, int n, byte[] q, int qOff, float[] d, int dOff, int[] bsums, int bOff) {
        for (int b = 0; b < n / 256; b++) {
            int base = xOff + 256 * b;
            int qb = qOff + 256 * b;
            float amax = maxMagnitude(x, base, 256);
            // the first element of that magnitude, its sign kept, as the reference's strict > picks it
            int first = -1;
            for (int i = 0; i < 256 && amax != 0; i += L) {
                VectorMask<Float> hit = FloatVector.fromArray(F, x, base + i).abs().eq(amax);
                if (hit.anyTrue()) {
                    first = i + hit.firstTrue();
                    break;
                }
            }
            if (first < 0) {
                // all zeros, or a NaN (which the vector maximum keeps and the reference skips)
                q8_KReference(x, base, 256, q, qb, d, dOff + b, bsums, bOff + 16 * b);
                continue;
            }
            float iscale = -127f / x[base + first];
            for (int j = 0; j < 16; j++) {
                bsums[bOff + 16 * b + j] = roundInto(x, base + 16 * j, 16, iscale, q, qb + 16 * j);
            }
            d[dOff + b] = 1 / iscale;
        }
    }

    /** The largest |x| of {@code x[from .. from+n)} ({@code n} a multiple of {@link Simd#L}); NaN if there is one. */
    private static float maxMagnitude(float[] x, int from, int n) {
        FloatVector m = FloatVector.fromArray(F, x, from).abs();
        for (int i = L; i < n; i += L) {
            m = m.max(FloatVector.fromArray(F, x, from + i).abs());
        }
        return m.reduceLanes(VectorOperators.MAX);
    }

    /**
     * Quants {@code min(127, round-half-even(x·scale))} of {@code x[from .. from+n)} into {@code q[qAt..]}, returning
     * their sum. (Q8_0's are at most 127 anyway: its scale maps the largest magnitude to 127.) Only an int crosses
     * the call, so an out-of-line call would box nothing.
     */
    private static int roundInto(float[] x, int from, int n, float scale, byte[] q, int qAt) {
        IntVector sums = IntVector.zero(I);
        for (int i = 0; i < n; i += L) {
            IntVector v = ((IntVector) FloatVector.fromArray(F, x, from + i).mul(scale).add(ROUNDER).sub(ROUNDER)
                    .convert(VectorOperators.F2I, 0)).min(127);
            ((ByteVector) v.convertShape(VectorOperators.I2B, QB, 0)).intoArray(q, qAt + i);
            sums = sums.add(v);
        }
        return sums.reduceLanes(VectorOperators.ADD);
    }

    /** {@link #q8_K} one element at a time: the reference the vector version is tested against. */
    static void q8_KReference(float[] x, int xOff, int n, byte[] q, int qOff, float[] d, int dOff, int[] bsums, int bOff) {
        for (int b = 0; b < n / 256; b++) {
            int base = xOff + 256 * b;
            int qb = qOff + 256 * b;
            float max = 0;
            float amax = 0;
            for (int i = 0; i < 256; i++) {
                float ax = Math.abs(x[base + i]);
                if (ax > amax) {
                    amax = ax;
                    max = x[base + i];
                }
            }
            if (amax == 0) {
                java.util.Arrays.fill(q, qb, qb + 256, (byte) 0);
                java.util.Arrays.fill(bsums, bOff + 16 * b, bOff + 16 * b + 16, 0);
                d[dOff + b] = 0;
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < 16; j++) {
                int sum = 0;
                for (int i = 16 * j; i < 16 * j + 16; i++) {
                    int v = Math.min(127, (int) Math.rint(iscale * x[base + i]));
                    q[qb + i] = (byte) v;
                    sum += v;
                }
                bsums[bOff + 16 * b + j] = sum;
            }
            d[dOff + b] = 1 / iscale;
        }
    }

    /**
     * 1.5·2^23: a float of magnitude below 2^22 plus this lands where the float spacing is 1, so the
     * sum is rounded to an integer, half to even; subtracting it back is exact.
     */
    private static final float ROUNDER = 0x1.8p23f;
    private static final VectorSpecies<Integer> I = Simd.I;
    /** Bytes, as many as {@link Simd#F} has lanes. */
    private static final VectorSpecies<Byte> QB = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));

    /** Copies {@code x[off..off+n)} to {@code out[off..]} rounded to F16 and back. */
    static void roundF16(float[] x, int off, int n, float[] out) {
        for (int i = off; i < off + n; i++) {
            out[i] = roundF16(x[i]);
        }
    }

    /** Copies {@code x[off..off+n)} to {@code out[off..]} rounded to BF16 (nearest even) and back. */
    static void roundBF16(float[] x, int off, int n, float[] out) {
        for (int i = off; i < off + n; i++) {
            out[i] = roundBF16(x[i]);
        }
    }

    static float roundF16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    static float roundBF16(float v) {
        if (Float.isNaN(v)) {
            return v;
        }
        int bits = Float.floatToRawIntBits(v);
        bits = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
        return Float.intBitsToFloat(bits);
    }
}
