package dev.llamaj.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;
import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cuda kernels over a recording fake device, no GPU: what reaches the device and when
 * (one native run per read, frees after the ops that use the memory), and the checks that
 * turn bad calls into clear exceptions before anything is recorded.
 */
class CudaKernelsRecordingTest {
    /** Hands out addresses from 0x10000, keeps a byte budget, records every call. */
    static final class FakeDevice implements Device {
        final List<String> calls = new ArrayList<>();
        final List<List<String>> runs = new ArrayList<>();
        long next = 0x10000;
        long free;

        FakeDevice(long free) {
            this.free = free;
        }

        @Override
        public long allocate(long bytes, String what) {
            if (bytes > free) {
                throw new DeviceMemoryException(what, bytes, free, 1L << 40);
            }
            free -= bytes;
            long a = next;
            next += (bytes + 255) / 256 * 256;
            calls.add("alloc " + bytes);
            return a;
        }

        @Override
        public void free(long address) {
            calls.add("free " + Long.toHexString(address));
        }

        @Override
        public void upload(long dst, MemorySegment src, long bytes, String what) {
            calls.add("upload " + bytes + " " + what);
        }

        @Override
        public void run(CommandBuffer buffer, long readSrc, float[] readDst, int readCount) {
            runs.add(buffer.describe());
            calls.add("run " + buffer.ops() + " ops, read " + readCount + " @" + Long.toHexString(readSrc));
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    private static Tensor tensor(GgmlType type, int rows, int cols) {
        return ReferenceMath.randomTensor("w", type, rows, cols, new Random(1));
    }

    @Test
    void aDecodeStepReachesTheDeviceAsOneRunWhenTheLogitsAreRead() {
        FakeDevice device = new FakeDevice(1L << 30);
        CudaKernels k = new CudaKernels(device);
        Weights embd = k.weights(tensor(GgmlType.Q8_0, 100, 64));
        Weights norm = k.weights(tensor(GgmlType.F32, 1, 64));
        Weights wq = k.weights(tensor(GgmlType.Q4_0, 64, 64));
        Weights out = k.weights(tensor(GgmlType.Q4_K, 100, 256));
        Activations x = k.activations(1, 64);
        Activations xb = k.activations(1, 64);
        Activations q = k.activations(1, 64);
        Activations wide = k.activations(1, 256);
        Activations logits = k.activations(1, 100);
        KvCache cache = k.kvCache(2, 16, 32, KvCacheType.F16);
        int runsBefore = device.runs.size();

        k.embed(x, embd, new int[] {42});
        k.rmsNorm(xb, x, norm, 1e-5f, 1);
        k.matmul(q, wq, xb, 1);
        k.rope(q, 4, 16, 16, 10000f, 3, 1);
        k.add(x, q, 1);
        k.copyRows(wide, 0, wide, 0, 1);
        k.matmul(logits, out, wide, 1);
        assertThat(device.runs).hasSize(runsBefore); // nothing has reached the device yet

        float[] read = new float[100];
        logits.read(0, read);
        assertThat(device.runs).hasSize(runsBefore + 1);
        assertThat(device.runs.getLast()).extracting(s -> s.substring(0, s.indexOf(' ')))
                .containsExactly("embed", "rmsNorm", "matmul", "rope", "add", "copyRows", "matmul");
        assertThat(device.calls.getLast()).isEqualTo("run 7 ops, read 100 @" + Long.toHexString(address(logits)));

        k.softmax(logits, 1);
        logits.read(0, read);
        assertThat(device.runs.getLast()).containsExactly("softmax [100, 1] @[" + address(logits) + "]");
        cache.close();
        k.close();
    }

    @Test
    void freeingMemoryRunsTheOpsRecordedBeforeIt() {
        FakeDevice device = new FakeDevice(1L << 30);
        CudaKernels k = new CudaKernels(device);
        Activations a = k.activations(2, 32);
        Activations b = k.activations(2, 32);
        k.add(a, b, 2);
        b.close();
        int run = device.calls.indexOf("run 1 ops, read 0 @0");
        assertThat(run).isNotNegative();
        assertThat(device.calls.get(run + 1)).isEqualTo("free " + Long.toHexString(address(b)));
        assertThat(k.buffer().isEmpty()).isTrue();
        assertThatThrownBy(() -> k.add(a, b, 1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        k.close();
        assertThat(device.calls.getLast()).isEqualTo("close");
        assertThat(device.calls).contains("free " + Long.toHexString(address(a)));
    }

    @Test
    void writesStayInOrderWithTheOpsAroundThem() {
        FakeDevice device = new FakeDevice(1L << 30);
        CudaKernels k = new CudaKernels(device);
        Activations a = k.activations(2, 4);
        Activations b = k.activations(2, 4);
        a.write(1, new float[] {1, 2, 3, 4});
        k.add(b, a, 2);
        a.write(1, new float[] {5, 6, 7, 8});
        b.read(1, new float[4]);
        assertThat(device.runs.getLast()).containsExactly(
                "write [4, 0] @[" + (address(a) + 16) + "]",
                "add [8] @[" + address(b) + ", " + address(a) + "]",
                "write [4, 4] @[" + (address(a) + 16) + "]");
        k.close();
    }

    @Test
    void tooLittleDeviceMemorySaysHowMuchIsNeededAndFree() {
        CudaKernels k = new CudaKernels(new FakeDevice(10L << 20));
        assertThatThrownBy(() -> k.weights(tensor(GgmlType.F32, 4096, 1024)))
                .isInstanceOf(DeviceMemoryException.class)
                .hasMessageContaining("tensor w (F32)")
                .hasMessageContaining("needs 16 MiB, 10 MiB free");
        k.close();
    }

    @Test
    void badCallsAreRefusedWithTheShapesInvolvedBeforeAnythingIsRecorded() {
        CudaKernels k = new CudaKernels(new FakeDevice(1L << 30));
        Weights w = k.weights(tensor(GgmlType.Q4_0, 8, 64));
        Activations x = k.activations(2, 64);
        Activations y = k.activations(2, 8);
        Activations odd = k.activations(2, 60);
        KvCache cache = k.kvCache(1, 4, 16, KvCacheType.F32);
        assertThatThrownBy(() -> k.matmul(y, w, odd, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("matmul: w is 8 × 64, x has 60 columns and out 8");
        assertThatThrownBy(() -> k.matmul(y, w, x, 3)).hasMessage("matmul: n = 3 for activations of 2 rows");
        assertThatThrownBy(() -> k.embed(x, w, new int[] {8})).hasMessage("embed: token 8 at 0 is outside the table's 8 rows");
        assertThatThrownBy(() -> k.rmsNorm(x, x, w, 1e-5f, 1)).hasMessageContaining("rmsNorm");
        assertThatThrownBy(() -> k.rope(x, 4, 16, 15, 1e4f, 0, 1)).hasMessage("rope: ropeDim 15 must be even and at most 16");
        assertThatThrownBy(() -> k.attention(x, x, y, y, cache, 0, 3, 2, 4, 1))
                .hasMessageContaining("attention: k 8, v 8 columns, cache kvDim 16");
        Activations kv = k.activations(2, 16);
        assertThatThrownBy(() -> k.attention(x, x, kv, kv, cache, 0, 3, 2, 4, 1))
                .hasMessage("attention: positions 3..4 exceed the cache's 4");
        assertThatThrownBy(() -> k.weights(new Tensor("t", GgmlType.IQ2_XS, new long[] {256, 1},
                MemorySegment.ofArray(new byte[74])))).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("tensor t: type IQ2_XS is not supported by the cuda kernels");
        assertThat(k.buffer().isEmpty()).isTrue();
        k.close();
    }

    private static long address(Activations a) {
        return ((CudaActivations) a).address();
    }
}
