package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.F;
import static dev.llamaj.core.kernels.vector.Simd.L;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.Kernels;
import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;
import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.core.tensor.TensorFormat;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** The vector provider's operations. Loaded only when the Vector API is present (see {@link VectorKernelProvider}). */
public final class VectorKernels implements Kernels {
    /** Weight rows kept hot in cache while every token of a batch passes over them. */
    private static final int ROW_TILE = 16;
    /**
     * How a token's matrix-vector product reads a thread's rows: 0 (the default), by format, four
     * runs far apart side by side ({@link RowDot#dot4}) where the format says so
     * ({@link RowDot#runsSideBySide}: Q4_0 and Q8_0 at 512 bits, whose dots keep four sums in
     * registers; F16, in one pass or converted, {@link FloatDots#f16Runs}; BF16 on Intel cores,
     * {@link FloatDots#CONVERTED_RUNS}), one row
     * after another, front to back, elsewhere; 1 or 4 ({@code -Dllamaj.decode.runs}) for every format.
     *
     * <p>Four runs were the faster on the project's Intel Xeon (Emerald Rapids) host, when the row
     * dots of Q4_0 and Q8_0 carried their sums from block to block through a scratch array (a
     * store and a load per 128 weights, whose latency bound one row alone): there one row after
     * another read Q4_0 at 4.4-5.3 GB/s from DRAM, four runs 1.5x faster. On an AMD EPYC (Zen 5)
     * host, where one core reads 40 GB/s, the four runs were the slower by far, and those dots then
     * kept their sums in registers for one row only. JMH 5632x2048 from DRAM, 1 thread, us/op, four
     * runs against one row after another: Q4_0 757 / 377, Q8_0 1358 / 965, Q4_K 837 / 556,
     * Q6_K 2715 / 658, F16 2149 / 1302 (before {@link FloatDots#F16}'s one-pass row dot).
     * On an Intel Xeon with AMX (2 vCPUs), with these dots, four runs were the slower too: Q4_0
     * 5632x2048, 1 thread, 1118 against 923 us in cache, 1622 against 1232 from DRAM. Then Q4_0's
     * and Q8_0's four runs kept their four sums in registers ({@link FourRunDot}), and on that host
     * won: Q4_0 5632x2048, 1 thread, alternated, best iterations, 697-909 against 1028-1183 us
     * from DRAM, 644-853 against 797-1247 in cache; TinyLlama Q4_0 decode 12.8-16.1 against 9.4-10.9
     * tok/s.
     */
    static final int DECODE_RUNS = VectorTuning.decodeRuns(System.getProperty(VectorTuning.DECODE_RUNS_PROPERTY));

    /** Elements below which an element-wise operation is not worth splitting across threads. */
    private static final int ELEMENTWISE_GRAIN = 1 << 14;
    /** Batches from this size on go through the float GEMM kernel, which decodes each weight row once per batch. */
    private static final int GEMM_MIN_TOKENS = 4;
    /**
     * Estimated work of one element of a cheap element-wise operation, in the pool's unit (a
     * multiply-add of a matrix product, about 1/15 ns in a quantized matrix × vector).
     */
    static final long ELEMENT_WORK = 4;
    /** Estimated work of one {@code exp}, {@code sin} or {@code cos} in scalar code. */
    static final long TRANSCENDENTAL_WORK = 64;
    /**
     * System property: operations estimated below this much work run on the calling thread alone
     * (default {@link WorkerPool#DEFAULT_PARALLEL_WORK}; 0 splits every operation). A tuning knob
     * and a way for tests to exercise the split paths on small inputs, not a public option.
     */
    static final String PARALLEL_WORK_PROPERTY = "llamaj.vector.parallelWork";

    private final WorkerPool pool;
    private final RoundedRows rounded = new RoundedRows();
    private final Attention attention;
    /** Per-worker weight rows decoded to floats for the prefill kernel. */
    private final float[][] rowScratch;
    /**
     * Per-worker lanes of one result tile of the prefill kernel, each followed by {@link #TILE_PAD}
     * unused floats: the tiles are allocated back to back, and the kernel rewrites its whole tile
     * every 32 columns, so without the gap one worker's last line and the next one's first shared
     * a cache line in about half the runs (it depends on where the heap put them), and a 2-thread
     * prefill ran at 1-thread speed (TinyLlama Q4_0: 58-70 tok/s in those runs, 100-120 in the others).
     */
    private final float[][] tileScratch;
    /** Two cache lines of floats. */
    private static final int TILE_PAD = 32;
    /** The prefill's activations packed column by column ({@link Gemm#pack}). */
    private float[] packed = new float[0];
    /** The Q4_0 and Q4_K prefill's activation quants, scales and (Q4_K) minimum terms, packed by {@link NibbleGemm#pack}. */
    private short[] packedQuants = new short[0];
    private float[] packedScales = new float[0];
    private float[] packedMinimums = new float[0];
    /** Per-worker Q4_0 and Q4_K weight rows decoded for {@link NibbleGemm}: quant pairs, block scales, (Q4_K) block minimums. */
    private final int[][] pairScratch;
    private final float[][] blockScaleScratch;
    private final float[][] blockMinimumScratch;

    public VectorKernels(int threads) {
        this.pool = new WorkerPool(threads, parallelWork());
        this.attention = new Attention(pool);
        this.rowScratch = new float[pool.threads()][0];
        this.pairScratch = new int[pool.threads()][0];
        this.blockScaleScratch = new float[pool.threads()][0];
        this.blockMinimumScratch = new float[pool.threads()][0];
        this.tileScratch = new float[pool.threads()][Math.max(Gemm.GROUP_ROWS * Gemm.TOKENS + TILE_PAD, RoundedRows.DOT_SCRATCH)];
    }

    private static long parallelWork() {
        String value = System.getProperty(PARALLEL_WORK_PROPERTY);
        if (value == null) {
            return WorkerPool.DEFAULT_PARALLEL_WORK;
        }
        try {
            long work = Long.parseLong(value.trim());
            if (work >= 0) {
                return work;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("system property " + PARALLEL_WORK_PROPERTY + " must be a non-negative integer, got \""
                + value + "\"");
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public int threads() {
        return pool.threads();
    }

    @Override
    public Weights weights(Tensor tensor) {
        if (tensor.rows() >= PRIME_ROWS && multiplies(tensor.type()) && PRIMED.add(tensor.type())) {
            prime(tensor);
        }
        return new VectorWeights(tensor);
    }

    /**
     * A heap segment over each primitive array type, made when this class is initialized, before any
     * kernel is primed (kept in a field only so that making them has a visible effect). The JDK
     * loads a {@code MemorySegment} implementation class when its first segment is made, and C2
     * then throws away every compiled method that had bound a segment read to the classes loaded
     * before: the primed kernels among them, which were recompiled later under a prefill's profiles
     * and ran slower for the rest of the process. The first heap segment came from the Vector
     * API's interpreted {@code reinterpretShape} ({@code MemorySegment.ofArray(byte[])}) in the
     * first RMSNorm, after the priming. TinyLlama F16 decode, 1 thread, after a 128-token
     * prefill: the recompiled F16 kernel called its conversion loop instead of inlining it ("already
     * compiled into a big method") and spent 62% of the time there.
     */
    private static final List<MemorySegment> SEGMENT_KINDS = List.of(MemorySegment.ofArray(new byte[1]),
            MemorySegment.ofArray(new char[1]), MemorySegment.ofArray(new short[1]), MemorySegment.ofArray(new int[1]),
            MemorySegment.ofArray(new float[1]), MemorySegment.ofArray(new long[1]), MemorySegment.ofArray(new double[1]));

    /** Weight formats whose decode kernel this JVM has primed ({@link #prime}). */
    private static final Set<GgmlType> PRIMED = ConcurrentHashMap.newKeySet();
    /** Rows of a format's first matrix the priming products go over (from the mapping: the file's own bytes). */
    private static final int PRIME_ROWS = 256;
    /** Priming times its products in batches of about this long. */
    private static final long PRIME_BATCH_NANOS = 20_000_000L;
    /** The longest a format's priming may take. */
    private static final long PRIME_LIMIT_NANOS = 3_000_000_000L;

    /**
     * Runs a format's decode product (one token) over the first rows of its
     * first matrix until C2 has compiled it, before any prefill can run. Why: C2 compiles the large
     * K-quant kernels with most Vector API calls inlined late, resolving the virtual calls inside
     * the JDK's shared vector methods by their type profiles; when a batched prefill had run other
     * vector shapes through those methods first, some processes (4 of 25 measured) got a kernel
     * whose last operations stayed calls, each boxing its result: Q4_K_M decoded at half speed,
     * allocating 1.3 GB per token. With this, 20 of 20 processes were clean (14 with an 8-token
     * prefill first, 6 with 128). It costs 0.6-1.9 s per format, once per JVM.
     */
    private void prime(Tensor tensor) {
        primeOver(tensor, 1);
        // a dot with a second loop for long rows (RowDot.secondLoopFromRowBytes: the Q4_0 and Q8_0 read ahead; the
        // last rows of a tensor take the first): if priming left it unrun, C2 compiled it as a trap, and the first
        // long row recompiled the kernel mid-run, under whatever profiles a prefill had left (TinyLlama Q4_0,
        // 1 thread: decode 20.6-21.1 tok/s against 26.5-30.1). The same bytes as rows k times as long run it.
        long rowBytes = tensor.rowBytes();
        long longRow = dotFor(tensor.type()).secondLoopFromRowBytes();
        if (rowBytes < longRow) {
            primeOver(tensor, (int) ((longRow + rowBytes - 1) / rowBytes));
        }
    }

    /** {@link #prime} over the first {@link #PRIME_ROWS} rows of {@code tensor}, read as rows {@code k} times as long. */
    private void primeOver(Tensor tensor, int k) {
        long rowBytes = tensor.rowBytes() * k;
        int rowLength = Math.multiplyExact(tensor.rowLength(), k);
        // an odd count: where a token's product reads four runs (DECODE_RUNS), a row is left for the one-row dot too
        int count = Math.max(1, PRIME_ROWS / k - 1);
        Tensor rows = new Tensor(tensor.name(), tensor.type(), new long[] {rowLength, count},
                tensor.data().asSlice(0, rowBytes * count));
        VectorWeights w = new VectorWeights(rows);
        float[] values = new float[rowLength];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 7 - 3) * 0.25f;
        }
        try (Activations x = activations(1, rowLength); Activations out = activations(1, count)) {
            x.write(0, values);
            // C2's code shows as a drop in a batch's time (the Vector API runs boxed, many times slower, until C2
            // compiles it): done once ten batches of ~20 ms in a row have not beaten the best by 10%
            long start = System.nanoTime();
            long best = Long.MAX_VALUE;
            int sinceBest = 0;
            while (sinceBest < 10 && System.nanoTime() - start < PRIME_LIMIT_NANOS) {
                long t0 = System.nanoTime();
                int reps = 0;
                long t;
                do {
                    matmul(out, w, x, 1);
                    reps++;
                    t = System.nanoTime() - t0;
                } while (t < PRIME_BATCH_NANOS);
                long perRep = t / reps;
                if (perRep < best / 10 * 9) {
                    best = perRep;
                    sinceBest = 0;
                } else {
                    sinceBest++;
                    best = Math.min(best, perRep);
                }
            }
        }
    }

    /** Whether these kernels multiply {@code type} weights (the error for one they do not is left to the product). */
    private static boolean multiplies(GgmlType type) {
        try {
            dotFor(type);
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public Activations activations(int rows, int cols) {
        return new VectorActivations(rows, cols);
    }

    @Override
    public KvCache kvCache(int layers, int capacity, int kvDim, KvCacheType type) {
        return new VectorKvCache(layers, capacity, kvDim, type);
    }

    static RowDot dotFor(GgmlType type) {
        return switch (type) {
            case F32 -> FloatDots.F32;
            case F16 -> FloatDots.F16;
            case BF16 -> FloatDots.BF16;
            case Q8_0 -> Simd.SHORT_PRODUCTS ? BlockDots.Q8_0_QUADS : BlockDots.Q8_0;
            case Q4_0 -> Simd.SHORT_PRODUCTS ? BlockDots.Q4_0_QUADS : BlockDots.Q4_0;
            case Q4_1 -> BlockDots.Q4_1;
            case Q5_0 -> BlockDots.Q5_0;
            case Q5_1 -> BlockDots.Q5_1;
            case Q2_K -> KQuantDots.Q2_K;
            case Q3_K -> KQuantDots.Q3_K;
            case Q4_K -> KQuantDots.Q4_K;
            case Q5_K -> KQuantDots.Q5_K;
            case Q6_K -> Simd.SHORT_PRODUCTS ? KQuantDots.Q6_K_SHORTS : KQuantDots.Q6_K;
            default -> throw new UnsupportedOperationException("the vector kernels cannot multiply " + type + " weights");
        };
    }

    static void checkRows(int n, VectorActivations... as) {
        for (VectorActivations a : as) {
            if (n < 0 || n > a.rows()) {
                throw new IndexOutOfBoundsException(n + " rows requested of activations with " + a.rows());
            }
        }
    }

    @Override
    public void embed(Activations out, Weights table, int[] tokens) {
        VectorActivations o = VectorActivations.of(out);
        Tensor t = VectorWeights.of(table).tensor();
        int cols = t.rowLength();
        if (o.cols() != cols || tokens.length > o.rows()) {
            throw new IllegalArgumentException("embedding " + t + " into activations " + o.rows() + " x " + o.cols()
                    + " for " + tokens.length + " tokens");
        }
        TensorFormat format = TensorFormat.of(t.type());
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= t.rows()) {
                throw new IndexOutOfBoundsException("token " + tokens[i] + " outside " + t.name() + " (" + t.rows() + " rows)");
            }
            format.dequantize(t.data(), (long) tokens[i] * cols, o.data, i * cols, cols);
        }
    }

    @Override
    public void matmul(Activations out, Weights w, Activations x, int n) {
        matmul(List.of(out), List.of(w), x, n);
    }

    /**
     * Weights whose dot products round the activations alike (same {@link RowDot#rounding}) share
     * one rounding of {@code x}, one packing of it for a batch, and one parallel pass over all
     * their rows (a batch: all their panels); others go one by one. Either way each output
     * element is computed exactly as a lone matmul computes it.
     */
    @Override
    public void matmul(List<Activations> outs, List<Weights> ws, Activations x, int n) {
        if (outs.isEmpty() || outs.size() != ws.size()) {
            throw new IllegalArgumentException("matmul needs one output per weight and at least one: got " + outs.size()
                    + " outputs for " + ws.size() + " weights");
        }
        VectorActivations a = VectorActivations.of(x);
        int m = ws.size();
        Tensor[] ts = new Tensor[m];
        float[][] ods = new float[m][];
        RowDot[] dots = new RowDot[m];
        long readers = 0;
        for (int j = 0; j < m; j++) {
            VectorActivations o = VectorActivations.of(outs.get(j));
            Tensor t = VectorWeights.of(ws.get(j)).tensor();
            if (a.cols() != t.rowLength() || o.cols() != t.rows()) {
                throw new IllegalArgumentException("matmul of " + t + " needs input of " + t.rowLength() + " and output of "
                        + t.rows() + " columns, got " + a.cols() + " and " + o.cols());
            }
            if (o == a) {
                throw new IllegalArgumentException("matmul cannot write its output over its input");
            }
            checkRows(n, o, a);
            if (t.rowLength() % t.type().blockSize() != 0) {
                throw new IllegalArgumentException(t + ": row length " + t.rowLength() + " is not a multiple of the block size");
            }
            ts[j] = t;
            ods[j] = o.data;
            dots[j] = dotFor(t.type());
            readers |= RoundedRows.reader(t.type());
        }
        Rounding rounding = dots[0].rounding();
        for (int j = 1; j < m; j++) {
            if (dots[j].rounding() != rounding) {
                for (int i = 0; i < m; i++) {
                    matmul(outs.get(i), ws.get(i), x, n);
                }
                return;
            }
        }
        int cols = a.cols();
        boolean batch = n >= GEMM_MIN_TOKENS && cols % L == 0;
        rounded.prepare(rounding, n, cols, readers);
        if (rounding != Rounding.NONE) {
            pool.run(n, 1, (long) n * cols * ELEMENT_WORK, (wk, from, to) -> {
                for (int r = from; r < to; r++) {
                    if (batch) {
                        rounded.roundOnly(a.data, r);
                    } else {
                        rounded.round(a.data, r);
                    }
                }
            });
        }
        if (batch) {
            prefill(ts, rounding, a, n, ods);
            return;
        }
        // the rows of all the weights, end to end: first[j] is weight j's first
        int[] first = new int[m + 1];
        for (int j = 0; j < m; j++) {
            first[j + 1] = first[j] + ts[j].rows();
        }
        float[] raw = a.data;
        pool.run(first[m], 4, (long) first[m] * cols * n, (wk, from, to) -> {
            int j = 0;
            for (int r0 = from; r0 < to; ) {
                while (r0 >= first[j + 1]) {
                    j++;
                }
                // one token: the rest of this weight's rows in the range; several: a tile that stays in cache across them
                int r1 = Math.min(n == 1 ? to : Math.min(to, r0 + ROW_TILE), first[j + 1]);
                Tensor t = ts[j];
                MemorySegment seg = t.data();
                long rowBytes = t.rowBytes();
                RowDot dot = dots[j];
                float[] od = ods[j];
                int rows = t.rows();
                if (n == 1) {
                    if (DECODE_RUNS == 0 ? !dot.runsSideBySide() : DECODE_RUNS == 1) {
                        float[] scratch = tileScratch[wk];
                        for (int r = r0; r < r1; r++) {
                            od[r - first[j]] = dot.dot(seg, (r - first[j]) * rowBytes, rounded, raw, 0, scratch);
                        }
                        r0 = r1;
                        continue;
                    }
                    // four runs far apart, read side by side (RowDot.dot4)
                    int q = (r1 - r0) / 4;
                    float[] scratch = tileScratch[wk];
                    for (int i = 0; i < q; i++) {
                        int r = r0 + i;
                        dot.dot4(seg, (r - first[j]) * rowBytes, q * rowBytes, rounded, raw, 0, od, r - first[j], q, scratch);
                    }
                    for (int r = r0 + 4 * q; r < r1; r++) {
                        od[r - first[j]] = dot.dot(seg, (r - first[j]) * rowBytes, rounded, raw, 0);
                    }
                    r0 = r1;
                    continue;
                }
                for (int tok = 0; tok < n; tok++) {
                    int base = tok * rows - first[j];
                    for (int r = r0; r < r1; r++) {
                        od[base + r] = dot.dot(seg, (r - first[j]) * rowBytes, rounded, raw, tok);
                    }
                }
                r0 = r1;
            }
        });
    }

    /**
     * A batch: weights are decoded to floats {@link Gemm#ROWS} rows at a time (once per batch, not
     * per token) and multiplied with the rounded activations, decoded back to floats and packed
     * column by column, in register tiles. Q4_0 and Q4_K go to {@link NibbleGemm}, which keeps the
     * quants. The activations are packed once for all the weights, and their panels split in one pass.
     */
    private void prefill(Tensor[] ts, Rounding rounding, VectorActivations a, int n, float[][] ods) {
        int cols = a.cols();
        boolean anyNibbles = false;
        boolean anyQ4_K = false;
        boolean anyOther = false;
        for (Tensor t : ts) {
            anyNibbles |= nibbles(t);
            anyQ4_K |= t.type() == GgmlType.Q4_K;
            anyOther |= !nibbles(t);
        }
        int blocks = Gemm.blocks(n);
        if (anyNibbles) {
            if (packedQuants.length < NibbleGemm.packedSize(n, cols)) {
                packedQuants = new short[NibbleGemm.packedSize(n, cols)];
            }
            if (packedScales.length < NibbleGemm.scalesSize(n, cols)) {
                packedScales = new float[NibbleGemm.scalesSize(n, cols)];
            }
            if (anyQ4_K && packedMinimums.length < NibbleGemm.scalesSize(n, cols)) {
                packedMinimums = new float[NibbleGemm.scalesSize(n, cols)];
            }
            short[] xq = packedQuants;
            float[] xd = packedScales;
            float[] xm = anyQ4_K ? packedMinimums : null;
            int group = rounding == Rounding.Q8_K ? 256 : 32;
            pool.run(blocks, 1, (long) blocks * Gemm.TOKENS * cols * ELEMENT_WORK, (wk, from, to) -> {
                for (int blk = from; blk < to; blk++) {
                    NibbleGemm.pack(rounded.quants, rounded.scales, group, n, cols, blk, xq, xd, xm);
                }
            });
        }
        if (anyOther) {
            if (packed.length < Gemm.packedSize(n, cols)) {
                packed = new float[Gemm.packedSize(n, cols)];
            }
            float[] xp = packed;
            pool.run(blocks, 1, (long) blocks * Gemm.TOKENS * cols * ELEMENT_WORK, (wk, from, to) -> {
                for (int blk = from; blk < to; blk++) {
                    switch (rounding) {
                        case NONE -> Gemm.pack(a.data, n, cols, blk, xp);
                        case F16, BF16 -> Gemm.pack(rounded.floats, n, cols, blk, xp);
                        default -> Gemm.pack(rounded.quants, rounded.scales, rounding == Rounding.Q8_K ? 256 : 32, n, cols, blk, xp);
                    }
                }
            });
        }
        // the panels of all the weights, end to end: first[j] is weight j's first
        int m = ts.length;
        int[] first = new int[m + 1];
        long rowsInAll = 0;
        for (int j = 0; j < m; j++) {
            int unit = unitRows(ts[j]);
            first[j + 1] = first[j] + (ts[j].rows() + unit - 1) / unit;
            rowsInAll += ts[j].rows();
        }
        pool.run(first[m], 1, rowsInAll * cols * n, (wk, from, to) -> {
            float[] tile = tileScratch[wk];
            int j = 0;
            for (int p = from; p < to; p++) {
                while (p >= first[j + 1]) {
                    j++;
                }
                Tensor t = ts[j];
                int rows = t.rows();
                int unit = unitRows(t);
                int r0 = unit * (p - first[j]);
                int nr = Math.min(unit, rows - r0);
                if (nibbles(t)) {
                    if (pairScratch[wk].length < Gemm.ROWS * cols / 2) {
                        pairScratch[wk] = new int[Gemm.ROWS * cols / 2];
                        blockScaleScratch[wk] = new float[Gemm.ROWS * cols / 32];
                        blockMinimumScratch[wk] = new float[Gemm.ROWS * cols / 32];
                    }
                    int[] w = pairScratch[wk];
                    float[] d = blockScaleScratch[wk];
                    if (t.type() == GgmlType.Q4_0) {
                        NibbleGemm.decode(t.data(), r0 * t.rowBytes(), nr, cols, w, d);
                        NibbleGemm.panel(w, d, null, nr, cols, packedQuants, packedScales, null, n, ods[j], rows, r0, tile);
                    } else {
                        float[] mins = blockMinimumScratch[wk];
                        NibbleGemm.decodeQ4K(t.data(), r0 * t.rowBytes(), nr, cols, w, d, mins);
                        NibbleGemm.panel(w, d, mins, nr, cols, packedQuants, packedScales, packedMinimums, n, ods[j], rows, r0, tile);
                    }
                } else {
                    float[] w = rowScratch(wk, Gemm.GROUP_ROWS * cols);
                    Dequant.rows(t.type(), t.data(), (long) r0 * cols, nr * cols, w);
                    Gemm.panel(w, nr, cols, packed, n, ods[j], rows, r0, tile);
                }
            }
        });
    }

    /** Weight rows per unit of a batch's work: a Q4_0 or Q4_K panel, or a group of float panels. */
    private static int unitRows(Tensor t) {
        return nibbles(t) ? Gemm.ROWS : Gemm.GROUP_ROWS;
    }

    /** Whether a batch multiplies {@code t}'s 4-bit quants as they are ({@link NibbleGemm}), not decoded to floats. */
    private static boolean nibbles(Tensor t) {
        return t.type() == GgmlType.Q4_0 || t.type() == GgmlType.Q4_K;
    }

    private float[] rowScratch(int worker, int size) {
        if (rowScratch[worker].length < size) {
            rowScratch[worker] = new float[size];
        }
        return rowScratch[worker];
    }

    @Override
    public void rmsNorm(Activations out, Activations x, Weights w, float eps, int n) {
        VectorActivations o = VectorActivations.of(out);
        VectorActivations a = VectorActivations.of(x);
        Tensor t = VectorWeights.of(w).tensor();
        int cols = a.cols();
        if (t.type() != GgmlType.F32 || t.elementCount() != cols || o.cols() != cols) {
            throw new IllegalArgumentException("RMSNorm weight " + t + " must be F32 of " + cols + " elements");
        }
        checkRows(n, o, a);
        MemorySegment ws = t.data();
        pool.run(n, Math.max(1, ELEMENTWISE_GRAIN / cols), (long) n * cols * ELEMENT_WORK, (wk, from, to) -> {
            for (int r = from; r < to; r++) {
                Elementwise.rmsNorm(o.data, a.data, r * cols, cols, ws, eps);
            }
        });
    }

    @Override
    public void rope(Activations x, int heads, int headDim, int ropeDim, float freqBase, int startPos, int n) {
        VectorActivations a = VectorActivations.of(x);
        if (heads * headDim > a.cols() || ropeDim > headDim || ropeDim % 2 != 0) {
            throw new IllegalArgumentException("rope over " + heads + " heads of " + headDim + " (ropeDim " + ropeDim
                    + ") does not fit rows of " + a.cols());
        }
        checkRows(n, a);
        long work = (long) n * (heads * headDim * ELEMENT_WORK + ropeDim * TRANSCENDENTAL_WORK);
        pool.run(n, 1, work, (wk, from, to) -> {
            float[] cos = new float[ropeDim / 2];
            float[] sin = new float[ropeDim / 2];
            for (int r = from; r < to; r++) {
                Elementwise.rope(a.data, r * a.cols(), heads, headDim, ropeDim, freqBase, startPos + r, cos, sin);
            }
        });
    }

    @Override
    public void attention(Activations out, Activations q, Activations k, Activations v, KvCache cache, int layer,
                          int startPos, int n, int heads, int kvHeads) {
        attention.run(VectorActivations.of(out), VectorActivations.of(q), VectorActivations.of(k), VectorActivations.of(v),
                VectorKvCache.of(cache), layer, startPos, n, heads, kvHeads);
    }

    @Override
    public void swiglu(Activations gate, Activations up, int n) {
        VectorActivations g = VectorActivations.of(gate);
        VectorActivations u = VectorActivations.of(up);
        sameShape(g, u, n);
        int cols = g.cols();
        pool.run(n, Math.max(1, ELEMENTWISE_GRAIN / cols), (long) n * cols * TRANSCENDENTAL_WORK, (wk, from, to) ->
                Elementwise.swiglu(g.data, u.data, from * cols, to * cols));
    }

    @Override
    public void add(Activations x, Activations y, int n) {
        VectorActivations a = VectorActivations.of(x);
        VectorActivations b = VectorActivations.of(y);
        sameShape(a, b, n);
        int cols = a.cols();
        pool.run(n, Math.max(1, ELEMENTWISE_GRAIN / cols), (long) n * cols * ELEMENT_WORK, (wk, from, to) ->
                Elementwise.add(a.data, b.data, from * cols, to * cols));
    }

    @Override
    public void softmax(Activations x, int n) {
        VectorActivations a = VectorActivations.of(x);
        checkRows(n, a);
        for (int r = 0; r < n; r++) {
            Elementwise.softmax(a.data, r * a.cols(), a.cols());
        }
    }

    @Override
    public void copyRows(Activations dst, int dstRow, Activations src, int srcRow, int n) {
        VectorActivations d = VectorActivations.of(dst);
        VectorActivations s = VectorActivations.of(src);
        if (d.cols() != s.cols() || n < 0 || dstRow < 0 || srcRow < 0 || dstRow + n > d.rows() || srcRow + n > s.rows()) {
            throw new IndexOutOfBoundsException("copying " + n + " rows from row " + srcRow + " of " + s.rows() + " x "
                    + s.cols() + " to row " + dstRow + " of " + d.rows() + " x " + d.cols());
        }
        System.arraycopy(s.data, srcRow * s.cols(), d.data, dstRow * d.cols(), n * d.cols());
    }

    private static void sameShape(VectorActivations a, VectorActivations b, int n) {
        if (a.cols() != b.cols()) {
            throw new IllegalArgumentException("element-wise operation on rows of " + a.cols() + " and " + b.cols());
        }
        checkRows(n, a, b);
    }

    @Override
    public void close() {
        pool.close();
    }

    /** Vectorized element-wise kernels on float rows. */
    static final class Elementwise {
        private Elementwise() {
        }

        static void rmsNorm(float[] out, float[] x, int off, int n, MemorySegment w, float eps) {
            FloatVector acc = FloatVector.zero(F);
            int i = 0;
            for (; i + L <= n; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, off + i);
                acc = v.fma(v, acc);
            }
            // lanes summed in one order, interpreted or compiled (Simd.XOR_8), narrowing as it goes
            acc = Simd.L > 8 ? (FloatVector) acc.add(acc.rearrange(Simd.XOR_8)).reinterpretShape(Simd.HALF_8, 0) : acc;
            acc = (FloatVector) acc.add(acc.rearrange(Simd.XOR_4_OF_8)).reinterpretShape(Simd.HALF_4, 0);
            acc = acc.add(acc.rearrange(Simd.XOR_2_OF_4));
            double ss = acc.lane(0) + acc.lane(1);
            for (; i < n; i++) {
                ss += x[off + i] * x[off + i];
            }
            float scale = (float) (1.0 / Math.sqrt((float) (ss / n) + eps));
            i = 0;
            for (; i + L <= n; i += L) {
                FloatVector.fromArray(F, x, off + i).mul(scale)
                        .mul(FloatVector.fromMemorySegment(F, w, 4L * i, Simd.LE)).intoArray(out, off + i);
            }
            for (; i < n; i++) {
                out[off + i] = x[off + i] * scale * w.get(Simd.FLOAT, 4L * i);
            }
        }

        static void rope(float[] x, int off, int heads, int headDim, int ropeDim, float base, int pos, float[] cos, float[] sin) {
            // llama.cpp advances theta by repeated float multiplication; doing the same keeps our angles identical
            float thetaScale = (float) Math.pow(base, -2.0f / ropeDim);
            float theta = pos;
            for (int j = 0; j < ropeDim / 2; j++) {
                cos[j] = (float) Math.cos(theta);
                sin[j] = (float) Math.sin(theta);
                theta *= thetaScale;
            }
            for (int h = 0; h < heads; h++) {
                int ho = off + h * headDim;
                for (int j = 0; j < ropeDim / 2; j++) {
                    float x0 = x[ho + 2 * j];
                    float x1 = x[ho + 2 * j + 1];
                    x[ho + 2 * j] = x0 * cos[j] - x1 * sin[j];
                    x[ho + 2 * j + 1] = x0 * sin[j] + x1 * cos[j];
                }
            }
        }

        static void swiglu(float[] g, float[] u, int from, int to) {
            int i = from;
            for (; i + L <= to; i += L) {
                FloatVector gv = FloatVector.fromArray(F, g, i);
                FloatVector silu = gv.div(gv.neg().lanewise(VectorOperators.EXP).add(1f));
                silu.mul(FloatVector.fromArray(F, u, i)).intoArray(g, i);
            }
            for (; i < to; i++) {
                g[i] = (float) (g[i] / (1 + Math.exp(-g[i]))) * u[i];
            }
        }

        static void add(float[] x, float[] y, int from, int to) {
            int i = from;
            for (; i + L <= to; i += L) {
                FloatVector.fromArray(F, x, i).add(FloatVector.fromArray(F, y, i)).intoArray(x, i);
            }
            for (; i < to; i++) {
                x[i] += y[i];
            }
        }

        static void softmax(float[] x, int off, int n) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = off; i < off + n; i++) {
                max = Math.max(max, x[i]);
            }
            double sum = 0;
            for (int i = off; i < off + n; i++) {
                float e = (float) Math.exp(x[i] - max);
                x[i] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int i = off; i < off + n; i++) {
                x[i] *= inv;
            }
        }
    }
}
