package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.L;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The softmax of attention scores, in vector lanes: a token of a long prompt takes one
 * exponential per cached position and head, and in a 1800-token TinyLlama prefill the stub where
 * {@code Math.exp} runs, one score at a time, took 7% of the time (perf).
 *
 * <p>{@link #exp} is written here from plain lane arithmetic, not the Vector API's {@code EXP}:
 * that one may return different last bits compiled (a vendor math library) than interpreted, so
 * the same prompt could give different logits before and after the JIT has warmed up. These
 * operations are exact IEEE arithmetic in both.
 */
final class Softmax {
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 in two parts (Cody and Waite): the high one has 9 significant bits, so {@code k·LN2_HI} is exact for |k| ≤ 126. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Adding and subtracting 1.5·2^23 rounds a float of magnitude under 2^22 to the nearest integer. */
    private static final float ROUND = 0x1.8p23f;
    /**
     * ln(2^-126): below it exp(x) is under the smallest normal float and is returned as 0. Such a
     * weight is under 2^-126 of the largest one (which is 1 before normalizing), far below what a
     * float sum of them can hold, and a subnormal operand costs Intel cores a microcode assist
     * per multiply-add.
     */
    static final float EXP_MIN = -87.33654f;

    private static final FloatVector ZERO = FloatVector.zero(F);

    private Softmax() {
    }

    /**
     * e^x, lane by lane, for x ≤ 0 (attention scores less their maximum; -∞ gives 0): within 2 ulp
     * of the exact value for x ≥ {@link #EXP_MIN}, 0 below it. x = k·ln 2 + r with k an integer and
     * |r| ≤ ln 2 / 2, then e^r by its Taylor series to r^7 (the first term left out is under 3e-9
     * of the result) and 2^k put into the exponent bits.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_MIN);
        FloatVector k = xc.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(1f / 5040, 1f / 720);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        FloatVector twoToK = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        return p.mul(twoToK).blend(0f, x.compare(VectorOperators.LT, EXP_MIN));
    }

    /**
     * Replaces the scores {@code s[off .. off+len)} by their softmax, each weight rounded to F16
     * when {@code f16} (an F16 cache's values are multiplied by F16 weights, as llama.cpp's matrix
     * product with F16 operands does), and zeroes {@code s[off+len .. off+end)}.
     * The maximum is subtracted first, the exponentials are summed in double (as llama.cpp does),
     * in lanes, added up in lane order.
     */
    static void weights(float[] s, int off, int len, int end, boolean f16) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int p = 0;
        for (; p + L <= len; p += L) {
            m = m.max(FloatVector.fromArray(F, s, off + p));
        }
        if (p < len) {
            VectorMask<Float> in = F.indexInRange(p, len);
            m = m.max(FloatVector.fromArray(F, s, off + p, in).blend(Float.NEGATIVE_INFINITY, in.not()));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        DoubleVector sum0 = DoubleVector.zero(D);
        DoubleVector sum1 = sum0;
        // one loop, the last vector masked, so that exp appears once: with a second copy for the tail,
        // C2 passed its inlining budget and left the tail's exp and subtraction as calls that box
        // their vectors (JFR: 43 of 62 MB allocated in a TinyLlama decode)
        VectorMask<Float> all = F.maskAll(true);
        for (p = 0; p < len; p += L) {
            VectorMask<Float> in = p + L <= len ? all : F.indexInRange(p, len);
            FloatVector e = ZERO.blend(exp(FloatVector.fromArray(F, s, off + p, in).sub(max)), in);
            e.intoArray(s, off + p, in);
            sum0 = sum0.add(e.convertShape(VectorOperators.F2D, D, 0));
            sum1 = sum1.add(e.convertShape(VectorOperators.F2D, D, 1));
        }
        sum0 = sum0.add(sum1);
        double sum = 0;
        for (int i = 0; i < D.length(); i++) {
            sum += sum0.lane(i);
        }
        float inv = (float) (1.0 / sum);
        if (f16) {
            for (p = 0; p < len; p++) {
                s[off + p] = ActivationQuantizer.roundF16(s[off + p] * inv);
            }
        } else {
            for (p = 0; p < len; p++) {
                s[off + p] = s[off + p] * inv;
            }
        }
        for (p = len; p < end; p++) {
            s[off + p] = 0;
        }
    }
}
