package dev.llamaj.core.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.RandomBlocks;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.core.tensor.TensorFormat;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every available provider that {@link ServiceLoader} finds, compared operation by operation
 * with {@code scalar} (the exact-math reference) on seeded random inputs, every weight format,
 * odd sizes, batches of 1 and 5, and fewer KV heads than heads. Rows past {@code n} must stay
 * untouched. Each tolerance is derived in {@link Bounds} from what a correct fast kernel may
 * legitimately do differently (other summation orders, activations rounded the way llama.cpp
 * rounds them); none is a fitted constant.
 *
 * <p>When only {@code scalar} is available the parameterized tests run zero times; then
 * {@link #providersUnderTest} still reports what was found and why the others were skipped.
 */
class KernelConformanceTest {
    private static final int THREADS = 3; // odd, so a provider's work splitting meets uneven shares
    private static final int[] ROWS = {1, 3, 7, 27}; // 27: a prefill group of two panels, then one of a panel and 3 rows (Q4_0: 3 panels, 3 rows)
    private static final int[] BATCH = {1, 5, 37}; // 37: more than one packed token block, the last one partial

    /** A provider under test, named for the test report. */
    record Candidate(KernelProvider provider) {
        @Override
        public String toString() {
            return provider.name();
        }
    }

    static List<KernelProvider> all() {
        List<KernelProvider> found = new ArrayList<>();
        ServiceLoader.load(KernelProvider.class).forEach(found::add);
        return found;
    }

    static Stream<Candidate> providers() {
        return all().stream().filter(p -> !p.name().equals("scalar") && p.availability().available()).map(Candidate::new);
    }

    static Stream<Arguments> providersAndFormats() {
        return providers().flatMap(c -> Stream.of(RandomBlocks.SUPPORTED).map(t -> Arguments.of(c, t)));
    }

    private static Kernels reference() {
        KernelProvider scalar = all().stream().filter(p -> p.name().equals("scalar")).findFirst().orElseThrow();
        return scalar.open(new KernelOptions(1));
    }

    @Test
    void providersUnderTest(TestReporter report) {
        List<KernelProvider> found = all();
        KernelProvider scalar = found.stream().filter(p -> p.name().equals("scalar")).findFirst().orElse(null);
        assertTrue(scalar != null, "ServiceLoader must find the scalar provider");
        assertTrue(scalar.availability().available(), "scalar must always be available");
        for (KernelProvider p : found) {
            Availability a = p.availability();
            String role = p == scalar ? "reference" : a.available() ? "compared with scalar" : "skipped (unavailable)";
            report.publishEntry("provider " + p.name(), "rank " + p.rank() + ", " + role + ": " + a.reason());
        }
        List<String> compared = providers().map(Candidate::toString).toList();
        String summary = compared.isEmpty() ? "none: only scalar is available, the comparisons ran zero times"
                : String.join(", ", compared);
        report.publishEntry("compared with scalar", summary);
        System.out.println("KernelConformanceTest compares with scalar: " + summary);
    }

    /**
     * The matmul bound must admit what llama.cpp does: round x to 8-bit blocks (f16 scale for
     * 32-blocks, float for Q8_K's 256) before the dot. Checked here on the reference itself, so
     * the bound is known not to be too tight even before a quantizing provider exists.
     */
    @Test
    void matmulBoundAdmitsLlamaCppActivationRounding() {
        try (Arena arena = Arena.ofConfined()) {
            for (GgmlType type : RandomBlocks.SUPPORTED) {
                int cols = colsFor(type)[1];
                Tensor t = RandomBlocks.matrix(arena, "w", type, 7, cols, 77);
                float[][] w = dequantize(t);
                float[] x = RandomBlocks.vector(cols, 78);
                float[] rounded = roundLikeLlamaCpp(type, x);
                for (int r = 0; r < 7; r++) {
                    double exact = 0;
                    double fast = 0;
                    double products = 0;
                    for (int j = 0; j < cols; j++) {
                        exact += (double) w[r][j] * x[j];
                        fast += (double) w[r][j] * rounded[j];
                        products += Math.abs((double) w[r][j] * x[j]);
                    }
                    double bound = Bounds.dot(type, w[r], x);
                    assertTrue(Math.abs(exact - fast) <= bound, type + " row " + r + ": " + Math.abs(exact - fast) + " > " + bound);
                    // and it stays small: half a step of a block's largest |x| (about 3σ/254 against a mean |x|
                    // of 0.8σ) is about 1.5% of Σ|w·x|; an indexing bug moves the result by a sizeable part of it
                    assertTrue(bound <= 0.03 * products, type + ": bound " + bound + " exceeds 3% of Σ|w·x| = " + products);
                }
            }
        }
    }

    private static float[] roundLikeLlamaCpp(GgmlType type, float[] x) {
        float[] out = new float[x.length];
        for (int j = 0; j < x.length; j++) {
            out[j] = switch (type) {
                case F32 -> x[j];
                case F16 -> Float.float16ToFloat(Float.floatToFloat16(x[j]));
                case BF16 -> dev.llamaj.core.tensor.BF16.toFloat(dev.llamaj.core.tensor.BF16.fromFloat(x[j]));
                default -> Float.NaN;
            };
        }
        if (type.blockSize() == 1) {
            return out;
        }
        int bs = type.blockSize();
        for (int b = 0; b < x.length; b += bs) {
            float amax = 0;
            for (int j = b; j < b + bs; j++) {
                amax = Math.max(amax, Math.abs(x[j]));
            }
            float d = amax / 127;
            float stored = bs == 32 ? Float.float16ToFloat(Float.floatToFloat16(d)) : d;
            for (int j = b; j < b + bs; j++) {
                out[j] = stored * Math.round(x[j] / d);
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}", allowZeroInvocations = true)
    @MethodSource("providersAndFormats")
    void matmul(Candidate c, GgmlType type) {
        try (Kernels ref = reference(); Kernels fast = c.provider().open(new KernelOptions(THREADS));
             Arena arena = Arena.ofShared()) { // shared: providers read weights from worker threads
            for (int cols : colsFor(type)) {
                for (int rows : ROWS) {
                    Tensor t = RandomBlocks.matrix(arena, "w", type, rows, cols, 31L * rows + cols);
                    float[][] w = dequantize(t);
                    for (int n : BATCH) {
                        float[][] x = gaussian(n, cols, n * 7L + rows);
                        float[][] expected = run(ref, t, x, rows, n);
                        float[][] actual = run(fast, t, x, rows, n);
                        for (int i = 0; i < n; i++) {
                            for (int r = 0; r < rows; r++) {
                                double bound = Bounds.dot(type, w[r], x[i]);
                                assertEquals(expected[i][r], actual[i][r], bound,
                                        () -> type + " " + rows + "×" + cols + " batch " + n + ": bound " + bound);
                            }
                        }
                        assertUntouched(actual, n, "matmul");
                    }
                }
            }
        }
    }

    private static float[][] run(Kernels k, Tensor t, float[][] x, int rows, int n) {
        Weights w = k.weights(t);
        try (Activations in = k.activations(n + 1, x[0].length); Activations out = k.activations(n + 1, rows)) {
            for (int i = 0; i < n; i++) {
                in.write(i, x[i]);
            }
            k.matmul(out, w, in, n);
            return read(out);
        } finally {
            w.close();
        }
    }

    /**
     * Groups of weights over one input, as the model passes Wq, Wk, Wv: formats that round the
     * input alike (Q4_K with Q6_K, as in Q4_K_M files; Q4_0 with Q8_0, which take different
     * batch kernels) and ones that do not (Q4_0 with F16).
     */
    static Stream<Arguments> providersAndFormatGroups() {
        List<GgmlType[]> groups = new ArrayList<>();
        for (GgmlType t : RandomBlocks.SUPPORTED) {
            groups.add(new GgmlType[] {t, t, t});
        }
        groups.add(new GgmlType[] {GgmlType.Q4_K, GgmlType.Q4_K, GgmlType.Q6_K});
        groups.add(new GgmlType[] {GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_0});
        groups.add(new GgmlType[] {GgmlType.Q4_0, GgmlType.F16, GgmlType.Q4_0});
        return providers().flatMap(c -> groups.stream().map(g -> Arguments.of(c, List.of(g))));
    }

    /**
     * Several weights in one call give exactly what one call per weight gives: a provider may
     * share the input's preparation between them, never change the arithmetic. Rows 19, 3 and 7
     * put weight boundaries inside the work chunks and the prefill panels.
     */
    @ParameterizedTest(name = "{0} {1}", allowZeroInvocations = true)
    @MethodSource("providersAndFormatGroups")
    void matmulOfSeveralWeightsIsOneMatmulPerWeight(Candidate c, List<GgmlType> types) {
        int[] rows = {19, 3, 7};
        int cols = types.stream().anyMatch(t -> t.blockSize() == 256) ? 512 : 256;
        try (Kernels fast = c.provider().open(new KernelOptions(THREADS)); Arena arena = Arena.ofShared()) {
            List<Weights> ws = new ArrayList<>();
            for (int j = 0; j < rows.length; j++) {
                ws.add(fast.weights(RandomBlocks.matrix(arena, "w" + j, types.get(j), rows[j], cols, 11L * j + cols)));
            }
            for (int n : BATCH) {
                float[][] x = gaussian(n, cols, 13L * n);
                List<Activations> one = new ArrayList<>();
                List<Activations> all = new ArrayList<>();
                try (Activations in = fast.activations(n + 1, cols)) {
                    for (int i = 0; i < n; i++) {
                        in.write(i, x[i]);
                    }
                    for (int j = 0; j < rows.length; j++) {
                        one.add(fast.activations(n + 1, rows[j]));
                        all.add(fast.activations(n + 1, rows[j]));
                        fast.matmul(one.get(j), ws.get(j), in, n);
                    }
                    fast.matmul(all, ws, in, n);
                    for (int j = 0; j < rows.length; j++) {
                        float[][] expected = read(one.get(j));
                        float[][] actual = read(all.get(j));
                        for (int i = 0; i <= n; i++) {
                            assertArrayEquals(expected[i], actual[i],
                                    types + " batch " + n + ": weight " + j + ", row " + i);
                        }
                    }
                } finally {
                    one.forEach(Activations::close);
                    all.forEach(Activations::close);
                }
            }
            ws.forEach(Weights::close);
        }
    }

    /** Every provider, scalar too: a group call with no weights, or not one output per weight, names the counts. */
    @Test
    void matmulOfSeveralWeightsChecksItsLists() {
        for (KernelProvider p : all()) {
            if (!p.availability().available()) {
                continue;
            }
            try (Kernels k = p.open(new KernelOptions(2)); Arena arena = Arena.ofShared();
                 Activations in = k.activations(1, 32); Activations out = k.activations(1, 3)) {
                Weights w = k.weights(RandomBlocks.matrix(arena, "w", GgmlType.Q8_0, 3, 32, 1));
                IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                        () -> k.matmul(List.of(), List.of(), in, 1));
                assertTrue(none.getMessage().contains("got 0 outputs for 0 weights"), p.name() + ": " + none.getMessage());
                IllegalArgumentException uneven = assertThrows(IllegalArgumentException.class,
                        () -> k.matmul(List.of(out, out), List.of(w), in, 1));
                assertTrue(uneven.getMessage().contains("got 2 outputs for 1 weights"), p.name() + ": " + uneven.getMessage());
                try (Weights square = k.weights(RandomBlocks.matrix(arena, "square", GgmlType.Q8_0, 32, 32, 2))) {
                    IllegalArgumentException self = assertThrows(IllegalArgumentException.class,
                            () -> k.matmul(List.of(in), List.of(square), in, 1));
                    assertTrue(self.getMessage().contains("over its input"), p.name() + ": " + self.getMessage());
                }
                w.close();
            }
        }
    }

    /** Embedding decodes one row: only the float rounding of a few products may differ (2^-20 of the row's size). */
    @ParameterizedTest(name = "{0} {1}", allowZeroInvocations = true)
    @MethodSource("providersAndFormats")
    void embed(Candidate c, GgmlType type) {
        try (Kernels ref = reference(); Kernels fast = c.provider().open(new KernelOptions(THREADS));
             Arena arena = Arena.ofShared()) { // shared: providers read weights from worker threads
            int cols = colsFor(type)[1];
            Tensor t = RandomBlocks.matrix(arena, "table", type, 7, cols, 5);
            int[] tokens = {6, 0, 3, 3, 1};
            float[][] expected = embed(ref, t, tokens);
            float[][] actual = embed(fast, t, tokens);
            for (int i = 0; i < tokens.length; i++) {
                double bound = 0x1p-20 * Bounds.maxAbs(expected[i]);
                for (int j = 0; j < cols; j++) {
                    assertEquals(expected[i][j], actual[i][j], bound, type + " token " + tokens[i] + " element " + j);
                }
            }
            assertUntouched(actual, tokens.length, "embed");
        }
    }

    private static float[][] embed(Kernels k, Tensor t, int[] tokens) {
        try (Weights w = k.weights(t); Activations out = k.activations(tokens.length + 1, t.rowLength())) {
            k.embed(out, w, tokens);
            return read(out);
        }
    }

    /** RMSNorm: a float sum of squares over cols terms, a square root and two products: cols·2^-24 + 2^-20 relative. */
    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("providers")
    void rmsNorm(Candidate c) {
        try (Kernels ref = reference(); Kernels fast = c.provider().open(new KernelOptions(THREADS));
             Arena arena = Arena.ofShared()) { // shared: providers read weights from worker threads
            for (int cols : new int[] {7, 64, 260}) {
                Tensor norm = RandomBlocks.matrix(arena, "norm", GgmlType.F32, 1, cols, cols);
                for (int n : BATCH) {
                    float[][] x = gaussian(n, cols, cols + n);
                    float[][] expected = Ops.rmsNorm(ref, norm, x);
                    float[][] actual = Ops.rmsNorm(fast, norm, x);
                    double relative = cols * 0x1p-24 + 0x1p-20;
                    Bounds.assertClose(expected, actual, n, relative, 0, "rmsNorm cols " + cols);
                    assertUntouched(actual, n, "rmsNorm");
                }
            }
        }
    }

    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("providers")
    void rope(Candidate c) {
        try (Kernels ref = reference(); Kernels fast = c.provider().open(new KernelOptions(THREADS))) {
            int heads = 3;
            int headDim = 16;
            for (int ropeDim : new int[] {16, 8}) {
                for (int startPos : new int[] {0, 17, 2000}) {
                    for (int n : BATCH) {
                        float[][] x = gaussian(n, heads * headDim, ropeDim + startPos + n);
                        float[][] expected = Ops.rope(ref, x, heads, headDim, ropeDim, startPos);
                        float[][] actual = Ops.rope(fast, x, heads, headDim, ropeDim, startPos);
                        for (int i = 0; i < n; i++) {
                            double bound = Bounds.rope(startPos + i, ropeDim, x[i]);
                            for (int j = 0; j < x[i].length; j++) {
                                assertEquals(expected[i][j], actual[i][j], bound,
                                        "ropeDim " + ropeDim + " pos " + (startPos + i) + " element " + j);
                            }
                        }
                        assertUntouched(actual, n, "rope");
                    }
                }
            }
        }
    }

    /**
     * Prefill of 5 tokens, then a decode step reading the cache, for kvHeads = heads, heads/2, 1, both
     * cache types, and heads of 8 and 40 elements: 40 runs the vector loops (16 or 8 lanes) and a tail.
     */
    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("providers")
    void attention(Candidate c) {
        try (Kernels ref = reference(); Kernels fast = c.provider().open(new KernelOptions(THREADS))) {
            int heads = 4;
            for (int headDim : new int[] {8, 40}) {
                for (KvCacheType cacheType : KvCacheType.values()) {
                    for (int kvHeads : new int[] {4, 2, 1}) {
                        Attention a = new Attention(heads, kvHeads, headDim, cacheType, 100L * kvHeads + cacheType.ordinal() + headDim);
                        a.compare(ref, fast);
                    }
                }
            }
        }
    }

    /** SwiGLU: exp, add, divide, two products, each 2^-24 relative; a last-ulp exp: 2^-20·(|g|+1)·|u|. */
    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("providers")
    void swiglu(Candidate c) {
        try (Kernels ref = reference(); Kernels fast = c.provider().open(new KernelOptions(THREADS))) {
            for (int n : BATCH) {
                float[][] g = gaussian(n, 77, n);
                float[][] u = gaussian(n, 77, n + 1);
                float[][] expected = Ops.binary(ref, g, u, "swiglu");
                float[][] actual = Ops.binary(fast, g, u, "swiglu");
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < 77; j++) {
                        double bound = 0x1p-20 * (Math.abs(g[i][j]) + 1) * Math.abs(u[i][j]);
                        assertEquals(expected[i][j], actual[i][j], bound, "swiglu row " + i + " element " + j);
                    }
                }
                assertUntouched(actual, n, "swiglu");
            }
        }
    }

    /** A float addition is exact up to its one rounding, which every provider performs identically. */
    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("providers")
    void addAndCopyRows(Candidate c) {
        try (Kernels ref = reference(); Kernels fast = c.provider().open(new KernelOptions(THREADS))) {
            for (int n : BATCH) {
                float[][] x = gaussian(n, 33, n + 3);
                float[][] y = gaussian(n, 33, n + 4);
                Bounds.assertClose(Ops.binary(ref, x, y, "add"), Ops.binary(fast, x, y, "add"), n, 0, 0, "add");
                Bounds.assertClose(Ops.copy(ref, x), Ops.copy(fast, x), n + 2, 0, 0, "copyRows");
            }
        }
    }

    /** Softmax: exp to a last ulp or so, a float sum of cols terms: cols·2^-24 + 2^-20 relative per element. */
    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("providers")
    void softmax(Candidate c) {
        try (Kernels ref = reference(); Kernels fast = c.provider().open(new KernelOptions(THREADS))) {
            for (int cols : new int[] {1, 7, 512}) {
                for (int n : BATCH) {
                    float[][] x = gaussian(n, cols, cols * 3L + n);
                    for (float[] row : x) {
                        row[0] += 80; // large logits: a provider that forgets to subtract the max overflows
                    }
                    float[][] expected = Ops.softmax(ref, x);
                    float[][] actual = Ops.softmax(fast, x);
                    Bounds.assertClose(expected, actual, n, cols * 0x1p-24 + 0x1p-20, 0x1p-40, "softmax cols " + cols);
                    assertUntouched(actual, n, "softmax");
                }
            }
        }
    }

    static int[] colsFor(GgmlType type) {
        return switch (type.blockSize()) {
            // 601: many vector iterations, then a scalar tail of 25 (with 16 lanes)
            case 1 -> new int[] {7, 96, 601};
            case 32 -> new int[] {32, 224, 256}; // 1 block, 7 (a Q4_0 quad and 3 odd ones), 8 (quads only)
            default -> new int[] {256, 512};
        };
    }

    static float[][] gaussian(int n, int cols, long seed) {
        float[][] x = new float[n][];
        for (int i = 0; i < n; i++) {
            x[i] = RandomBlocks.vector(cols, seed * 1000 + i);
        }
        return x;
    }

    static float[][] dequantize(Tensor t) {
        float[][] w = new float[t.rows()][t.rowLength()];
        for (int r = 0; r < t.rows(); r++) {
            TensorFormat.of(t.type()).dequantize(t.data(), (long) r * t.rowLength(), w[r], 0, t.rowLength());
        }
        return w;
    }

    static float[][] read(Activations a) {
        float[][] out = new float[a.rows()][a.cols()];
        for (int i = 0; i < a.rows(); i++) {
            a.read(i, out[i]);
        }
        return out;
    }

    /** Rows from n on were zero-filled and no operation may write them. */
    static void assertUntouched(float[][] out, int n, String op) {
        for (int i = n; i < out.length; i++) {
            for (float v : out[i]) {
                assertEquals(0f, v, 0f, op + " wrote row " + i + " past n = " + n);
            }
        }
    }
}
