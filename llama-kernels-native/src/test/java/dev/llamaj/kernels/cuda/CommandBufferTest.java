package dev.llamaj.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What the Java side records for a sequence of SPI-level calls: the C interpreter's input. */
class CommandBufferTest {
    @Test
    void recordsOneDecodeStepAsOpsOperandsAndAddresses() {
        CommandBuffer b = new CommandBuffer();
        b.embed(0x1000, 0x2000, 2, 64, new int[] {5});
        b.rmsNorm(0x3000, 0x1000, 0x4000, 0, 64, 1, 1e-5f);
        b.matmul(0x5000, 0x6000, 0x3000, 2, 128, 64, 1);
        b.rope(0x5000, 128, 4, 32, 32, 10000f, 7, 1);
        b.attention(0x7000, 0x5000, 0x8000, 0x9000, 0xa000, 0xb000, true, 64, 128, 7, 1, 4, 2);
        b.swiglu(0x7000, 0x8000, 128);
        b.add(0x1000, 0x7000, 64);
        b.softmax(0x1000, 64, 1);
        b.copy(0xc000, 0x1000, 64);

        assertThat(b.ops()).isEqualTo(9);
        assertThat(b.describe()).containsExactly(
                "embed [2, 64, 1, 0] @[4096, 8192]",
                "rmsNorm [0, 64, 1, " + Float.floatToRawIntBits(1e-5f) + "] @[12288, 4096, 16384]",
                "matmul [2, 128, 64, 1] @[20480, 24576, 12288]",
                "rope [128, 4, 32, 32, " + Float.floatToRawIntBits(10000f) + ", 7, 1] @[20480]",
                "attention [1, 64, 128, 7, 1, 4, 2] @[28672, 20480, 32768, 36864, 40960, 45056]",
                "swiglu [128] @[28672, 32768]",
                "add [64] @[4096, 28672]",
                "softmax [64, 1] @[4096]",
                "copyRows [64] @[49152, 4096]");
        // the int stream is exactly opcode + operands, back to back, as llamaj_cuda.cu reads it
        assertThat(b.intCount()).isEqualTo(9 + 4 + 4 + 4 + 7 + 7 + 1 + 1 + 2 + 1);
        assertThat(b.ints()[0]).isEqualTo(CommandBuffer.EMBED);
        assertThat(b.ints()[5]).isEqualTo(CommandBuffer.RMS_NORM);
        assertThat(b.longCount()).isEqualTo(2 + 3 + 3 + 1 + 6 + 2 + 2 + 1 + 2);
        // the token id rides in the payload, bit for bit
        assertThat(b.payloadCount()).isEqualTo(1);
        assertThat(Float.floatToRawIntBits(b.payload()[0])).isEqualTo(5);
    }

    @Test
    void writesCopyTheirDataIntoThePayloadAtRecordTime() {
        CommandBuffer b = new CommandBuffer();
        float[] row = {1, 2, 3, 4};
        b.write(0x100, row, 4);
        row[0] = 99; // the caller may reuse its array at once
        b.embed(0x200, 0x300, 8, 32, new int[] {31999, 0, 2});
        b.write(0x400, new float[] {-1, -2}, 2);

        assertThat(b.describe()).containsExactly("write [4, 0] @[256]", "embed [8, 32, 3, 4] @[512, 768]",
                "write [2, 7] @[1024]");
        assertThat(b.payloadCount()).isEqualTo(9);
        assertThat(java.util.Arrays.copyOf(b.payload(), 4)).containsExactly(1, 2, 3, 4);
        assertThat(Float.floatToRawIntBits(b.payload()[4])).isEqualTo(31999);
        assertThat(b.payload()[7]).isEqualTo(-1f);
    }

    @Test
    void growsPastItsInitialCapacityAndClearsForTheNextFlush() {
        CommandBuffer b = new CommandBuffer();
        float[] row = new float[3000];
        for (int layer = 0; layer < 1000; layer++) {
            b.matmul(layer, layer + 1, layer + 2, 2, 4096, 4096, 1);
            b.add(layer, layer + 1, 4096);
        }
        b.write(7, row, 3000);
        assertThat(b.ops()).isEqualTo(2001);
        assertThat(b.describe()).hasSize(2001).element(1998).isEqualTo("matmul [2, 4096, 4096, 1] @[999, 1000, 1001]");
        assertThat(b.payloadCount()).isEqualTo(3000);

        b.clear();
        assertThat(b.isEmpty()).isTrue();
        assertThat(b.intCount()).isZero();
        assertThat(b.longCount()).isZero();
        assertThat(b.payloadCount()).isZero();
        assertThat(b.describe()).isEmpty();
    }
}
