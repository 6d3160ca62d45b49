package dev.llamaj.core.kernels.scalar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.Kernels;
import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;
import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.F32;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Q8_0;
import dev.llamaj.core.tensor.RandomBlocks;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.core.tensor.TensorFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The reference kernels on small cases whose answers are worked out by hand in the comments. */
class ScalarKernelsTest {
    private static final float EPS = 1e-6f;
    private final Kernels k = new ScalarKernelProvider().open(new KernelOptions(1));
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        k.close();
        arena.close();
    }

    private Weights f32(String name, int rows, int cols, float... values) {
        MemorySegment data = arena.allocate(values.length * 4L);
        F32.INSTANCE.quantize(values, 0, data, 0, values.length);
        return k.weights(new Tensor(name, GgmlType.F32, new long[] {cols, rows}, data));
    }

    private Activations rows(int cols, float[]... rows) {
        Activations a = k.activations(rows.length, cols);
        for (int i = 0; i < rows.length; i++) {
            a.write(i, rows[i]);
        }
        return a;
    }

    private static float[] row(Activations a, int i) {
        float[] r = new float[a.cols()];
        a.read(i, r);
        return r;
    }

    @Test
    void providerIsAlwaysAvailable() {
        ScalarKernelProvider p = new ScalarKernelProvider();
        assertEquals("scalar", p.name());
        assertEquals(0, p.rank());
        assertTrue(p.availability().available());
        assertEquals("scalar", k.name());
    }

    @Test
    void rmsNormOfAKnownVector() {
        // mean(x²) = 30/4 = 7.5; with eps 0.5 the divisor is √8
        Activations x = rows(4, new float[] {1, 2, 3, 4});
        k.rmsNorm(x, x, f32("norm", 1, 4, 1, 0.5f, 2, 1), 0.5f, 1);
        double s = Math.sqrt(8);
        assertArrayEquals(new float[] {(float) (1 / s), (float) (1 / s), (float) (6 / s), (float) (4 / s)}, row(x, 0), EPS);
    }

    @Test
    void ropeRotatesAdjacentPairsOfAUnitVector() {
        // head of 6 with ropeDim 4: pair 0 turns by p, pair 1 by p·10000^(-2/4) = p/100, elements 4, 5 stay
        int p = 3;
        Activations x = rows(12, new float[] {1, 0, 0, 1, 7, 8, 1, 0, 0, 1, 7, 8});
        k.rope(x, 2, 6, 4, 10000f, p, 1);
        float[] expected = {(float) Math.cos(3), (float) Math.sin(3), (float) -Math.sin(0.03), (float) Math.cos(0.03), 7, 8};
        float[] r = row(x, 0);
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < 6; i++) {
                assertEquals(expected[i], r[6 * h + i], EPS, "head " + h + " element " + i);
            }
        }
    }

    @Test
    void ropeUsesStartPosPlusRow() {
        Activations x = rows(2, new float[] {1, 0}, new float[] {1, 0});
        k.rope(x, 1, 2, 2, 10000f, 5, 2);
        assertEquals(Math.cos(5), row(x, 0)[0], EPS);
        assertEquals(Math.sin(6), row(x, 1)[1], EPS);
    }

    @Test
    void attentionOverOnePositionReturnsVOfTheGroupsKvHead() {
        // 4 heads of 2 share 2 KV heads: heads 0, 1 read KV head 0; heads 2, 3 read KV head 1
        try (KvCache cache = k.kvCache(1, 4, 4, KvCacheType.F32)) {
            Activations q = rows(8, new float[] {1, 2, 3, 4, 5, 6, 7, 8});
            Activations kk = rows(4, new float[] {0.5f, -1, 2, 0});
            Activations v = rows(4, new float[] {10, 20, 30, 40});
            Activations out = k.activations(1, 8);
            k.attention(out, q, kk, v, cache, 0, 0, 1, 4, 2);
            assertArrayEquals(new float[] {10, 20, 10, 20, 30, 40, 30, 40}, row(out, 0), EPS);
        }
    }

    @Test
    void attentionIsCausalAndWeighsByScaledScores() {
        // one head of 2: q = (1, 0), k0 = (0, 0), k1 = (2, 0): scores 0 and 2/√2; row 0 sees only position 0
        try (KvCache cache = k.kvCache(2, 3, 2, KvCacheType.F32)) {
            Activations q = rows(2, new float[] {1, 0}, new float[] {1, 0});
            Activations kk = rows(2, new float[] {0, 0}, new float[] {2, 0});
            Activations v = rows(2, new float[] {1, 0}, new float[] {0, 1});
            Activations out = k.activations(2, 2);
            k.attention(out, q, kk, v, cache, 1, 0, 2, 1, 1);
            double w1 = 1 / (1 + Math.exp(-Math.sqrt(2)));
            assertArrayEquals(new float[] {1, 0}, row(out, 0), EPS);
            assertArrayEquals(new float[] {(float) (1 - w1), (float) w1}, row(out, 1), EPS);

            // decoding the second position alone, after the first went into the cache, gives the same answer
            try (KvCache again = k.kvCache(2, 3, 2, KvCacheType.F32)) {
                Activations one = k.activations(1, 2);
                k.attention(one, rows(2, new float[] {1, 0}), rows(2, new float[] {0, 0}), rows(2, new float[] {1, 0}),
                        again, 1, 0, 1, 1, 1);
                k.attention(one, rows(2, new float[] {1, 0}), rows(2, new float[] {2, 0}), rows(2, new float[] {0, 1}),
                        again, 1, 1, 1, 1, 1);
                assertArrayEquals(row(out, 1), row(one, 0), EPS);
            }
        }
    }

    @Test
    void f16CacheRoundsKeysAndValuesToHalfPrecision() {
        // v = 1 + 2^-12 is not an f16: it rounds to 1 (ties to even); with one position out = v
        try (KvCache f16 = k.kvCache(1, 1, 2, KvCacheType.F16); KvCache f32 = k.kvCache(1, 1, 2, KvCacheType.F32)) {
            assertEquals(1 * 1 * 2 * 2 * 2, f16.bytes());
            assertEquals(1 * 1 * 2 * 2 * 4, f32.bytes());
            float odd = 1 + 0x1p-12f;
            Activations out = k.activations(1, 2);
            k.attention(out, rows(2, new float[] {1, 1}), rows(2, new float[] {1, 1}), rows(2, new float[] {odd, 3}), f16,
                    0, 0, 1, 1, 1);
            assertArrayEquals(new float[] {1, 3}, row(out, 0), 0);
            k.attention(out, rows(2, new float[] {1, 1}), rows(2, new float[] {1, 1}), rows(2, new float[] {odd, 3}), f32,
                    0, 0, 1, 1, 1);
            assertArrayEquals(new float[] {odd, 3}, row(out, 0), 0);
        }
    }

    @Test
    void swigluAddSoftmax() {
        Activations gate = rows(3, new float[] {0, 1, -2});
        k.swiglu(gate, rows(3, new float[] {3, 2, 1}), 1);
        assertArrayEquals(new float[] {0, (float) (2 / (1 + Math.exp(-1))), (float) (-2 / (1 + Math.exp(2)))}, row(gate, 0), EPS);

        Activations x = rows(3, new float[] {1, 2, 3});
        k.add(x, rows(3, new float[] {0.5f, -2, 0}), 1);
        assertArrayEquals(new float[] {1.5f, 0, 3}, row(x, 0), 0);

        Activations s = rows(3, new float[] {1, 2, 3}, new float[] {1000, 1000, -1000});
        k.softmax(s, 2);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertArrayEquals(new float[] {(float) (Math.exp(1) / z), (float) (Math.exp(2) / z), (float) (Math.exp(3) / z)},
                row(s, 0), EPS);
        assertArrayEquals(new float[] {0.5f, 0.5f, 0}, row(s, 1), EPS); // no overflow: the max is subtracted first
    }

    @Test
    void matmulAndEmbedOfHandMatrices() {
        Weights w = f32("w", 2, 3, 1, 2, 3, 4, 5, 6);
        Activations out = k.activations(2, 2);
        k.matmul(out, w, rows(3, new float[] {1, 0, -1}, new float[] {0, 1, 0}), 2);
        assertArrayEquals(new float[] {-2, -2}, row(out, 0), 0);
        assertArrayEquals(new float[] {2, 5}, row(out, 1), 0);

        Activations e = k.activations(2, 3);
        k.embed(e, w, new int[] {1, 0});
        assertArrayEquals(new float[] {4, 5, 6}, row(e, 0), 0);
        assertArrayEquals(new float[] {1, 2, 3}, row(e, 1), 0);
    }

    @Test
    void quantizedMatmulAndEmbedReadTheFormat() {
        Tensor t = RandomBlocks.matrix(arena, "q", GgmlType.Q8_0, 3, 64, 9);
        Weights w = k.weights(t);
        float[] x = RandomBlocks.vector(64, 10);
        Activations out = k.activations(1, 3);
        k.matmul(out, w, rows(64, x), 1);
        for (int r = 0; r < 3; r++) {
            assertEquals(Q8_0.INSTANCE.dot(t.data(), r * 64L, x, 0, 64), row(out, 0)[r], 0);
        }
        Activations e = k.activations(1, 64);
        k.embed(e, w, new int[] {2});
        float[] expected = new float[64];
        TensorFormat.of(GgmlType.Q8_0).dequantize(t.data(), 128, expected, 0, 64);
        assertArrayEquals(expected, row(e, 0), 0);
    }

    @Test
    void copyRowsMovesWholeRows() {
        Activations src = rows(2, new float[] {1, 2}, new float[] {3, 4}, new float[] {5, 6});
        Activations dst = k.activations(4, 2);
        k.copyRows(dst, 2, src, 1, 2);
        assertArrayEquals(new float[] {0, 0}, row(dst, 1), 0);
        assertArrayEquals(new float[] {3, 4}, row(dst, 2), 0);
        assertArrayEquals(new float[] {5, 6}, row(dst, 3), 0);
    }

    @Test
    void sizeMismatchesAreRejectedWithTheirNames() {
        Weights w = f32("w", 2, 3, 1, 2, 3, 4, 5, 6);
        Activations x3 = k.activations(2, 3);
        assertMessage("3 columns", () -> k.matmul(k.activations(2, 3), w, x3, 1));
        assertMessage("x has 2 rows, the operation needs 3", () -> k.matmul(k.activations(3, 2), w, x3, 3));
        assertMessage("4 columns", () -> k.matmul(k.activations(2, 2), w, k.activations(2, 4), 1));
        assertMessage("outside the table", () -> k.embed(k.activations(1, 3), w, new int[] {2}));
        assertMessage("norm weight", () -> k.rmsNorm(x3, x3, w, 1e-5f, 1));
        assertMessage("ropeDim", () -> k.rope(k.activations(1, 4), 1, 4, 6, 10000f, 0, 1));
        assertMessage("cannot copy", () -> k.copyRows(x3, 1, x3, 0, 2));
        assertMessage("columns", () -> k.add(x3, k.activations(2, 4), 1));
        assertMessage("not made by the scalar provider", () -> k.softmax(new ForeignActivations(), 1));
    }

    @Test
    void attentionRejectsPositionsBeyondTheCacheAndBadHeadCounts() {
        try (KvCache cache = k.kvCache(1, 2, 2, KvCacheType.F16)) {
            Activations q = k.activations(2, 4);
            Activations kv = k.activations(2, 2);
            Activations out = k.activations(2, 4);
            assertMessage("exceed the KV cache capacity of 2", () -> k.attention(out, q, kv, kv, cache, 0, 1, 2, 2, 1));
            assertMessage("multiple of kvHeads", () -> k.attention(out, q, kv, kv, cache, 0, 0, 1, 2, 3));
            assertMessage("layer 1", () -> k.attention(out, q, kv, kv, cache, 1, 0, 1, 2, 1));
            assertMessage("kvDim", () -> k.attention(out, q, k.activations(2, 4), k.activations(2, 4), cache, 0, 0, 1, 2, 2));
        }
        assertMessage("positive layers", () -> k.kvCache(0, 2, 2, KvCacheType.F32));
        assertMessage("does not fit", () -> k.kvCache(1 << 20, 1 << 20, 1 << 20, KvCacheType.F32));
        assertMessage("cannot be allocated", () -> k.kvCache(1 << 10, 1 << 20, 1 << 20, KvCacheType.F16));
    }

    @Test
    void weightsMustFitTheirData() {
        MemorySegment small = arena.allocate(10);
        assertMessage("needs 24 bytes", () -> k.weights(new Tensor("w", GgmlType.F32, new long[] {3, 2}, small)));
        assertMessage("blocks of 32", () -> k.weights(new Tensor("w", GgmlType.Q8_0, new long[] {48, 1}, arena.allocate(100))));
        assertThrows(UnsupportedOperationException.class,
                () -> k.weights(new Tensor("w", GgmlType.IQ2_XS, new long[] {256, 1}, arena.allocate(100))));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), () -> "\"" + e.getMessage() + "\" should mention \"" + part + "\"");
    }

    private static final class ForeignActivations implements Activations {
        @Override
        public int rows() {
            return 1;
        }

        @Override
        public int cols() {
            return 1;
        }

        @Override
        public void write(int row, float[] src) {
        }

        @Override
        public void read(int row, float[] dst) {
        }

        @Override
        public void close() {
        }
    }
}
