package dev.llamaj.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.Kernels;
import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;
import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every operation of the cuda kernels against {@link ReferenceMath} (double-precision
 * definitions). Needs a GPU: skipped, with the provider's reason, where there is none.
 *
 * <p>Tolerances: the device sums in float, in another order than the reference; the error of
 * such a sum is bounded by about n·ε·Σ|terms| and is typically √n·ε·Σ|terms| (ε = 6e-8; n up to
 * 1024 here: ~2e-6). Sums are checked to 1e-5·Σ|terms|, element-wise ops to a few ulps, and
 * transcendental ones (exp, the F16 cache) to what their rounding allows, stated at each.
 */
@ExtendWith(RequiresGpu.class)
class CudaConformanceTest {
    private static Kernels kernels;

    @BeforeAll
    static void open() {
        if (new CudaKernelProvider().availability().available()) {
            kernels = new CudaKernelProvider().open(new KernelOptions(1));
        }
    }

    @AfterAll
    static void close() {
        if (kernels != null) {
            kernels.close();
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void matmulMatchesTheReferenceForDecodeAndPrefillBatches(GgmlType type) {
        Random rnd = new Random(type.ordinal());
        int rows = 96; // not a multiple of the 64-row tiles
        for (int cols : type.blockSize() == 1 ? new int[] {1024, 172} : new int[] {1024}) { // 172: rows not of 32s
            matmulCase(type, rows, cols, rnd);
        }
    }

    private static void matmulCase(GgmlType type, int rows, int cols, Random rnd) {
        Tensor t = ReferenceMath.randomTensor("w", type, rows, cols, rnd);
        for (int n : new int[] {1, 3, 17, 40}) { // 1 and 3: matvec path; 17, 40: tiles, 40 spans two token tiles
            try (Weights w = kernels.weights(t); Activations x = kernels.activations(n, cols);
                 Activations out = kernels.activations(n, rows)) {
                float[][] xs = new float[n][];
                for (int i = 0; i < n; i++) {
                    xs[i] = ReferenceMath.gaussian(cols, rnd);
                    x.write(i, xs[i]);
                }
                kernels.matmul(out, w, x, n);
                float[] got = new float[rows];
                for (int i = 0; i < n; i++) {
                    out.read(i, got);
                    double[][] ref = ReferenceMath.matvec(t, xs[i]);
                    for (int r = 0; r < rows; r++) {
                        assertThat((double) got[r]).as("%s n=%d token %d row %d", type, n, i, r)
                                .isCloseTo(ref[0][r], org.assertj.core.data.Offset.offset(1e-5 * ref[1][r] + 1e-6));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void embedDequantizesTheTokensRowsExactly(GgmlType type) {
        Random rnd = new Random(100 + type.ordinal());
        int cols = type.blockSize() == 1 ? 500 : 512; // plain rows need not be whole 32-element chunks
        Tensor t = ReferenceMath.randomTensor("tok", type, 40, cols, rnd);
        int[] tokens = {39, 0, 7, 7, 21};
        try (Weights w = kernels.weights(t); Activations out = kernels.activations(tokens.length, cols)) {
            kernels.embed(out, w, tokens);
            float[] got = new float[cols];
            for (int i = 0; i < tokens.length; i++) {
                out.read(i, got);
                float[] want = ReferenceMath.row(t, tokens[i]);
                float maxAbs = 1;
                for (float v : want) {
                    maxAbs = Math.max(maxAbs, Math.abs(v));
                }
                // the same roundings, except that the device may fuse the K-quants' d·sc·q − dmin·m
                // into one FMA: its intermediates stay below the row's largest |value| + dmin·m, so
                // a couple of their ulps, 2^-20 of the row's largest |value|, bound the difference
                for (int c = 0; c < cols; c++) {
                    assertThat(got[c]).as("%s token %d col %d", type, i, c)
                            .isCloseTo(want[c], org.assertj.core.data.Offset.offset(0x1p-20f * maxAbs));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void rmsNormInPlaceMatchesTheDefinition(GgmlType type) {
        Random rnd = new Random(7);
        int cols = 288;
        Tensor wt = ReferenceMath.randomTensor("norm", type, 1, cols, rnd);
        try (Weights w = kernels.weights(wt); Activations x = kernels.activations(3, cols)) {
            float[][] xs = new float[3][];
            for (int i = 0; i < 3; i++) {
                xs[i] = ReferenceMath.gaussian(cols, rnd);
                x.write(i, xs[i]);
            }
            kernels.rmsNorm(x, x, w, 1e-5f, 3);
            float[] got = new float[cols];
            for (int i = 0; i < 3; i++) {
                x.read(i, got);
                assertClose(got, ReferenceMath.rmsNorm(xs[i], ReferenceMath.row(wt, 0), 1e-5f), 1e-5f, "rmsNorm row " + i);
            }
        }
    }

    @Test
    void ropeRotatesAdjacentPairsByPositionDependentAngles() {
        Random rnd = new Random(11);
        int heads = 4;
        int headDim = 64;
        for (int ropeDim : new int[] {64, 32}) {
            try (Activations x = kernels.activations(3, heads * headDim)) {
                float[][] xs = new float[3][];
                for (int i = 0; i < 3; i++) {
                    xs[i] = ReferenceMath.gaussian(heads * headDim, rnd);
                    x.write(i, xs[i]);
                }
                int startPos = 4090; // large angles: the device computes them in double
                kernels.rope(x, heads, headDim, ropeDim, 10000f, startPos, 3);
                float[] got = new float[heads * headDim];
                for (int i = 0; i < 3; i++) {
                    x.read(i, got);
                    float[] want = ReferenceMath.rope(xs[i], heads, headDim, ropeDim, 10000f, startPos + i);
                    assertClose(got, want, 1e-5f, "rope ropeDim " + ropeDim + " row " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(KvCacheType.class)
    void attentionWithGroupedHeadsOverPrefillThenDecode(KvCacheType cacheType) {
        Random rnd = new Random(cacheType.ordinal() + 3);
        int heads = 8;
        int kvHeads = 2;
        int headDim = 64;
        int prefill = 150; // spans two 128-position tiles
        int total = prefill + 1;
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        float[][] q = new float[total][];
        float[][] k = new float[total][];
        float[][] v = new float[total][];
        for (int p = 0; p < total; p++) {
            q[p] = ReferenceMath.gaussian(qDim, rnd);
            k[p] = ReferenceMath.gaussian(kvDim, rnd);
            v[p] = ReferenceMath.gaussian(kvDim, rnd);
        }
        try (KvCache cache = kernels.kvCache(2, 256, kvDim, cacheType);
             Activations qa = kernels.activations(prefill, qDim); Activations ka = kernels.activations(prefill, kvDim);
             Activations va = kernels.activations(prefill, kvDim); Activations out = kernels.activations(prefill, qDim)) {
            for (int p = 0; p < prefill; p++) {
                qa.write(p, q[p]);
                ka.write(p, k[p]);
                va.write(p, v[p]);
            }
            kernels.attention(out, qa, ka, va, cache, 1, 0, prefill, heads, kvHeads);
            float[][] keys = cached(k, cacheType);
            float[][] values = cached(v, cacheType);
            float[] got = new float[qDim];
            for (int p : new int[] {0, 1, 127, 128, 149}) {
                out.read(p, got);
                assertClose(got, ReferenceMath.attention(q[p], keys, values, p + 1, heads, kvHeads), 2e-5f, "prefill row " + p);
            }
            // decode one more position, reading the cache written by the prefill
            qa.write(0, q[prefill]);
            ka.write(0, k[prefill]);
            va.write(0, v[prefill]);
            kernels.attention(out, qa, ka, va, cache, 1, prefill, 1, heads, kvHeads);
            out.read(0, got);
            assertClose(got, ReferenceMath.attention(q[prefill], keys, values, total, heads, kvHeads), 2e-5f, "decode");
        }
    }

    private static float[][] cached(float[][] rows, KvCacheType type) {
        float[][] out = new float[rows.length][];
        for (int p = 0; p < rows.length; p++) {
            out[p] = rows[p].clone();
            if (type == KvCacheType.F16) {
                for (int i = 0; i < out[p].length; i++) {
                    out[p][i] = ReferenceMath.roundToF16(out[p][i]);
                }
            }
        }
        return out;
    }

    @Test
    void swigluAddSoftmaxAndCopyRowsAreElementWiseDefinitions() {
        Random rnd = new Random(5);
        int cols = 300;
        try (Activations a = kernels.activations(2, cols); Activations b = kernels.activations(2, cols);
             Activations c = kernels.activations(4, cols)) {
            float[] x = ReferenceMath.gaussian(cols, rnd);
            float[] y = ReferenceMath.gaussian(cols, rnd);
            a.write(1, x);
            b.write(1, y);
            kernels.copyRows(c, 2, a, 1, 1);
            kernels.swiglu(a, b, 2);
            kernels.add(b, a, 2);
            kernels.softmax(b, 2);
            float[] got = new float[cols];
            c.read(2, got);
            assertThat(got).as("copyRows copies exactly").containsExactly(x);
            float[] gated = new float[cols];
            float[] summed = new float[cols];
            for (int i = 0; i < cols; i++) {
                gated[i] = ReferenceMath.silu(x[i]) * y[i];
                summed[i] = y[i] + gated[i];
            }
            a.read(1, got);
            assertClose(got, gated, 1e-6f, "swiglu");
            b.read(1, got);
            assertClose(got, ReferenceMath.softmax(summed), 1e-6f, "add then softmax");
            b.read(0, got);
            assertClose(got, ReferenceMath.softmax(new float[cols]), 1e-7f, "softmax of a zero row is uniform");
        }
    }

    @Test
    void tooLargeAnAllocationSaysHowMuchIsNeededAndFree() {
        assertThatThrownBy(() -> kernels.activations(1 << 30, 1 << 12))
                .isInstanceOf(DeviceMemoryException.class)
                .hasMessageContaining("needs 16777216 MiB")
                .hasMessageContaining("MiB free of");
    }

    @Test
    void activationsOfOtherKernelsAreRejected() {
        try (Kernels other = new CudaKernelProvider().open(new KernelOptions(1));
             Activations mine = kernels.activations(1, 32); Activations theirs = other.activations(1, 32)) {
            assertThatThrownBy(() -> kernels.add(mine, theirs, 1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not made by these cuda kernels");
        }
    }

    private static void assertClose(float[] got, float[] want, float tolerance, String what) {
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).as("%s [%d]", what, i)
                    .isCloseTo(want[i], org.assertj.core.data.Offset.offset(tolerance * Math.max(1f, Math.abs(want[i]))));
        }
    }
}
