package dev.llamaj.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.core.tensor.TensorFormat;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The conformance test's reference is itself checked: hand-made blocks, and llama-core's formats. */
class ReferenceMathTest {
    @Test
    void q4_0ReadsLowNibblesThenHighNibblesMinusEight() {
        ByteBuffer b = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, Float.floatToFloat16(0.5f));
        b.put(2, (byte) 0x2F); // element 0: 15 → 7·0.5; element 16: 2 → −6·0.5
        b.put(17, (byte) 0x80); // element 15: 0 → −8·0.5; element 31: 8 → 0
        Tensor t = new Tensor("q", GgmlType.Q4_0, new long[] {32, 1}, MemorySegment.ofArray(b.array()));
        assertThat(ReferenceMath.element(t, 0)).isEqualTo(3.5f);
        assertThat(ReferenceMath.element(t, 16)).isEqualTo(-3f);
        assertThat(ReferenceMath.element(t, 15)).isEqualTo(-4f);
        assertThat(ReferenceMath.element(t, 31)).isEqualTo(0f);
    }

    @Test
    void q4_kUnpacksSixBitScalesAndMinsOfTheUpperSubBlocks() {
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, Float.floatToFloat16(1f)); // d
        b.putShort(2, Float.floatToFloat16(0.5f)); // dmin
        // sub-block 5: scale = low 4 bits of byte 9 | top 2 bits of byte 1 << 4; min = high 4 of byte 9 | top 2 of byte 5
        b.put(4 + 1, (byte) 0b10_000000); // sc5 high bits = 2 → +32
        b.put(4 + 5, (byte) 0b01_000000); // m5 high bits = 1 → +16
        b.put(4 + 9, (byte) 0x37); // sc5 low = 7, m5 low = 3
        // element 64·2 + 32·1 + 4 = 164 is in sub-block 5: high nibble of qs[32·2 + 4]
        b.put(16 + 68, (byte) 0xA0);
        Tensor t = new Tensor("q", GgmlType.Q4_K, new long[] {256, 1}, MemorySegment.ofArray(b.array()));
        assertThat(ReferenceMath.element(t, 164)).isEqualTo(39f * 10 - 0.5f * 19);
    }

    @Test
    void q6_kCombinesLowNibblesHighBitsAndSignedScales() {
        ByteBuffer b = ByteBuffer.allocate(210).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(208, Float.floatToFloat16(0.25f));
        // element 128 + 32·3 + 5 = 229: n=1, k=3 → ql[64 + 5 + 32] high nibble, qh[32 + 5] bits 6..7, scale 229/16 = 14
        b.put(64 + 5 + 32, (byte) 0x90);
        b.put(128 + 32 + 5, (byte) 0b11_000000);
        b.put(192 + 14, (byte) -3);
        Tensor t = new Tensor("q", GgmlType.Q6_K, new long[] {256, 1}, MemorySegment.ofArray(b.array()));
        assertThat(ReferenceMath.element(t, 229)).isEqualTo(0.25f * -3 * ((9 | 3 << 4) - 32));
    }

    /** Once llama-core implements a format, the two readings must agree exactly. */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void agreesWithLlamaCoresFormatWhereItExists(GgmlType type) {
        TensorFormat format;
        try {
            format = TensorFormat.of(type);
        } catch (UnsupportedOperationException e) {
            Assumptions.abort("llama-core has no " + type + " format yet");
            return;
        }
        Tensor t = ReferenceMath.randomTensor("w", type, 3, 512, new Random(type.ordinal()));
        float[] core = new float[3 * 512];
        format.dequantize(t.data(), 0, core, 0, core.length);
        for (int e = 0; e < core.length; e++) {
            assertThat(ReferenceMath.element(t, e)).as("%s element %d", type, e).isEqualTo(core[e]);
        }
    }
}
