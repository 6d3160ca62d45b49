package dev.llamaj.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Hand-built blocks, one element each placed by the layout in LAYOUTS.md, decoded by the
 * format: catches index arithmetic the golden files would only report as "too much error".
 */
class BlockLayoutTest {
    private static MemorySegment block(GgmlType type) {
        return MemorySegment.ofArray(new byte[type.blockBytes()]);
    }

    private static void f16(MemorySegment b, int offset, float v) {
        BlockFormat.putF16(b, offset, v);
    }

    private static void put(MemorySegment b, int offset, int value) {
        b.set(java.lang.foreign.ValueLayout.JAVA_BYTE, offset, (byte) value);
    }

    private static float[] decode(GgmlType type, MemorySegment b) {
        float[] out = new float[type.blockSize()];
        TensorFormat.of(type).dequantize(b, 0, out, 0, out.length);
        return out;
    }

    @Test
    void halfPrecisionFloats() {
        MemorySegment s = MemorySegment.ofArray(new byte[] {0x00, 0x3C, 0x00, (byte) 0xC2});
        float[] out = new float[2];
        F16.INSTANCE.dequantize(s, 0, out, 0, 2);
        assertEquals(1.0f, out[0]);
        assertEquals(-3.0f, out[1]);
        BF16.INSTANCE.dequantize(MemorySegment.ofArray(new byte[] {(byte) 0x80, 0x3F, 0x40, (byte) 0xC0}), 0, out, 0, 2);
        assertEquals(1.0f, out[0]);
        assertEquals(-3.0f, out[1]);
    }

    @Test
    void q8_0() {
        MemorySegment b = block(GgmlType.Q8_0);
        f16(b, 0, 0.25f);
        put(b, 2 + 31, -100);
        assertEquals(-25f, decode(GgmlType.Q8_0, b)[31]);
    }

    @Test
    void q4_0LowNibbleFirstHalfHighNibbleSecond() {
        MemorySegment b = block(GgmlType.Q4_0);
        f16(b, 0, 0.5f);
        put(b, 2 + 3, 0x2F);
        float[] v = decode(GgmlType.Q4_0, b);
        assertEquals(3.5f, v[3]);
        assertEquals(-3f, v[19]);
        assertEquals(-4f, v[0]);
    }

    @Test
    void q4_1AddsTheMinimum() {
        MemorySegment b = block(GgmlType.Q4_1);
        f16(b, 0, 2f);
        f16(b, 2, -1f);
        put(b, 4 + 15, 0x70);
        float[] v = decode(GgmlType.Q4_1, b);
        assertEquals(-1f, v[15]);
        assertEquals(13f, v[31]);
    }

    @Test
    void q5_0FifthBitFromQh() {
        MemorySegment b = block(GgmlType.Q5_0);
        f16(b, 0, 1f);
        b.set(BlockFormat.INT_LE, 2, (1 << 0) | (1 << 17));
        float[] v = decode(GgmlType.Q5_0, b);
        assertEquals(0f, v[0]);
        assertEquals(-16f, v[1]);
        assertEquals(0f, v[17]);
    }

    @Test
    void q5_1() {
        MemorySegment b = block(GgmlType.Q5_1);
        f16(b, 0, 1f);
        f16(b, 2, 0.5f);
        b.set(BlockFormat.INT_LE, 4, 1 << 30);
        put(b, 8 + 14, 0x30);
        assertEquals(19.5f, decode(GgmlType.Q5_1, b)[30]);
    }

    @Test
    void q4_kSixBitScalesOfTheUpperSubBlocks() {
        MemorySegment b = block(GgmlType.Q4_K);
        f16(b, 0, 1f);
        f16(b, 2, 1f);
        // sub-block 5: scale 35 = 0b10_0011, min 18 = 0b01_0010
        put(b, 4 + 9, 3 | 2 << 4);
        put(b, 4 + 1, 2 << 6);
        put(b, 4 + 5, 1 << 6);
        // element 167 = 64·2 + 32·1 + 7: high nibble of qs[32·2 + 7]
        put(b, 16 + 71, 4 << 4);
        assertEquals(35f * 4 - 18f, decode(GgmlType.Q4_K, b)[167]);
    }

    @Test
    void q5_k() {
        MemorySegment b = block(GgmlType.Q5_K);
        f16(b, 0, 1f);
        f16(b, 2, 1f);
        // sub-block 6: scale 2 (byte 10 low nibble), min 0
        put(b, 4 + 10, 2);
        // element 223 = 64·3 + 0 + 31: low nibble of qs[96 + 31] = 1, fifth bit = qh[31] bit 6
        put(b, 48 + 127, 1);
        put(b, 16 + 31, 1 << 6);
        assertEquals(34f, decode(GgmlType.Q5_K, b)[223]);
    }

    @Test
    void q6_k() {
        MemorySegment b = block(GgmlType.Q6_K);
        f16(b, 208, 0.5f);
        put(b, 192 + 14, -2);
        // element 229 = 128·1 + 32·3 + 5: high nibble of ql[64 + 5 + 32], bits 6..7 of qh[32 + 5]
        put(b, 101, 9 << 4);
        put(b, 128 + 37, 2 << 6);
        assertEquals(0.5f * -2 * (9 + 32 - 32), decode(GgmlType.Q6_K, b)[229]);
    }

    @Test
    void q2_k() {
        MemorySegment b = block(GgmlType.Q2_K);
        f16(b, 80, 1f);
        f16(b, 82, 0.5f);
        put(b, 7, 0x25);
        // element 114 = 0 + 32·3 + 16·1 + 2: bits 6..7 of qs[16 + 2]
        put(b, 16 + 18, 3 << 6);
        assertEquals(5f * 3 - 0.5f * 2, decode(GgmlType.Q2_K, b)[114]);
    }

    @Test
    void q3_k() {
        MemorySegment b = block(GgmlType.Q3_K);
        f16(b, 108, 1f);
        // scale 13 stored as 37 = 0b10_0101: low 4 bits in the high nibble of byte 5, top 2 in byte 9 bits 6..7
        put(b, 96 + 5, 5 << 4);
        put(b, 96 + 9, 2 << 6);
        // element 211 = 128·1 + 32·2 + 16·1 + 3: bits 4..5 of qs[32 + 19] = 2, hmask[19] bit 6 clear → q = 2 − 4
        put(b, 32 + 51, 2 << 4);
        float[] v = decode(GgmlType.Q3_K, b);
        assertEquals(5f * -2, v[211]);
        // the same element with its high bit set keeps q = 2
        put(b, 19, 1 << 6);
        assertEquals(10f, decode(GgmlType.Q3_K, b)[211]);
    }
}
