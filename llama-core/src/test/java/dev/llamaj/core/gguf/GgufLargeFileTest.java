package dev.llamaj.core.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A GGUF larger than 2 GiB (a sparse file: the big tensor is a hole) maps without the
 * {@code ByteBuffer} limit, and a tensor stored beyond 2 GiB reads back.
 */
class GgufLargeFileTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long BIG_ROWS = 600;
    private static final long ROW = 1 << 20;

    @Test
    void tensorBeyond2GiBReadsBack() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long usable = Files.getFileStore(tmp).getUsableSpace();
        // sparse files need almost nothing, but a filesystem without holes needs the whole 2.5 GB
        assumeTrue(usable > 3L << 30, "skipping: " + tmp + " has only " + usable + " bytes free, needs 3 GiB");
        Path p = Files.createTempFile(tmp, "llamaj-large-", ".gguf");
        try {
            float[] tail = {1.5f, -2f, 3.25f, 4f, 0f, -0f, 1e-20f, 7f};
            long t0 = System.nanoTime();
            new GgufWriter().putString("general.architecture", "llama")
                    .addSparseTensor("big", GgmlType.F32, ROW, BIG_ROWS)
                    .addTensor("tail", new long[] {8}, tail)
                    .write(p);
            long written = System.nanoTime() - t0;
            assertThat(Files.size(p)).isGreaterThan(2_500_000_000L);
            t0 = System.nanoTime();
            try (GgufFile f = GgufFile.open(p)) {
                long opened = System.nanoTime() - t0;
                Tensor big = f.requireTensor("big");
                assertThat(big.data().byteSize()).isEqualTo(ROW * BIG_ROWS * 4).isGreaterThan(Integer.MAX_VALUE);
                assertThat(big.data().get(F32, big.data().byteSize() - 4)).isZero();
                GgufTensorInfo info = f.tensorInfo("tail").orElseThrow();
                assertThat(f.dataOffset() + info.offset()).isGreaterThan(1L << 31);
                Tensor t = f.requireTensor("tail");
                for (int i = 0; i < tail.length; i++) {
                    assertThat(t.data().get(F32, 4L * i)).isEqualTo(tail[i]);
                }
                System.out.printf("large GGUF: %,d bytes written in %.1f ms, opened in %.2f ms%n", Files.size(p),
                        written / 1e6, opened / 1e6);
            }
        } catch (IOException e) {
            assumeTrue(false, "skipping: cannot write a 2.5 GB sparse file in " + tmp + ": " + e.getMessage());
        } finally {
            Files.deleteIfExists(p);
        }
    }
}
