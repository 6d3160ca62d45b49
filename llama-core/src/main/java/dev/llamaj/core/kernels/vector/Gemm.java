package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.F_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.L;

import jdk.incubator.vector.FloatVector;

/**
 * The prefill micro-kernel, in the outer-product form BLAS libraries use: a panel of
 * {@link #ROWS} weight rows (already decoded to floats) times a block of {@link #TOKENS} tokens
 * whose activations are packed column by column ({@link #pack}), so that at each column one
 * weight per row is broadcast and multiplied-added with two vectors of tokens, into
 * {@code 2·ROWS} vector accumulators that stay in registers over {@link #CHUNK} columns.
 *
 * <p>Why this shape: the former dot-product tile (4 rows × 4 tokens: 8 vector loads per 16
 * multiply-adds, both operands streamed through L1, a horizontal sum per result) ran at about
 * half the FMA peak measured on a Zen 5 core (two 512-bit FMAs per cycle); here each column
 * costs 2 vector loads and {@code ROWS} scalar broadcasts for {@code 2·ROWS} multiply-adds, and
 * the result lanes are tokens. {@code ROWS} is 8 because C2 kept 24 accumulators (12 rows) in
 * registers only by boxing vectors inside the loop (4× slower), and 10 rows measured no faster
 * than 8. (Both measured before the exact-class casts below; that boxing may have been the
 * shared-profile effect they remove. Not re-measured.) With 16 vector registers (AVX2) some
 * accumulators spill: slower, still correct.
 *
 * <p>The activations are the rounded ones decoded back to floats (q·d), so the products are
 * those llama.cpp's integer dot products add up, summed in float instead of in int32 (a
 * difference of float rounding only).
 */
final class Gemm {
    /** Weight rows per panel. */
    static final int ROWS = 8;
    /** Tokens per packed activation block: two vectors. */
    static final int TOKENS = 2 * L;
    /**
     * Columns summed in registers before they are added to the tile: one 32-block at a time, the
     * way llama.cpp sums a block's products and then accumulates block by block. One running sum
     * over the whole row (2048 to 11008 terms) moved 4 of the 15 goldens that had reached the
     * llama.cpp-numerics tier to exact-math, 128-column chunks still 4: their near-tie activation
     * roundings flip with the order of float sums. With 32 it is 14 of 26 (a different set than
     * before: the flips are chaotic either way), for about 4% of prefill speed.
     */
    static final int CHUNK = 32;
    /**
     * Weight rows per call of {@link #panel}: two panels, side by side at each chunk, so that the
     * chunk's packed activations (4 KB) are read from L2 or L3 once for both and from L1 for the
     * second. A panel alone streams all of a batch's activations once per 8 rows; for 128 tokens of
     * the 5632-column ffn_down that is 2.9 MB, more than this Intel host's 2 MB L2. JMH 2048x5632
     * Q8_0, 128 tokens, 1 thread, alternated, best iterations: one panel 42.5-48.9 ms, two 36.6-40.3,
     * four 35.6-36.7; 5632x2048 (1 MB of activations) the same within the host's noise (34-36 ms
     * each at best). The sums of each result keep their order: the same bits as one panel.
     */
    static final int GROUP_ROWS = 2 * ROWS;

    private Gemm() {
    }

    /** Floats the packed form of {@code n} tokens of {@code cols} takes. */
    static int packedSize(int n, int cols) {
        return blocks(n) * cols * TOKENS;
    }

    /** Packed token blocks for {@code n} tokens. */
    static int blocks(int n) {
        return (n + TOKENS - 1) / TOKENS;
    }

    /**
     * Packs token block {@code blk} of {@code x} ({@code n} rows of {@code cols}) column by column:
     * {@code xp[(blk·cols + k)·TOKENS + j] = x[(blk·TOKENS + j)·cols + k]}, zero past the last token.
     */
    static void pack(float[] x, int n, int cols, int blk, float[] xp) {
        int t0 = blk * TOKENS;
        int valid = Math.min(TOKENS, n - t0);
        int base = blk * cols * TOKENS;
        for (int j = 0; j < TOKENS; j++) {
            int src = (t0 + j) * cols;
            for (int k = 0; k < cols; k++) {
                xp[base + k * TOKENS + j] = j < valid ? x[src + k] : 0;
            }
        }
    }

    /** {@link #pack(float[], int, int, int, float[])} of rounded activations, decoding {@code q·d} (one scale per {@code block}). */
    static void pack(byte[] q, float[] scales, int block, int n, int cols, int blk, float[] xp) {
        int t0 = blk * TOKENS;
        int valid = Math.min(TOKENS, n - t0);
        int base = blk * cols * TOKENS;
        for (int j = 0; j < TOKENS; j++) {
            int src = (t0 + j) * cols;
            // cols is a multiple of the block (the weights' block size is): one scale per run of block
            for (int k0 = 0; k0 < cols; k0 += block) {
                float d = j < valid ? scales[(src + k0) / block] : 0;
                for (int k = k0; k < k0 + block; k++) {
                    xp[base + k * TOKENS + j] = j < valid ? q[src + k] * d : 0;
                }
            }
        }
    }

    /**
     * {@code out[t·outCols + r0 + i] = w_i · x_t} for rows i &lt; nr &le; {@link #GROUP_ROWS} (rows of
     * {@code cols} in {@code w}) and every token t &lt; n of the packed activations {@code xp};
     * {@code tile} is scratch of at least {@code nr·TOKENS} floats.
     */
    static void panel(float[] w, int nr, int cols, float[] xp, int n, float[] out, int outCols, int r0, float[] tile) {
        for (int blk = 0; blk < blocks(n); blk++) {
            int xo = blk * cols * TOKENS;
            for (int k0 = 0; k0 < cols; k0 += CHUNK) {
                int k1 = Math.min(cols, k0 + CHUNK);
                int s = 0;
                for (; s + ROWS <= nr; s += ROWS) {
                    kernel8(w, s * cols, cols, xp, xo, k0, k1, tile, s * TOKENS);
                }
                for (int i = s; i < nr; i++) {
                    row(w, i * cols, xp, xo, k0, k1, tile, i * TOKENS);
                }
            }
            writeTile(tile, nr, n, blk, out, outCols, r0);
        }
    }

    /**
     * Writes a result tile of token block {@code blk} ({@code nr} rows of {@link #TOKENS} lanes) to
     * {@code out[t·outCols + r0 + i]}: the lanes are tokens, so token by token, each a run of nr results.
     */
    static void writeTile(float[] tile, int nr, int n, int blk, float[] out, int outCols, int r0) {
        int t0 = blk * TOKENS;
        int valid = Math.min(TOKENS, n - t0);
        for (int j = 0; j < valid; j++) {
            int o = (t0 + j) * outCols + r0;
            for (int i = 0; i < nr; i++) {
                out[o + i] = tile[i * TOKENS + j];
            }
        }
    }

    /** One weight row against one token block: the panel's remainder rows. */
    private static void row(float[] w, int wo, float[] xp, int xo, int k0, int k1, float[] tile, int to) {
        FloatVector c0 = F_VECTOR.cast(FloatVector.zero(F));
        FloatVector c1 = c0;
        for (int k = k0; k < k1; k++) {
            FloatVector b = FloatVector.broadcast(F, w[wo + k]);
            c0 = F_VECTOR.cast(FloatVector.fromArray(F, xp, xo + k * TOKENS)).fma(b, c0);
            c1 = F_VECTOR.cast(FloatVector.fromArray(F, xp, xo + k * TOKENS + L)).fma(b, c1);
        }
        // past the loop and the branch C2 types the accumulators by their declared class
        if (k0 > 0) {
            c0 = F_VECTOR.cast(c0).add(FloatVector.fromArray(F, tile, to));
            c1 = F_VECTOR.cast(c1).add(FloatVector.fromArray(F, tile, to + L));
        }
        F_VECTOR.cast(c0).intoArray(tile, to);
        F_VECTOR.cast(c1).intoArray(tile, to + L);
    }

    /**
     * The 8-row tile of the rows from {@code w[wo]}, its results in {@code tile[to ..]}. Its loads
     * are cast to {@link Simd#F_VECTOR}, and its accumulators again after the loop (where C2 types
     * them by their declared class), so that C2 calls every operation on them directly, whatever
     * the JDK's shared vector methods have profiled (see there).
     */
    private static void kernel8(float[] w, int wo, int cols, float[] xp, int xo, int k0, int k1, float[] tile, int to) {
        FloatVector z = F_VECTOR.cast(FloatVector.zero(F));
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int k = k0; k < k1; k++) {
            int xk = xo + k * TOKENS;
            FloatVector x0 = F_VECTOR.cast(FloatVector.fromArray(F, xp, xk));
            FloatVector x1 = F_VECTOR.cast(FloatVector.fromArray(F, xp, xk + L));
            FloatVector b = FloatVector.broadcast(F, w[wo + k]);
            c00 = x0.fma(b, c00);
            c01 = x1.fma(b, c01);
            b = FloatVector.broadcast(F, w[wo + cols + k]);
            c10 = x0.fma(b, c10);
            c11 = x1.fma(b, c11);
            b = FloatVector.broadcast(F, w[wo + 2 * cols + k]);
            c20 = x0.fma(b, c20);
            c21 = x1.fma(b, c21);
            b = FloatVector.broadcast(F, w[wo + 3 * cols + k]);
            c30 = x0.fma(b, c30);
            c31 = x1.fma(b, c31);
            b = FloatVector.broadcast(F, w[wo + 4 * cols + k]);
            c40 = x0.fma(b, c40);
            c41 = x1.fma(b, c41);
            b = FloatVector.broadcast(F, w[wo + 5 * cols + k]);
            c50 = x0.fma(b, c50);
            c51 = x1.fma(b, c51);
            b = FloatVector.broadcast(F, w[wo + 6 * cols + k]);
            c60 = x0.fma(b, c60);
            c61 = x1.fma(b, c61);
            b = FloatVector.broadcast(F, w[wo + 7 * cols + k]);
            c70 = x0.fma(b, c70);
            c71 = x1.fma(b, c71);
        }
        // the earlier chunks' sums added after this one's, as llama.cpp adds block sums; the accumulators cast
        // again, because past the loop and the branch C2 types them by their declared class
        if (k0 > 0) {
            c00 = F_VECTOR.cast(c00).add(FloatVector.fromArray(F, tile, to + 0 * TOKENS));
            c01 = F_VECTOR.cast(c01).add(FloatVector.fromArray(F, tile, to + 0 * TOKENS + L));
            c10 = F_VECTOR.cast(c10).add(FloatVector.fromArray(F, tile, to + 1 * TOKENS));
            c11 = F_VECTOR.cast(c11).add(FloatVector.fromArray(F, tile, to + 1 * TOKENS + L));
            c20 = F_VECTOR.cast(c20).add(FloatVector.fromArray(F, tile, to + 2 * TOKENS));
            c21 = F_VECTOR.cast(c21).add(FloatVector.fromArray(F, tile, to + 2 * TOKENS + L));
            c30 = F_VECTOR.cast(c30).add(FloatVector.fromArray(F, tile, to + 3 * TOKENS));
            c31 = F_VECTOR.cast(c31).add(FloatVector.fromArray(F, tile, to + 3 * TOKENS + L));
            c40 = F_VECTOR.cast(c40).add(FloatVector.fromArray(F, tile, to + 4 * TOKENS));
            c41 = F_VECTOR.cast(c41).add(FloatVector.fromArray(F, tile, to + 4 * TOKENS + L));
            c50 = F_VECTOR.cast(c50).add(FloatVector.fromArray(F, tile, to + 5 * TOKENS));
            c51 = F_VECTOR.cast(c51).add(FloatVector.fromArray(F, tile, to + 5 * TOKENS + L));
            c60 = F_VECTOR.cast(c60).add(FloatVector.fromArray(F, tile, to + 6 * TOKENS));
            c61 = F_VECTOR.cast(c61).add(FloatVector.fromArray(F, tile, to + 6 * TOKENS + L));
            c70 = F_VECTOR.cast(c70).add(FloatVector.fromArray(F, tile, to + 7 * TOKENS));
            c71 = F_VECTOR.cast(c71).add(FloatVector.fromArray(F, tile, to + 7 * TOKENS + L));
        }
        F_VECTOR.cast(c00).intoArray(tile, to + 0 * TOKENS);
        F_VECTOR.cast(c01).intoArray(tile, to + 0 * TOKENS + L);
        F_VECTOR.cast(c10).intoArray(tile, to + 1 * TOKENS);
        F_VECTOR.cast(c11).intoArray(tile, to + 1 * TOKENS + L);
        F_VECTOR.cast(c20).intoArray(tile, to + 2 * TOKENS);
        F_VECTOR.cast(c21).intoArray(tile, to + 2 * TOKENS + L);
        F_VECTOR.cast(c30).intoArray(tile, to + 3 * TOKENS);
        F_VECTOR.cast(c31).intoArray(tile, to + 3 * TOKENS + L);
        F_VECTOR.cast(c40).intoArray(tile, to + 4 * TOKENS);
        F_VECTOR.cast(c41).intoArray(tile, to + 4 * TOKENS + L);
        F_VECTOR.cast(c50).intoArray(tile, to + 5 * TOKENS);
        F_VECTOR.cast(c51).intoArray(tile, to + 5 * TOKENS + L);
        F_VECTOR.cast(c60).intoArray(tile, to + 6 * TOKENS);
        F_VECTOR.cast(c61).intoArray(tile, to + 6 * TOKENS + L);
        F_VECTOR.cast(c70).intoArray(tile, to + 7 * TOKENS);
        F_VECTOR.cast(c71).intoArray(tile, to + 7 * TOKENS + L);
    }
}
