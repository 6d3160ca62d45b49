package dev.llamaj.benchmarks;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.Kernels;
import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One weight matrix of TinyLlama's FFN shape (5632 rows × 2048) times {@code n} activation rows:
 * n = 1 is decode, n = 64 a prefill batch. Weight bandwidth = {@link #weightBytes} × ops/s
 * (printed at setup); for n = 64 divide the time by 64 for a per-token figure. The matrix is
 * copied until the copies overflow the L3 cache and a call uses the next one, so the weights
 * come from memory as they do in a real model.
 *
 * <p>Run: {@code benchmarks/run MatmulKernelBenchmark -f 1 -wi 2 -i 3 -p format=Q4_0 -p n=1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MatmulKernelBenchmark {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String format;

    @Param({"1", "64"})
    public int n;

    @Param({"vector"})
    public String kernels;

    @Param({"0"})
    public int threads;

    @Param({"5632"})
    public int rows;

    @Param({"2048"})
    public int cols;

    /**
     * MiB of weight copies to cycle through: the default overflows the L3 cache, as a model does;
     * 0 keeps one copy, which stays in cache, to tell compute limits from memory limits.
     */
    @Param({"96"})
    public int footprintMiB;

    /**
     * Where the copies live: native memory this process allocates ({@code native}), or
     * a temporary file mapped read-only ({@code mapped}), as a model opened with mmap reads them.
     */
    @Param({"native"})
    public String memory;

    private Arena arena;
    private Path mappedFile;
    private Kernels k;
    /** Enough copies of the matrix to overflow the L3 cache, cycled through, so weights stream from memory as in a model. */
    private Weights[] w;
    private int next;
    private Activations x;
    private Activations out;
    /** Bytes of weights one matmul reads. */
    public long weightBytes;

    @Setup(Level.Trial)
    public void setUp() {
        GgmlType type = GgmlType.valueOf(format);
        KernelProvider provider = ServiceLoader.load(KernelProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals(kernels)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no kernel provider " + kernels));
        k = provider.open(threads > 0 ? new KernelOptions(threads) : KernelOptions.defaults());
        arena = Arena.ofShared();
        weightBytes = type.bytesFor((long) rows * cols);
        int copies = (int) Math.max(1, ((long) footprintMiB << 20) / weightBytes + (footprintMiB > 0 ? 1 : 0));
        w = new Weights[copies];
        Random random = new Random(42);
        MemorySegment staging = null;
        for (int c = 0; c < copies; c++) {
            MemorySegment data;
            if (memory.equals("native")) {
                data = arena.allocate(weightBytes, 64);
                fill(data, type, random);
            } else if (memory.equals("mapped")) {
                // filled in one reused staging copy, so the process holds only the mapped copies
                if (staging == null) {
                    staging = arena.allocate(weightBytes, 64);
                }
                fill(staging, type, random);
                data = mapped(staging, c);
            } else {
                throw new IllegalArgumentException("memory must be native or mapped, not " + memory);
            }
            w[c] = k.weights(new Tensor("bench" + c, type, new long[] {cols, rows}, data));
        }
        x = k.activations(n, cols);
        out = k.activations(n, rows);
        Random r = new Random(7);
        float[] row = new float[cols];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) r.nextGaussian();
            }
            x.write(i, row);
        }
        System.out.printf("%n%s: %d weight bytes per matmul%n", format, weightBytes);
    }

    /** {@code data} written to a temporary file at copy {@code c}'s place, and that place mapped read-only. */
    private MemorySegment mapped(MemorySegment data, int c) {
        try {
            if (mappedFile == null) {
                mappedFile = Files.createTempFile("llamaj-bench", ".bin");
            }
            long at = (long) c * data.byteSize();
            try (FileChannel ch = FileChannel.open(mappedFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.write(data.asByteBuffer(), at);
                return ch.map(FileChannel.MapMode.READ_ONLY, at, data.byteSize(), arena);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Random bytes, with every f16 scale field set to a small finite value (random bits could be NaN). */
    private static void fill(MemorySegment data, GgmlType type, Random r) {
        byte[] bytes = new byte[(int) data.byteSize()];
        r.nextBytes(bytes);
        MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
        int[] fields = switch (type) {
            case F32, F16, BF16 -> new int[0];
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            default -> throw new IllegalArgumentException("no benchmark data for " + type);
        };
        short half = Float.floatToFloat16(0.01f);
        if (type == GgmlType.F32) {
            for (long i = 0; i < data.byteSize() / 4; i++) {
                data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) r.nextGaussian());
            }
        } else if (type == GgmlType.F16 || type == GgmlType.BF16) {
            // the spread of a real layer's weights (1/sqrt(2048), as the synthetic models have): about 0.2% of
            // them are then F16 subnormals, which cost Intel cores an assist per FMA if they reach one as subnormal
            // floats; Gaussians of spread 1 have a hundred times fewer and hid that (Simd.f16Exact)
            for (long i = 0; i < data.byteSize() / 2; i++) {
                data.setAtIndex(SHORT, i, type == GgmlType.F16 ? Float.floatToFloat16((float) (r.nextGaussian() / Math.sqrt(2048))) : (short) 0x3c00);
            }
        }
        for (long b = 0; fields.length > 0 && b < data.byteSize() / type.blockBytes(); b++) {
            for (int f : fields) {
                data.set(SHORT, b * type.blockBytes() + f, half);
            }
        }
    }

    @Benchmark
    public Activations matmul() {
        k.matmul(out, w[next], x, n);
        next = next + 1 == w.length ? 0 : next + 1;
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        k.close();
        arena.close();
        if (mappedFile != null) {
            Files.delete(mappedFile);
        }
    }
}
