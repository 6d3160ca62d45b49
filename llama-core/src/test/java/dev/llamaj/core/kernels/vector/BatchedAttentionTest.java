package dev.llamaj.core.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A prefill's attention ({@link BatchedAttention}: rows and grouped heads together, scores with
 * positions in the lanes) against the same rows run one at a time (the decode path): they must
 * agree bit for bit, for both cache types, grouped and plain heads, heads that are whole vectors,
 * that have a tail and that are shorter than a vector, and row counts that leave partial row
 * blocks and query tiles. Both paths sum every score and every weighted value in one order, so
 * any difference is a defect, not rounding.
 */
class BatchedAttentionTest {
    private static VectorKernels kernels;

    @BeforeAll
    static void open() {
        kernels = new VectorKernels(2);
    }

    @AfterAll
    static void close() {
        kernels.close();
    }

    @ParameterizedTest
    @EnumSource(KvCacheType.class)
    void aPrefillGetsTheOutputsOfItsRowsRunOneByOne(KvCacheType type) {
        assertTrue(BatchedAttention.QUERIES > 1 && Attention.BATCH_MIN_ROWS > 1);
        for (int headDim : new int[] {64, 40, 8}) {
            for (int[] heads : new int[][] {{8, 2}, {4, 4}, {6, 1}}) {
                // a first chunk of 37 rows (partial row blocks, query tiles and position vectors), then 19 more after it
                int[] chunks = {37, 19};
                check(type, heads[0], heads[1], headDim, chunks, 31L * headDim + heads[0] * 7 + heads[1]);
            }
        }
    }

    private static void check(KvCacheType type, int heads, int kvHeads, int headDim, int[] chunks, long seed) {
        int rows = 0;
        for (int c : chunks) {
            rows += c;
        }
        Random random = new Random(seed);
        float[][] q = gaussian(random, rows, heads * headDim);
        float[][] k = gaussian(random, rows, kvHeads * headDim);
        float[][] v = gaussian(random, rows, kvHeads * headDim);
        float[][] batched = new float[rows][];
        float[][] single = new float[rows][];
        try (KvCache a = kernels.kvCache(2, rows, kvHeads * headDim, type);
             KvCache b = kernels.kvCache(2, rows, kvHeads * headDim, type)) {
            int start = 0;
            for (int n : chunks) {
                assertTrue(n >= Attention.BATCH_MIN_ROWS, "each chunk must take the batched path");
                float[][] out = run(a, q, k, v, start, n, heads, kvHeads);
                System.arraycopy(out, 0, batched, start, n);
                start += n;
            }
            for (int i = 0; i < rows; i++) {
                single[i] = run(b, q, k, v, i, 1, heads, kvHeads)[0];
            }
        }
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < heads * headDim; j++) {
                assertEquals(Float.floatToRawIntBits(single[i][j]), Float.floatToRawIntBits(batched[i][j]),
                        type + " heads " + heads + "/" + kvHeads + " of " + headDim + ": row " + i + " element " + j + ": "
                                + single[i][j] + " one by one, " + batched[i][j] + " batched");
            }
        }
    }

    private static float[][] run(KvCache cache, float[][] q, float[][] k, float[][] v, int start, int n, int heads, int kvHeads) {
        try (Activations qa = rows(q, start, n); Activations ka = rows(k, start, n); Activations va = rows(v, start, n);
             Activations out = kernels.activations(n, q[0].length)) {
            kernels.attention(out, qa, ka, va, cache, 1, start, n, heads, kvHeads);
            float[][] r = new float[n][q[0].length];
            for (int i = 0; i < n; i++) {
                out.read(i, r[i]);
            }
            return r;
        }
    }

    private static Activations rows(float[][] x, int start, int n) {
        Activations a = kernels.activations(n, x[0].length);
        for (int i = 0; i < n; i++) {
            a.write(i, x[start + i]);
        }
        return a;
    }

    /** Scores of a few units (scaled by 1/√headDim), so the softmax weights spread over many positions. */
    private static float[][] gaussian(Random random, int rows, int cols) {
        float[][] x = new float[rows][cols];
        for (float[] row : x) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) random.nextGaussian();
            }
        }
        return x;
    }
}
