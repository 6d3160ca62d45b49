package dev.llamaj.core.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** {@link Softmax}: its exp against {@code Math.exp}, and the weights it leaves. */
class SoftmaxTest {
    /**
     * Floats from {@link Softmax#EXP_MIN} to 0 (every 997th of the 1.1 billion, all exponents):
     * within 2 ulp of the correctly rounded e^x (Taylor truncation under 3e-9 relative, plus the
     * rounding of 8 multiply-adds and the reduction). Below EXP_MIN, and at -∞, 0.
     */
    @Test
    void expIsWithinTwoUlpAndFlushesBelowTheNormals() {
        int lanes = Simd.L;
        float[] x = new float[lanes];
        float[] y = new float[lanes];
        double worst = 0;
        int from = Float.floatToRawIntBits(-0.0f);
        int to = Float.floatToRawIntBits(Softmax.EXP_MIN);
        for (int bits = from; bits <= to; bits += 997 * lanes) {
            for (int i = 0; i < lanes; i++) {
                x[i] = Float.intBitsToFloat(Math.min(bits + 997 * i, to));
            }
            Softmax.exp(FloatVector.fromArray(Simd.F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < lanes; i++) {
                float exact = (float) Math.exp(x[i]);
                double ulps = Math.abs(y[i] - exact) / Math.ulp(exact);
                worst = Math.max(worst, ulps);
                assertTrue(ulps <= 2, "exp(" + x[i] + ") = " + y[i] + ", correctly rounded " + exact);
            }
        }
        System.out.println("Softmax.exp: largest error " + worst + " ulp");
        float[] below = {Math.nextDown(Softmax.EXP_MIN), -100f, -1e30f, Float.NEGATIVE_INFINITY};
        for (float b : below) {
            assertEquals(0f, Softmax.exp(FloatVector.broadcast(Simd.F, b)).lane(0), "exp(" + b + ")");
        }
        assertEquals(1f, Softmax.exp(FloatVector.zero(Simd.F)).lane(0));
    }

    /** Weights are the softmax of the scores, rounded to F16 when asked, and the rest of the row up to its end is zeroed. */
    @Test
    void weightsAreASoftmaxAndZeroPastTheLength() {
        int len = 3 * Simd.L + 5;
        float[] s = new float[len + 2 * Simd.L + 4];
        java.util.Arrays.fill(s, 42f);
        double[] exact = new double[len];
        double sum = 0;
        for (int p = 0; p < len; p++) {
            s[p + 3] = (float) Math.sin(p) * 4;
            exact[p] = Math.exp(s[p + 3]);
            sum += exact[p];
        }
        for (boolean f16 : new boolean[] {false, true}) {
            float[] w = s.clone();
            Softmax.weights(w, 3, len, len + 2 * Simd.L, f16);
            assertEquals(42f, w[0], "before the row");
            for (int p = 0; p < len; p++) {
                double want = exact[p] / sum;
                // float error a few ulp (2^-20); F16 rounding half its ulp: 2^-11 relative, 2^-25 absolute under 2^-14
                double bound = want * 0x1p-20 + (f16 ? Math.max(want * 0x1p-11, 0x1p-25) : 0);
                assertEquals(want, w[p + 3], bound, "weight " + p + (f16 ? " (F16)" : ""));
                if (f16) {
                    assertEquals(w[p + 3], Float.float16ToFloat(Float.floatToFloat16(w[p + 3])), "an F16 value");
                }
            }
            for (int p = len; p < len + 2 * Simd.L; p++) {
                assertEquals(0f, w[p + 3], "past the length: " + p);
            }
            assertEquals(42f, w[len + 2 * Simd.L + 3], "after the end");
        }
    }
}
