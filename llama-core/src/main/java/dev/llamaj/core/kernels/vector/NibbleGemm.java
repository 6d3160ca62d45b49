package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.F_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.I;
import static dev.llamaj.core.kernels.vector.Simd.I_VECTOR;
import static dev.llamaj.core.kernels.vector.Simd.L;
import static dev.llamaj.core.kernels.vector.Simd.SW;
import static dev.llamaj.core.kernels.vector.Simd.SW_VECTOR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The prefill micro-kernel for 4-bit quants (Q4_0 and Q4_K) in 16-bit integer lanes: the
 * outer-product form of {@link Gemm} (weight rows decoded once per batch, {@link Gemm#TOKENS}
 * tokens per register pair, lanes are tokens), but on the quants themselves, the way llama.cpp's
 * integer dot products work: each 32-block's sum {@code Σ q·x} is an exact integer, then scaled by
 * the weights' and the activations' scales and added in float, block after block. Q4_0's quants
 * are taken as {@code q - 8}; Q4_K's as they are (0 to 15), each sub-block's scale {@code d·sc}
 * decoded once per batch, and its minimums ({@code dmin·m} times the activations' block sums)
 * summed apart and subtracted at the end ({@link #subtractMinimums}), as llama.cpp keeps them.
 *
 * <p>Why: a 16-bit multiply does twice the products of a float multiply-add in a register, and its
 * adds run on other pipes. The float kernel is bound by the multiply-add pipes (about 80% of
 * their peak); llama.cpp goes past that peak with 8-bit VNNI, which the Vector API lacks. JMH
 * (5632×2048, 128 tokens, 1 thread, in cache, per-fork best, alternated): 14.4-16.1 ms against
 * 17.6-19.4 (one 24.9) for the float kernel. On an Intel Xeon (Emerald Rapids) host the two
 * were even: 27.6-32.7 ms for this kernel on Q4_0, 27.0-28.6 for the float kernel on Q6_K, and an
 * integer Q4_K kernel built the same way ran no faster than the float path there. On an AMD EPYC
 * (Zen 4) host Q4_K gains: JMH 5632×2048 Q4_K, 128 tokens, 1 thread, in cache, alternated with
 * the float path: 18.5-23.3 ms against 21.0-26.7; TinyLlama-shape Q4_K_M prefill (128 tokens),
 * five alternated pairs, median 63.3 → 69.3 tok/s at 1 thread, 104.4 → 116.8 at 2 (its Q6_K
 * tensors stay on the float path: 16 products of {@code |q - 32| ≤ 32} overflow a short lane).
 *
 * <p>The register tile is 4 rows × {@code TOKENS}: 8 short accumulators for a block, 8 float ones
 * for the whole row, so nothing goes through memory between blocks. (An 8-row tile needs 32
 * registers before its inputs; keeping its float sums in a memory tile, reloaded every block, was
 * no faster than the float kernel.)
 *
 * <p>Layout: a short lane pair {@code (2j, 2j+1)} holds token {@code j}'s quants of columns
 * {@code 2p} and {@code 2p+1} ({@link #pack}); the weight side broadcasts one int holding row r's
 * quants of the same two columns ({@link #decode}, {@link #decodeQ4K}). Each lane adds 16 products
 * of a block: {@code |q - 8| ≤ 8} or {@code q ≤ 15} times {@code |x| ≤ 127}, at most 30480, exact
 * in 16 bits. An int lane holds its token's two column sums h (high half) and l; they are summed
 * as {@code (v >> 16) + ((v << 16) >> 16)}, each half sign-extended on its own, because a Q4_K
 * pair reaches 60960, past 16 bits (the shorter {@code (v + (v << 16)) >> 16} wraps there; Q4_0,
 * whose pairs stay within 32512, measured no slower with the longer form).
 */
final class NibbleGemm {
    private static final int TOKENS = Gemm.TOKENS;

    @SuppressWarnings("unchecked")
    private static final Class<? extends ByteVector> B128 = (Class<? extends ByteVector>) ByteVector.SPECIES_128.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<? extends ShortVector> S256 = (Class<? extends ShortVector>) ShortVector.SPECIES_256.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<? extends FloatVector> F256 = (Class<? extends FloatVector>) FloatVector.SPECIES_256.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<? extends IntVector> I256 = (Class<? extends IntVector>) IntVector.SPECIES_256.vectorType();

    private NibbleGemm() {
    }

    /** Shorts the packed quants of {@code n} tokens of {@code cols} take. */
    static int packedSize(int n, int cols) {
        return Gemm.blocks(n) * cols * TOKENS;
    }

    /** Floats the packed scales (and Q4_K's minimum terms) of {@code n} tokens of {@code cols} take. */
    static int scalesSize(int n, int cols) {
        return Gemm.blocks(n) * (cols / 32) * TOKENS;
    }

    /**
     * Packs token block {@code blk} of rows rounded to 8-bit quants ({@code q}, one scale per
     * {@code group} in {@code scales}: 32 for Q8_0, 256 for Q8_K; {@code n} rows of {@code cols}):
     * per column pair {@code p}, {@code TOKENS} pairs {@code xq[base + 2·TOKENS·p + 2j + c] = q[t_j][2p + c]};
     * per 32-block {@code b}, {@code xd[(blk·cols/32 + b)·TOKENS + j]} is token j's scale of that
     * block, and, where {@code xm} is not null, {@code xm} at the same place is that scale times
     * the block's sum of quants (an exact integer), which Q4_K's minimums multiply
     * ({@link #subtractMinimums}). Zero past the last token.
     */
    static void pack(byte[] q, float[] scales, int group, int n, int cols, int blk, short[] xq, float[] xd, float[] xm) {
        int t0 = blk * TOKENS;
        int valid = Math.min(TOKENS, n - t0);
        int base = blk * cols * TOKENS;
        int nb = cols / 32;
        for (int j = 0; j < TOKENS; j++) {
            int src = (t0 + j) * cols;
            for (int k = 0; k < cols; k++) {
                xq[base + (k >> 1) * 2 * TOKENS + 2 * j + (k & 1)] = j < valid ? q[src + k] : 0;
            }
            for (int b = 0; b < nb; b++) {
                float d = j < valid ? scales[(src + 32 * b) / group] : 0;
                xd[(blk * nb + b) * TOKENS + j] = d;
                if (xm != null) {
                    int sum = 0;
                    for (int k = 0; k < 32 && j < valid; k++) {
                        sum += q[src + 32 * b + k];
                    }
                    xm[(blk * nb + b) * TOKENS + j] = d * sum;
                }
            }
        }
    }

    /**
     * Decodes {@code nr} Q4_0 rows of {@code cols} from {@code off} of {@code seg}: {@code w[r·cols/2 + p]}
     * holds {@code q - 8} of columns {@code 2p} (low half) and {@code 2p+1} (high half), {@code d[r·cols/32 + b]}
     * block b's scale.
     */
    static void decode(MemorySegment seg, long off, int nr, int cols, int[] w, float[] d) {
        int nb = cols / 32;
        for (int r = 0; r < nr; r++) {
            for (int b = 0; b < nb; b++) {
                long bo = off + 18L * (r * nb + b);
                d[r * nb + b] = Simd.f16At(seg, bo);
                // the 16 quant bytes widened to shorts: low nibbles are elements 0-15, high ones 16-31, and
                // shorts in natural order are the int pairs (2p, 2p+1), little-endian
                // (cast to their exact classes for the reason Simd.F_VECTOR gives: these 128- and 256-bit shapes are
                // the kind that polluted the 512-bit kernels' shared profiles, and theirs are polluted in turn)
                ShortVector q = S256.cast(B128.cast(ByteVector.fromMemorySegment(ByteVector.SPECIES_128, seg, bo + 2, Simd.LE))
                        .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0));
                int wo = r * (cols / 2) + 16 * b;
                I256.cast(q.and((short) 0xF).sub((short) 8).reinterpretAsInts()).intoArray(w, wo);
                I256.cast(q.lanewise(VectorOperators.ASHR, 4).and((short) 0xF).sub((short) 8).reinterpretAsInts()).intoArray(w, wo + 8);
            }
        }
    }

    /**
     * Decodes {@code nr} Q4_K rows of {@code cols} from {@code off} of {@code seg} as {@link #decode}
     * does Q4_0's, with the quants as they are (0 to 15), {@code d[r·cols/32 + b]} the super-block's
     * d times sub-block b's 6-bit scale and {@code m[r·cols/32 + b]} its dmin times b's 6-bit minimum:
     * weight = d·q - m, so a row's product is {@link #panel}'s sums less {@link #subtractMinimums}'.
     */
    static void decodeQ4K(MemorySegment seg, long off, int nr, int cols, int[] w, float[] d, float[] m) {
        int supers = cols / 256;
        for (int r = 0; r < nr; r++) {
            for (int sb = 0; sb < supers; sb++) {
                long bo = off + 144L * (r * supers + sb);
                // d, dmin and the 12 scale bytes in one load, the 6-bit scales and minimums unpacked in one
                // register as the decode's dot does, then times d and dmin eight at a time
                ByteVector head = B128.cast(ByteVector.fromMemorySegment(ByteVector.SPECIES_128, seg, bo, Simd.LE));
                long h0 = head.reinterpretAsLongs().lane(0);
                ByteVector sixBits = KQuantDots.q4kSixBits(head);
                int b0 = r * (cols / 32) + 8 * sb;
                F256.cast(sixBits.convertShape(VectorOperators.B2F, FloatVector.SPECIES_256, 0)).mul(Float.float16ToFloat((short) h0))
                        .intoArray(d, b0);
                F256.cast(sixBits.convertShape(VectorOperators.B2F, FloatVector.SPECIES_256, 1)).mul(Float.float16ToFloat((short) (h0 >>> 16)))
                        .intoArray(m, b0);
                // each 32 quant bytes hold two sub-blocks: low nibbles the first, high nibbles the second
                for (int j = 0; j < 4; j++) {
                    int wo = r * (cols / 2) + 128 * sb + 32 * j;
                    for (int h = 0; h < 2; h++) {
                        ShortVector q = S256.cast(B128.cast(ByteVector.fromMemorySegment(ByteVector.SPECIES_128, seg,
                                bo + 16 + 32 * j + 16 * h, Simd.LE)).convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0));
                        I256.cast(q.and((short) 0xF).reinterpretAsInts()).intoArray(w, wo + 8 * h);
                        I256.cast(q.lanewise(VectorOperators.ASHR, 4).and((short) 0xF).reinterpretAsInts()).intoArray(w, wo + 16 + 8 * h);
                    }
                }
            }
        }
    }

    /**
     * Q4_K's minimum terms, {@code Σ_b m[i·cols/32 + b] · xm[b]} per token, subtracted from row i's
     * lanes of the tile {@link #panel} filled for token block {@code blk}: a separate sum, as
     * llama.cpp keeps its minimums' sum apart from the scaled products' before it subtracts it.
     */
    static void subtractMinimums(float[] m, int nr, int cols, float[] xm, int blk, float[] tile) {
        int nb = cols / 32;
        for (int i = 0; i < nr; i++) {
            FloatVector s0 = F_VECTOR.cast(FloatVector.zero(F));
            FloatVector s1 = s0;
            for (int b = 0; b < nb; b++) {
                int so = (blk * nb + b) * TOKENS;
                FloatVector mb = F_VECTOR.cast(FloatVector.broadcast(F, m[i * nb + b]));
                s0 = F_VECTOR.cast(FloatVector.fromArray(F, xm, so)).fma(mb, s0);
                s1 = F_VECTOR.cast(FloatVector.fromArray(F, xm, so + L)).fma(mb, s1);
            }
            F_VECTOR.cast(FloatVector.fromArray(F, tile, i * TOKENS)).sub(s0).intoArray(tile, i * TOKENS);
            F_VECTOR.cast(FloatVector.fromArray(F, tile, i * TOKENS + L)).sub(s1).intoArray(tile, i * TOKENS + L);
        }
    }

    /**
     * {@code out[t·outCols + r0 + i] = w_i · x_t} for panel rows i &lt; nr decoded by {@link #decode}
     * (with {@code m} and {@code xm} null) or {@link #decodeQ4K} (with its minimums {@code m} and
     * the packed {@code xm}), and every token t &lt; n packed by {@link #pack}; {@code tile} is
     * scratch of at least {@code ROWS·TOKENS} floats.
     */
    static void panel(int[] w, float[] d, float[] m, int nr, int cols, short[] xq, float[] xd, float[] xm, int n, float[] out,
            int outCols, int r0, float[] tile) {
        for (int blk = 0; blk < Gemm.blocks(n); blk++) {
            int i = 0;
            for (; i + 4 <= nr; i += 4) {
                kernel4(w, d, i, cols, xq, xd, blk, tile);
            }
            for (; i < nr; i++) {
                kernel1(w, d, i, cols, xq, xd, blk, tile);
            }
            if (m != null) {
                subtractMinimums(m, nr, cols, xm, blk, tile);
            }
            Gemm.writeTile(tile, nr, n, blk, out, outCols, r0);
        }
    }

    /** Row {@code r} of the panel against token block {@code blk}, into {@code tile[r·TOKENS ..]}: the panel's remainder rows. */
    private static void kernel1(int[] w, float[] d, int r, int cols, short[] xq, float[] xd, int blk, float[] tile) {
        int nb = cols / 32;
        int half = cols / 2;
        FloatVector f0 = F_VECTOR.cast(FloatVector.zero(F));
        FloatVector f1 = f0;
        for (int b = 0; b < nb; b++) {
            int xo = (blk * nb + b) * 32 * TOKENS;
            int wo = r * half + 16 * b;
            ShortVector c0 = SW_VECTOR.cast(ShortVector.zero(SW));
            ShortVector c1 = c0;
            for (int p = 0; p < 16; p++) {
                int xp = xo + p * 2 * TOKENS;
                ShortVector q = I_VECTOR.cast(IntVector.broadcast(I, w[wo + p])).reinterpretAsShorts();
                c0 = SW_VECTOR.cast(ShortVector.fromArray(SW, xq, xp)).mul(q).add(c0);
                c1 = SW_VECTOR.cast(ShortVector.fromArray(SW, xq, xp + 2 * L)).mul(q).add(c1);
            }
            int so = (blk * nb + b) * TOKENS;
            float dw = d[r * nb + b];
            IntVector v;
            v = I_VECTOR.cast(SW_VECTOR.cast(c0).reinterpretAsInts());
            f0 = F_VECTOR.cast(v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(F_VECTOR.cast(FloatVector.fromArray(F, xd, so)).mul(dw), f0);
            v = I_VECTOR.cast(SW_VECTOR.cast(c1).reinterpretAsInts());
            f1 = F_VECTOR.cast(v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(F_VECTOR.cast(FloatVector.fromArray(F, xd, so + L)).mul(dw), f1);
        }
        F_VECTOR.cast(f0).intoArray(tile, r * TOKENS);
        F_VECTOR.cast(f1).intoArray(tile, r * TOKENS + L);
    }

    /**
     * Rows {@code r..r+3} of the panel against token block {@code blk}, into their tile lanes: per
     * block, 8 short accumulators of pair sums, then scaled into 8 float ones, all in registers.
     * Loads, conversions and accumulators past their loops are cast to their exact classes
     * ({@link Simd#F_VECTOR}), and inside a loop the accumulator is the argument, never the
     * receiver ({@code x.mul(q).add(c)}: C2 types a loop's accumulator by its declared class), so
     * that C2 binds every operation directly, whatever the JDK's shared vector methods have profiled.
     */
    private static void kernel4(int[] w, float[] d, int r, int cols, short[] xq, float[] xd, int blk, float[] tile) {
        int nb = cols / 32;
        int half = cols / 2;
        FloatVector f00 = F_VECTOR.cast(FloatVector.zero(F));
        FloatVector f01 = f00, f10 = f00, f11 = f00, f20 = f00, f21 = f00, f30 = f00, f31 = f00;
        for (int b = 0; b < nb; b++) {
            int xo = (blk * nb + b) * 32 * TOKENS;
            int wo = r * half + 16 * b;
            ShortVector c00 = SW_VECTOR.cast(ShortVector.zero(SW));
            ShortVector c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            for (int p = 0; p < 16; p++) {
                int xp = xo + p * 2 * TOKENS;
                ShortVector x0 = SW_VECTOR.cast(ShortVector.fromArray(SW, xq, xp));
                ShortVector x1 = SW_VECTOR.cast(ShortVector.fromArray(SW, xq, xp + 2 * L));
                ShortVector q = I_VECTOR.cast(IntVector.broadcast(I, w[wo + p])).reinterpretAsShorts();
                c00 = x0.mul(q).add(c00);
                c01 = x1.mul(q).add(c01);
                q = I_VECTOR.cast(IntVector.broadcast(I, w[half + wo + p])).reinterpretAsShorts();
                c10 = x0.mul(q).add(c10);
                c11 = x1.mul(q).add(c11);
                q = I_VECTOR.cast(IntVector.broadcast(I, w[2 * half + wo + p])).reinterpretAsShorts();
                c20 = x0.mul(q).add(c20);
                c21 = x1.mul(q).add(c21);
                q = I_VECTOR.cast(IntVector.broadcast(I, w[3 * half + wo + p])).reinterpretAsShorts();
                c30 = x0.mul(q).add(c30);
                c31 = x1.mul(q).add(c31);
            }
            int so = (blk * nb + b) * TOKENS;
            FloatVector s0 = F_VECTOR.cast(FloatVector.fromArray(F, xd, so));
            FloatVector s1 = F_VECTOR.cast(FloatVector.fromArray(F, xd, so + L));
            int db = r * nb + b;
            // each block's sums to floats written out, not in a helper: C2 stops inlining this method's own
            // calls past a size budget (the Vector API's are always inlined), and a vector crossing a call is boxed
            IntVector v;
            v = I_VECTOR.cast(SW_VECTOR.cast(c00).reinterpretAsInts());
            f00 = F_VECTOR.cast(v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(s0.mul(d[db]), f00);
            v = I_VECTOR.cast(SW_VECTOR.cast(c01).reinterpretAsInts());
            f01 = F_VECTOR.cast(v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(s1.mul(d[db]), f01);
            v = I_VECTOR.cast(SW_VECTOR.cast(c10).reinterpretAsInts());
            f10 = F_VECTOR.cast(v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(s0.mul(d[nb + db]), f10);
            v = I_VECTOR.cast(SW_VECTOR.cast(c11).reinterpretAsInts());
            f11 = F_VECTOR.cast(v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(s1.mul(d[nb + db]), f11);
            v = I_VECTOR.cast(SW_VECTOR.cast(c20).reinterpretAsInts());
            f20 = F_VECTOR.cast(v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(s0.mul(d[2 * nb + db]), f20);
            v = I_VECTOR.cast(SW_VECTOR.cast(c21).reinterpretAsInts());
            f21 = F_VECTOR.cast(v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(s1.mul(d[2 * nb + db]), f21);
            v = I_VECTOR.cast(SW_VECTOR.cast(c30).reinterpretAsInts());
            f30 = F_VECTOR.cast(v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(s0.mul(d[3 * nb + db]), f30);
            v = I_VECTOR.cast(SW_VECTOR.cast(c31).reinterpretAsInts());
            f31 = F_VECTOR.cast(v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(s1.mul(d[3 * nb + db]), f31);
        }
        int to = r * TOKENS;
        F_VECTOR.cast(f00).intoArray(tile, to);
        F_VECTOR.cast(f01).intoArray(tile, to + L);
        F_VECTOR.cast(f10).intoArray(tile, to + TOKENS);
        F_VECTOR.cast(f11).intoArray(tile, to + TOKENS + L);
        F_VECTOR.cast(f20).intoArray(tile, to + 2 * TOKENS);
        F_VECTOR.cast(f21).intoArray(tile, to + 2 * TOKENS + L);
        F_VECTOR.cast(f30).intoArray(tile, to + 3 * TOKENS);
        F_VECTOR.cast(f31).intoArray(tile, to + 3 * TOKENS + L);
    }
}
