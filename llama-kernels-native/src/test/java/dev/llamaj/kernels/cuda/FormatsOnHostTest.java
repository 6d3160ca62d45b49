package dev.llamaj.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.core.tensor.TensorFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The device's weight readers ({@code src/main/cuda/formats.cuh}, compiled for the host by
 * nvcc from {@code src/test/cuda/decode_formats.cu}) against llama-core's formats, on random
 * blocks of every type. Needs nvcc, not a GPU: it checks the layouts the kernels read, which
 * are the likeliest place for a silent error; the kernels' indexing and reductions need a GPU
 * ({@link CudaConformanceTest}).
 */
class FormatsOnHostTest {
    @TempDir
    static Path dir;
    private static Path decoder;

    @BeforeAll
    static void compile() throws Exception {
        Assumptions.assumeTrue(CudaLibraryPackagingTest.nvccOnPath(), "nvcc is not on the PATH");
        // the module directory under Maven; the repository root under device/run-on-gpu.sh
        Path source = Stream.of("src/test/cuda/decode_formats.cu", "llama-kernels-native/src/test/cuda/decode_formats.cu")
                .map(Path::of).filter(Files::exists).findFirst().orElse(null);
        Assumptions.assumeTrue(source != null, "decode_formats.cu is not under the working directory");
        decoder = dir.resolve("decode_formats");
        Process p = new ProcessBuilder("nvcc", "-O2", "-std=c++17", "-o", decoder.toString(),
                source.toAbsolutePath().toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("nvcc: %s", log).isZero();
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void everyChunkDecodesAsLlamaCoreReadsIt(GgmlType type) throws Exception {
        for (int cols : type.blockSize() == 1 ? new int[] {512, 172} : new int[] {512}) {
            Tensor t = ReferenceMath.randomTensor("w", type, 3, cols, new Random(type.ordinal() * 31L + cols));
            float[] got = decode(t, 3, cols);
            float[] want = new float[3 * cols];
            TensorFormat.of(type).dequantize(t.data(), 0, want, 0, want.length);
            for (int r = 0; r < 3; r++) {
                float maxAbs = 1;
                for (int c = 0; c < cols; c++) {
                    maxAbs = Math.max(maxAbs, Math.abs(want[r * cols + c]));
                }
                for (int c = 0; c < cols; c++) {
                    // the same products in another association at most (d·sc·q vs d·(sc·q)): a few
                    // ulps of the row's largest value; a layout error is off by whole steps
                    assertThat(got[r * cols + c]).as("%s cols %d row %d element %d", type, cols, r, c)
                            .isCloseTo(want[r * cols + c], org.assertj.core.data.Offset.offset(0x1p-20f * maxAbs));
                }
            }
        }
    }

    private static float[] decode(Tensor t, int rows, int cols) throws IOException, InterruptedException {
        byte[] raw = t.data().toArray(ValueLayout.JAVA_BYTE);
        Process p = new ProcessBuilder(decoder.toString(), String.valueOf(t.type().id()), String.valueOf(rows),
                String.valueOf(cols)).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(raw);
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("decode_formats: %s", err).isZero();
        assertThat(out).hasSize(rows * cols * 4);
        float[] floats = new float[rows * cols];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floats);
        return floats;
    }
}
