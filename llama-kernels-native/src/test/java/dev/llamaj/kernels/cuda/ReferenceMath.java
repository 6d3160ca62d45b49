package dev.llamaj.kernels.cuda;

import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import dev.llamaj.core.tensor.TensorFormat;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Plain-Java reference for the cuda conformance tests: random weight data in each format,
 * dequantized by llama-core's formats (the scalar provider's reference; {@link #element} is a
 * second reading of six layouts, written element by element from
 * ../shared/tools/synth/LAYOUTS.md, checked against them), and the operations of the Kernels
 * SPI as their definitions read, accumulated in double.
 */
final class ReferenceMath {
    private ReferenceMath() {
    }

    /** A {@code rows × cols} tensor of {@code type} with random contents and sane scales. */
    static Tensor randomTensor(String name, GgmlType type, int rows, int cols, Random rnd) {
        long bytes = type.bytesFor((long) rows * cols);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> {
                for (int i = 0; i < rows * cols; i++) {
                    b.putFloat(i * 4, (float) rnd.nextGaussian());
                }
            }
            case F16 -> {
                for (int i = 0; i < rows * cols; i++) {
                    b.putShort(i * 2, Float.floatToFloat16((float) rnd.nextGaussian()));
                }
            }
            case BF16 -> {
                for (int i = 0; i < rows * cols; i++) {
                    b.putShort(i * 2, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian()) >>> 16));
                }
            }
            default -> {
                rnd.nextBytes(b.array());
                int blocks = Math.toIntExact(bytes / type.blockBytes());
                for (int k = 0; k < blocks; k++) {
                    int base = k * type.blockBytes();
                    switch (type) {
                        case Q8_0, Q4_0, Q5_0 -> b.putShort(base, scale(rnd));
                        case Q4_1, Q5_1, Q4_K, Q5_K -> {
                            b.putShort(base, scale(rnd));
                            b.putShort(base + 2, scale(rnd));
                        }
                        case Q2_K -> {
                            b.putShort(base + 80, scale(rnd));
                            b.putShort(base + 82, scale(rnd));
                        }
                        case Q3_K -> b.putShort(base + 108, scale(rnd));
                        case Q6_K -> b.putShort(base + 208, scale(rnd));
                        default -> throw new IllegalArgumentException("no generator for " + type);
                    }
                }
            }
        }
        return new Tensor(name, type, new long[] {cols, rows}, MemorySegment.ofArray(b.array()));
    }

    private static short scale(Random rnd) {
        return Float.floatToFloat16(0.002f + 0.02f * rnd.nextFloat());
    }

    /** Element {@code e} of the tensor (counted over all rows). */
    static float element(Tensor t, long e) {
        GgmlType type = t.type();
        MemorySegment d = t.data();
        long block = e / type.blockSize();
        int i = (int) (e % type.blockSize());
        long base = block * type.blockBytes();
        return switch (type) {
            case F32 -> Float.intBitsToFloat(i32(d, e * 4));
            case F16 -> f16(d, e * 2);
            case BF16 -> Float.intBitsToFloat(u16(d, e * 2) << 16);
            case Q8_0 -> f16(d, base) * (byte) u8(d, base + 2 + i);
            case Q4_0 -> {
                int q = i < 16 ? u8(d, base + 2 + i) & 15 : u8(d, base + 2 + i - 16) >> 4;
                yield f16(d, base) * (q - 8);
            }
            case Q4_K -> q4k(d, base, i);
            case Q6_K -> q6k(d, base, i);
            default -> throw new IllegalArgumentException("no reference for " + type);
        };
    }

    // e = 64j + 32h + l: qs[32j + l] low (h=0) / high (h=1) nibble, sub-block 2j+h.
    private static float q4k(MemorySegment d, long base, int e) {
        int j = e / 64;
        int h = (e / 32) % 2;
        int l = e % 32;
        int s = 2 * j + h;
        int sc;
        int m;
        if (s < 4) {
            sc = u8(d, base + 4 + s) & 63;
            m = u8(d, base + 4 + s + 4) & 63;
        } else {
            sc = (u8(d, base + 4 + s + 4) & 15) | ((u8(d, base + 4 + s - 4) >> 6) << 4);
            m = (u8(d, base + 4 + s + 4) >> 4) | ((u8(d, base + 4 + s) >> 6) << 4);
        }
        int byteQ = u8(d, base + 16 + 32 * j + l);
        int q = h == 0 ? byteQ & 15 : byteQ >> 4;
        return f16(d, base) * sc * q - f16(d, base + 2) * m;
    }

    // e = 128n + 32k + l: low bits in ql[64n + l + 32(k&1)] (low nibble k<2), high in qh[32n + l] bits 2k.
    private static float q6k(MemorySegment d, long base, int e) {
        int n = e / 128;
        int k = (e / 32) % 4;
        int l = e % 32;
        int lowByte = u8(d, base + 64 * n + l + 32 * (k & 1));
        int low = k < 2 ? lowByte & 15 : lowByte >> 4;
        int high = (u8(d, base + 128 + 32 * n + l) >> (2 * k)) & 3;
        int q = low | (high << 4);
        return f16(d, base + 208) * (byte) u8(d, base + 192 + e / 16) * (q - 32);
    }

    /** Row {@code r} of the tensor, dequantized by llama-core's reference format (the scalar provider's). */
    static float[] row(Tensor t, int r) {
        float[] out = new float[t.rowLength()];
        TensorFormat.of(t.type()).dequantize(t.data(), (long) r * t.rowLength(), out, 0, out.length);
        return out;
    }

    /** {@code W · x} in double, and Σ|w·x| per row (the scale of the rounding error of a float sum). */
    static double[][] matvec(Tensor w, float[] x) {
        double[] y = new double[w.rows()];
        double[] mag = new double[w.rows()];
        for (int r = 0; r < w.rows(); r++) {
            float[] row = row(w, r);
            for (int c = 0; c < row.length; c++) {
                y[r] += (double) row[c] * x[c];
                mag[r] += Math.abs((double) row[c] * x[c]);
            }
        }
        return new double[][] {y, mag};
    }

    static float[] rmsNorm(float[] x, float[] w, float eps) {
        double ss = 0;
        for (float v : x) {
            ss += (double) v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + eps);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (x[i] * inv * w[i]);
        }
        return out;
    }

    static float[] rope(float[] x, int heads, int headDim, int ropeDim, float freqBase, int pos) {
        float[] out = x.clone();
        for (int h = 0; h < heads; h++) {
            for (int j = 0; 2 * j < ropeDim; j++) {
                double angle = pos * Math.pow(freqBase, -2.0 * j / ropeDim);
                int p = h * headDim + 2 * j;
                double a = x[p];
                double b = x[p + 1];
                out[p] = (float) (a * Math.cos(angle) - b * Math.sin(angle));
                out[p + 1] = (float) (a * Math.sin(angle) + b * Math.cos(angle));
            }
        }
        return out;
    }

    /** One query row against {@code keys[0..positions)} / {@code values}: the SPI's attention. */
    static float[] attention(float[] q, float[][] keys, float[][] values, int positions, int heads, int kvHeads) {
        int headDim = q.length / heads;
        float[] out = new float[q.length];
        for (int h = 0; h < heads; h++) {
            int g = h / (heads / kvHeads);
            double[] s = new double[positions];
            double max = Double.NEGATIVE_INFINITY;
            for (int p = 0; p < positions; p++) {
                double dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += (double) q[h * headDim + d] * keys[p][g * headDim + d];
                }
                s[p] = dot / Math.sqrt(headDim);
                max = Math.max(max, s[p]);
            }
            double sum = 0;
            for (int p = 0; p < positions; p++) {
                s[p] = Math.exp(s[p] - max);
                sum += s[p];
            }
            for (int d = 0; d < headDim; d++) {
                double acc = 0;
                for (int p = 0; p < positions; p++) {
                    acc += s[p] * values[p][g * headDim + d];
                }
                out[h * headDim + d] = (float) (acc / sum);
            }
        }
        return out;
    }

    static float[] softmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (Math.exp(x[i] - max) / sum);
        }
        return out;
    }

    static float silu(float g) {
        return (float) (g / (1 + Math.exp(-g)));
    }

    static float roundToF16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    static float[] gaussian(int n, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    private static int u8(MemorySegment d, long at) {
        return d.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    private static int u16(MemorySegment d, long at) {
        return u8(d, at) | (u8(d, at + 1) << 8);
    }

    private static int i32(MemorySegment d, long at) {
        return u16(d, at) | (u16(d, at + 2) << 16);
    }

    private static float f16(MemorySegment d, long at) {
        return Float.float16ToFloat((short) u16(d, at));
    }
}
