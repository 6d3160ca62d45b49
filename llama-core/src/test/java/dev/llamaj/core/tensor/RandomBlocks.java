package dev.llamaj.core.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Seeded random tensors in any supported format, for tests. Quantized blocks are random bytes
 * (so every code, nibble and scale bit pattern occurs) with their f16 scale fields overwritten
 * by finite values of a realistic size, so values stay in a range where float sums are
 * meaningful. Float formats hold Gaussian values.
 */
public final class RandomBlocks {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomBlocks() {
    }

    /** The formats the scalar reference computes with. */
    public static final GgmlType[] SUPPORTED = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
        GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
        GgmlType.Q5_K, GgmlType.Q6_K};

    /** A {@code rows × cols} tensor of {@code type} in {@code arena}; cols must fit the block size. */
    public static Tensor matrix(Arena arena, String name, GgmlType type, int rows, int cols, long seed) {
        long bytes = type.bytesFor((long) rows * cols);
        if (bytes < 0 || cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(cols + " columns do not fit " + type + " blocks");
        }
        MemorySegment data = arena.allocate(bytes, 8);
        Random random = new Random(seed);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < bytes / 4; i++) {
                    data.setAtIndex(FLOAT_LE, i, (float) random.nextGaussian());
                }
            }
            case F16 -> {
                for (long i = 0; i < bytes / 2; i++) {
                    data.setAtIndex(SHORT_LE, i, Float.floatToFloat16((float) random.nextGaussian()));
                }
            }
            case BF16 -> {
                for (long i = 0; i < bytes / 2; i++) {
                    data.setAtIndex(SHORT_LE, i, BF16.fromFloat((float) random.nextGaussian()));
                }
            }
            default -> fillBlocks(data, type, random);
        }
        return new Tensor(name, type, new long[] {cols, rows}, data);
    }

    private static void fillBlocks(MemorySegment data, GgmlType type, Random random) {
        byte[] bytes = new byte[(int) data.byteSize()];
        random.nextBytes(bytes);
        MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
        int[] scaleFields = scaleFields(type);
        for (long b = 0; b < data.byteSize() / type.blockBytes(); b++) {
            for (int field : scaleFields) {
                // realistic magnitudes: a block's values end up around 0.01–1
                float scale = (float) ((0.002 + 0.02 * random.nextDouble()) * (random.nextBoolean() ? 1 : -1));
                data.set(SHORT_LE, b * type.blockBytes() + field, Float.floatToFloat16(scale));
            }
        }
    }

    /** Byte offsets of the f16 fields inside one block (see LAYOUTS.md). */
    private static int[] scaleFields(GgmlType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            default -> throw new IllegalArgumentException("no random blocks for " + type);
        };
    }

    /** A Gaussian vector of {@code n} floats. */
    public static float[] vector(int n, long seed) {
        Random random = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
