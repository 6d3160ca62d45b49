package dev.llamaj.core.kernels.vector;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntBinaryOperator;
import java.util.function.IntUnaryOperator;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes the kernels use, all with the same lane count {@link #L}: floats and ints
 * fill the preferred register (16 lanes with AVX-512), shorts half of one, bytes a quarter, so
 * that widening byte → short → int keeps lanes aligned and 32-element blocks split evenly.
 *
 * <p>Hot loops write their vector expressions out in place rather than calling small helpers:
 * C2 gave up inlining such helpers inside large kernels ("callee uses too much stack"), and a
 * vector operation that is not inlined falls back to boxed Java code, 100× slower.
 */
final class Simd {
    /** {@code /proc/cpuinfo}'s lines (Linux), read once for every question put to it; empty where it is absent or unreadable. */
    private static final List<String> CPU_INFO = readCpuInfo();
    static final VectorSpecies<Float> F = species(FloatVector.SPECIES_PREFERRED, cpuFlags());
    static final int L = F.length();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    /** Ints over the bytes of a {@link #B} register: x86 shifts 32-bit lanes but has no byte or reliable short shift. */
    static final VectorSpecies<Integer> IB = VectorSpecies.of(int.class, B.vectorShape());
    /**
     * Whether registers hold 512 bits, so that the dots with products in 16-bit lanes run (Q4_0,
     * Q4_K, Q6_K: 32 shorts per register, pair sums into 16 int lanes); narrower registers keep the
     * float-domain dots.
     */
    static final boolean SHORT_PRODUCTS = L == 16;
    /** Shorts filling a whole register (32 with AVX-512), for the {@link #SHORT_PRODUCTS} dots. */
    static final VectorSpecies<Short> SW = VectorSpecies.of(short.class, F.vectorShape());
    /**
     * The concrete classes of the vectors of {@link #F}, {@link #SW}, {@link #I}, {@link #B},
     * {@link #IB} and {@link #BW}, for the kernels and decoders to cast their loads and conversions
     * to: C2 turns {@code Class.cast} of a constant class into a type check, and the class is
     * final, so every operation on the value is a direct call. Why: a load's exact type
     * is known only once the Vector API intrinsics are inlined, which C2 does late, after it has
     * chosen how to call the operations on it; until then it reads the receiver types that the
     * JDK's shared vector methods (e.g. {@code FloatVector.fma}) have profiled, for all callers
     * together. When the 256-bit vectors of other kernels made more than 10% of those, C2 compiled
     * both classes' code and merged their results as boxed objects: about 1 process in 15
     * prefilled TinyLlama Q4_K_M at 3 tok/s instead of 80 (LogCompilation: in {@link Gemm}'s
     * kernel, {@code FloatVector.fma} saw {@code Float512Vector} 89.2%, {@code Float256Vector} 10.7%).
     */
    @SuppressWarnings("unchecked")
    static final Class<? extends FloatVector> F_VECTOR = (Class<? extends FloatVector>) F.vectorType();
    @SuppressWarnings("unchecked")
    static final Class<? extends ShortVector> SW_VECTOR = (Class<? extends ShortVector>) SW.vectorType();
    @SuppressWarnings("unchecked")
    static final Class<? extends IntVector> I_VECTOR = (Class<? extends IntVector>) I.vectorType();
    @SuppressWarnings("unchecked")
    static final Class<? extends ByteVector> B_VECTOR = (Class<? extends ByteVector>) B.vectorType();
    @SuppressWarnings("unchecked")
    static final Class<? extends IntVector> IB_VECTOR = (Class<? extends IntVector>) IB.vectorType();
    /**
     * Bytes that widen to {@link #SW}'s shorts (half a register): the Q4_0 and Q4_K dots keep their
     * activation quants as bytes and widen them as they load them ({@code vpmovsxbw}). Those two
     * read the most activation bytes per weight byte (Q4_0 as shorts: 256 + 128 bytes of offsets
     * and scales per 72), and with the weights streaming in from memory, halving that traffic
     * (L1 loads and lines) was worth far more than the widening: JMH Q4_0 n=1 from DRAM,
     * 2048×5632 387-430 µs against 736-815, 1024×11008 430-522 against 870-925, 5632×2048
     * 368-371 against 425-433; in cache 3% slower. Q4_K 4-10% faster. Q8_0 and Q6_K, at 2 and
     * 2.4 activation bytes per weight byte, were 2-6% slower with bytes and kept shorts, until the
     * Q8_0 dot took four blocks per pass ({@link BlockDots#Q8_0_QUADS}), which read Q4_0's bytes,
     * and now reads them widened once per token ({@link RoundedRows#q8_0Quads}).
     */
    static final VectorSpecies<Byte> BW = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 16));
    /** {@link #BW}'s vector class (see {@link #F_VECTOR}). */
    @SuppressWarnings("unchecked")
    static final Class<? extends ByteVector> BW_VECTOR = (Class<? extends ByteVector>) BW.vectorType();
    /**
     * In an int view of two short lanes, the low nibble of each: what the {@link #SHORT_PRODUCTS} dots multiply.
     * The top nibble of each short needs no mask: a logical shift of the short lanes by 12 leaves it alone.
     */
    static final int LOW_NIBBLES = 0x000F000F;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /*
     * A lane sum in one fixed order (a pairwise tree), the same interpreted and compiled, written
     * out where a kernel ends, narrowing to 8 and 4 lanes as it goes:
     *
     *     acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
     *     acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
     *     acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
     *     float sum = acc.lane(0) + acc.lane(1);
     *
     * reduceLanes(ADD) has no fixed order: on JDK 25 the interpreter and C1 add lanes first to
     * last and C2 as a tree, which differ in the last bits for about two thirds of random vectors,
     * so a kernel's results changed once C2 compiled it (the same prompt gave different logits
     * early and late in a process; golden differences moved from run to run).
     *
     * Written out rather than a helper: C2 refused to inline even a 20-byte helper at the end of
     * the larger kernels (NodeCountInliningCutoff), and a vector passed to a call is boxed. Cost,
     * JMH 5632x2048 in cache: none measurable for Q4_0, about 2% for Q4_K, whose rows are short.
     * (A full-width tree with masks for narrower registers cost 4-8% on both; one without masks
     * 3-5%; upper halves taken by reinterpretShape(.., 1), which C2 compiles to index arithmetic
     * with vpmulld, 5% on Q4_K.)
     * The vector kernels need at least 256-bit registers ({@link #B} has no 32-bit shape).
     */
    /**
     * The {@link #L} floats at {@code a[o..]} summed in the order of the lane tree above ({@link #XOR_8},
     * {@link #XOR_4_OF_8}, {@link #XOR_2_OF_4}, then lanes 0 and 1): bit for bit what that tree gives for
     * a vector of them, for kernels that finish several rows' accumulators at once.
     */
    static float laneSum(float[] a, int o) {
        float s0;
        float s1;
        float s2;
        float s3;
        if (L > 8) {
            s0 = (a[o] + a[o + 8]) + (a[o + 4] + a[o + 12]);
            s1 = (a[o + 1] + a[o + 9]) + (a[o + 5] + a[o + 13]);
            s2 = (a[o + 2] + a[o + 10]) + (a[o + 6] + a[o + 14]);
            s3 = (a[o + 3] + a[o + 11]) + (a[o + 7] + a[o + 15]);
        } else {
            s0 = a[o] + a[o + 4];
            s1 = a[o + 1] + a[o + 5];
            s2 = a[o + 2] + a[o + 6];
            s3 = a[o + 3] + a[o + 7];
        }
        return (s0 + s2) + (s1 + s3);
    }

    /** The 8 floats at {@code a[o..]} summed as {@link #laneSum} sums the last two levels of the tree ({@link #XOR_4_OF_8}, {@link #XOR_2_OF_4}, lanes 0 and 1). */
    static float laneSum8(float[] a, int o) {
        return ((a[o] + a[o + 4]) + (a[o + 2] + a[o + 6])) + ((a[o + 1] + a[o + 5]) + (a[o + 3] + a[o + 7]));
    }

    /** Lane i takes lane i ^ 8 (16 lanes only), then i ^ 4 of the low 8, then i ^ 2 of the low 4. */
    static final VectorShuffle<Float> XOR_8 = VectorShuffle.fromOp(F, i -> (i ^ 8) % L);
    static final VectorShuffle<Float> XOR_4_OF_8 = VectorShuffle.fromOp(FloatVector.SPECIES_256, i -> i ^ 4);
    static final VectorShuffle<Float> XOR_2_OF_4 = VectorShuffle.fromOp(FloatVector.SPECIES_128, i -> i ^ 2);
    static final VectorSpecies<Float> HALF_8 = FloatVector.SPECIES_256;
    static final VectorSpecies<Float> HALF_4 = FloatVector.SPECIES_128;

    private Simd() {
    }

    /**
     * The float species the kernels use: the preferred one, except 512 bits on a CPU whose flags
     * ({@code cpuFlags}, null when unknown) lack {@code avx512vbmi}. The 512-bit kernels permute
     * bytes across the whole register ({@code vpermb}, {@code vpermi2b}), which needs AVX512_VBMI;
     * without it (Intel Skylake-SP, Cascade Lake) C2 cannot compile those operations and runs them
     * as boxed Java code, far slower than 256-bit kernels, whose byte shuffles AVX2 has.
     */
    static VectorSpecies<Float> species(VectorSpecies<Float> preferred, String cpuFlags) {
        if (preferred.vectorBitSize() > 512) {
            // wider SVE registers: the kernels' layouts and lane sums are written for at most 16 floats
            return FloatVector.SPECIES_512;
        }
        if (preferred.vectorBitSize() == 512 && cpuFlags != null && !cpuFlags.contains(" avx512vbmi ")) {
            return FloatVector.SPECIES_256;
        }
        return preferred;
    }

    /** Whether {@link #F} is narrower than the preferred species ({@link #species}): said in the provider's description. */
    static boolean narrowedForByteShuffles() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512 && F.vectorBitSize() < 512;
    }

    /** Whether {@code /proc/cpuinfo} names an Intel CPU: the choices that differ by vendor read it. */
    static final boolean INTEL = "GenuineIntel".equals(cpuVendor());

    /**
     * Whether the one-row Q4_0, Q4_K and Q6_K dots sum their 16-bit pairs into int lanes as
     * {@code v·0x10001 >> 16} (one {@code vpmulld}) rather than {@code (v + (v << 16)) >> 16} (a shift
     * and an add): the same bits, as {@code v·0x10001} is {@code v + (v << 16)} mod 2^32. Not on
     * Intel cores, where a 512-bit {@code vpmulld} is two micro-ops on the port the shifts,
     * 16-bit multiplies and conversions already crowd. The one-row Q4_0 loop, in cache, same JVM,
     * alternated, best of 30 (an Intel Xeon with AMX, 2 vCPUs), ns per 128 weights, multiply
     * against shift and add: 7.70 / 7.42, 9.01 / 7.33, 11.52 / 9.40, 12.05 / 10.45, 9.05 / 7.31.
     * On an AMD EPYC (Zen 5) the multiply was the faster (JMH 5632x2048, 1 thread, in cache: Q4_0
     * 303 -> 291 us, Q4_K 350 -> 334, Q6_K 499 -> 466).
     */
    static final boolean PAIR_SUMS_BY_MULTIPLY = !INTEL;

    /** The CPU's flags as {@code /proc/cpuinfo} lists them (Linux), padded with spaces; null where that file is absent or unreadable. */
    private static String cpuFlags() {
        String flags = cpuInfo("flags");
        return flags == null ? null : " " + flags + " ";
    }

    /** The CPU's vendor as {@code /proc/cpuinfo} names it ({@code GenuineIntel}, {@code AuthenticAMD}); null where unknown. */
    static String cpuVendor() {
        return cpuInfo("vendor_id");
    }

    /** The value of the first {@code key} line of {@link #CPU_INFO}; null where there is none. */
    private static String cpuInfo(String key) {
        for (String line : CPU_INFO) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static List<String> readCpuInfo() {
        try {
            return List.copyOf(Files.readAllLines(Path.of("/proc/cpuinfo")));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /**
     * {@code n} F16 values at {@code off} of {@code seg} into {@code out} from {@code o}, exactly
     * (subnormals included, so no subnormal float reaches a multiply: Intel cores take a microcode
     * assist for each FMA with a subnormal operand, 1.7 ns per 32 elements with none and 4.9 ns with
     * 0.2% of them on this project's Xeon, and a real layer's F16 weights are 0.2-0.3% subnormal).
     * A plain loop: C2 compiles it to {@code vcvtph2ps}, 16 per instruction. The Vector API has no
     * F16 conversion; the former bit-twiddling read took eight instructions per 16.
     */
    static void f16Row(MemorySegment seg, long off, float[] out, int o, int n) {
        for (int k = 0; k < n; k++) {
            out[o + k] = Float.float16ToFloat(seg.get(SHORT, off + 2L * k));
        }
    }

    /**
     * {@code n} BF16 values ({@code n} a multiple of {@link #L}) at {@code off} of {@code seg} into
     * {@code out} from {@code o}, through {@link #bf16}: C2 (JDK 25) does not vectorize a plain
     * {@code Float.intBitsToFloat} loop.
     */
    static void bf16Row(MemorySegment seg, long off, float[] out, int o, int n) {
        for (int k = 0; k < n; k += L) {
            bf16(seg, off + 2L * k).intoArray(out, o + k);
        }
    }

    /**
     * {@link #L} F16 values at {@code off} of {@code seg} times 2^-112, exactly: each F16's bits moved
     * into a float's place (sign-extended to an int, shifted left by 13, the copies of the sign in
     * bits 28-30 masked off) read as a float, whose exponent bias is 112 more. Three instructions;
     * the attention's F16 cache reads multiply by queries scaled by 2^112 instead. An F16 subnormal
     * becomes a subnormal float here, which costs Intel cores an assist ({@link #f16Row}).
     */
    static FloatVector f16Down(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, off, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 13).and(F16_IN_FLOAT).reinterpretAsFloats();
    }

    /**
     * An F16 moved into a float's place (its sign at bit 31, its 15 other bits at 13-27, as
     * {@link #f16Down} and the kernels that write it out place it): this mask keeps the sign and
     * those 15 bits, and clears bits 28-30 (copies of the sign from a sign extension or an
     * arithmetic shift) and 0-12 (below the F16's last bit).
     */
    static final int F16_IN_FLOAT = 0x8FFFE000;

    /**
     * How far ahead of its loads a one-row decode kernel reads one byte of the weights, each
     * block: a plain load, the Java stand-in for a prefetch instruction. On an AMD EPYC (Zen 5)
     * host the one-row Q4_0 and Q8_0 dots, streaming from DRAM, read well under what the core can
     * (a plain vector loop reads 40 GB/s, these 10-17), and a byte read 1 KB ahead brought them
     * close to their in-cache speed. JMH, 1 thread, from DRAM, us/op without / with: Q4_0 4096x4096
     * 904 / 616 (768 B ahead 630, 2048 B 658, 512 B 874: no gain), Q8_0 4096x4096 1433 / 853,
     * Q8_0 5632x2048 967 / 580 (768 B 684, 1280 B 1020: none; an odd edge, not understood), Q4_0
     * 5632x2048 415 / 410 (already near its in-cache 306). Through {@code llama bench}, alternated:
     * Llama-2-7B Q4_0 decode, 2 threads, 6.1-6.5 / 7.2-7.4 tok/s; TinyLlama Q8_0, 1 thread,
     * 13.3-13.8 / 19.5-20.3; but TinyLlama Q4_0, 1 thread, 28.7-34.4 / 26.1-26.5, slower. So the
     * kernels read ahead only in rows of 2 KB or more (TinyLlama's Q4_0 rows are 1152 bytes, its
     * Q8_0 rows 2176, Llama-2-7B's Q4_0 rows 2304 and 6192): a rule fitted to these four cases, not
     * a model of the prefetchers. Not measured on an Intel host.
     */
    static final long READ_AHEAD = 1024;

    /**
     * The shortest row (in bytes) whose one-row Q4_0 and Q8_0 dots read ahead ({@link #READ_AHEAD}).
     * Shorter rows run a loop without it: the byte read, though an L1 hit, cost them 16% in cache.
     */
    static final long READ_AHEAD_MIN_ROW = 2048;

    /** {@link #L} BF16 values at {@code off} of {@code seg} as floats. */
    static FloatVector bf16(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, off, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * One int vector per pass {@code t < passes}, lane {@code j} holding {@code lane(t, j)}: the
     * per-lane shift and rotation tables the dot kernels build once.
     */
    static IntVector[] perPass(int passes, IntBinaryOperator lane) {
        IntVector[] table = new IntVector[passes];
        for (int t = 0; t < passes; t++) {
            int[] values = new int[L];
            for (int j = 0; j < L; j++) {
                values[j] = lane.applyAsInt(t, j);
            }
            table[t] = IntVector.fromArray(I, values, 0);
        }
        return table;
    }

    /**
     * Indexes for a two-register byte permute ({@code ByteVector.selectFrom(v1, v2)}, {@code vpermi2b})
     * with 512-bit registers: result byte {@code n} is byte {@code source(n)} of the 128 bytes of
     * {@code v1} then {@code v2}. The quad dots and their activation layouts build their tables here.
     */
    static ByteVector pairPermute(IntUnaryOperator source) {
        byte[] index = new byte[64];
        for (int n = 0; n < 64; n++) {
            int i = source.applyAsInt(n);
            if (i < 0 || i >= 128) {
                throw new IllegalStateException("permute byte " + n + " takes byte " + i + " of two registers");
            }
            index[n] = (byte) i;
        }
        return ByteVector.fromArray(ByteVector.SPECIES_512, index, 0);
    }

    static float f16At(MemorySegment seg, long off) {
        return Float.float16ToFloat(seg.get(SHORT, off));
    }

    static float bf16At(MemorySegment seg, long off) {
        return Float.intBitsToFloat((seg.get(SHORT, off) & 0xffff) << 16);
    }
}
