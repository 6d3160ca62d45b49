package dev.llamaj.core.gguf;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One GGUF metadata value: a whole number, a floating point number, a bool, a string or an
 * array. The factories ({@link #uint32(long)}, {@link #string(String)}, {@link #floats(float[])}
 * ...) build values for {@link GgufWriter}; the reader produces the same records.
 */
public sealed interface GgufValue {
    /** The value's type as stored in the file. */
    GgufValueType type();

    /**
     * A whole number of any GGUF integer type. {@code bits} holds the value sign-extended for
     * signed types and zero-extended for unsigned ones; a {@code UINT64} above
     * {@link Long#MAX_VALUE} reads as a negative long (see {@link #fitsLong()}).
     */
    record IntegerValue(GgufValueType type, long bits) implements GgufValue {
        public IntegerValue {
            if (!type.isInteger()) {
                throw new IllegalArgumentException(type + " is not an integer type");
            }
        }

        /** Whether the value, read with its signedness, fits a Java long. */
        public boolean fitsLong() {
            return type != GgufValueType.UINT64 || bits >= 0;
        }

        @Override
        public String toString() {
            return type == GgufValueType.UINT64 ? Long.toUnsignedString(bits) : Long.toString(bits);
        }
    }

    /** A {@code FLOAT32} or {@code FLOAT64}; a {@code FLOAT32} is held exactly in the double. */
    record FloatValue(GgufValueType type, double value) implements GgufValue {
        public FloatValue {
            if (!type.isFloat()) {
                throw new IllegalArgumentException(type + " is not a floating point type");
            }
        }

        @Override
        public String toString() {
            return type == GgufValueType.FLOAT32 ? Float.toString((float) value) : Double.toString(value);
        }
    }

    /** A {@code BOOL}. */
    record BoolValue(boolean value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.BOOL;
        }

        @Override
        public String toString() {
            return Boolean.toString(value);
        }
    }

    /** A {@code STRING} (UTF-8 in the file). */
    record StringValue(String value) implements GgufValue {
        public StringValue {
            Objects.requireNonNull(value);
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.STRING;
        }

        @Override
        public String toString() {
            return value;
        }
    }

    /**
     * An {@code ARRAY} of one element type. The elements are held in the tightest Java array for
     * that type ({@code byte[]} for 8-bit integers, {@code short[]}, {@code int[]}, {@code long[]},
     * {@code float[]}, {@code double[]}, {@code boolean[]}, {@code String[]}, and
     * {@code ArrayValue[]} for nested arrays), so metadata takes about as much heap as file.
     */
    record ArrayValue(GgufValueType elementType, Object elements) implements GgufValue {
        public ArrayValue {
            Class<?> expected = storageClass(elementType);
            if (elements == null || elements.getClass() != expected) {
                throw new IllegalArgumentException("a " + elementType + " array needs a " + expected.getSimpleName());
            }
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.ARRAY;
        }

        /** A copy of the elements, in the storage described above (nested arrays are shared: they are immutable). */
        @Override
        public Object elements() {
            return switch (elements) {
                case byte[] a -> a.clone();
                case short[] a -> a.clone();
                case int[] a -> a.clone();
                case long[] a -> a.clone();
                case float[] a -> a.clone();
                case double[] a -> a.clone();
                case boolean[] a -> a.clone();
                case String[] a -> a.clone();
                case ArrayValue[] a -> a.clone();
                default -> throw new IllegalStateException();
            };
        }

        /** Number of elements. */
        public int length() {
            return java.lang.reflect.Array.getLength(elements);
        }

        /** Element {@code i} as a whole number (integer element types only), as {@link IntegerValue#bits()}. */
        public long longAt(int i) {
            return switch (elements) {
                case byte[] a -> elementType.isUnsigned() ? Byte.toUnsignedLong(a[i]) : a[i];
                case short[] a -> elementType.isUnsigned() ? Short.toUnsignedLong(a[i]) : a[i];
                case int[] a -> elementType.isUnsigned() ? Integer.toUnsignedLong(a[i]) : a[i];
                case long[] a -> a[i];
                default -> throw new IllegalStateException("a " + elementType + " array holds no integers");
            };
        }

        /** Element {@code i} as a {@link GgufValue}. */
        public GgufValue get(int i) {
            return switch (elements) {
                case float[] a -> new FloatValue(elementType, a[i]);
                case double[] a -> new FloatValue(elementType, a[i]);
                case boolean[] a -> new BoolValue(a[i]);
                case String[] a -> new StringValue(a[i]);
                case ArrayValue[] a -> a[i];
                default -> new IntegerValue(elementType, longAt(i));
            };
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ArrayValue a && a.elementType == elementType
                    && Objects.deepEquals(a.elements, elements);
        }

        @Override
        public int hashCode() {
            return elementType.hashCode() * 31 + Arrays.deepHashCode(new Object[] {elements});
        }

        @Override
        public String toString() {
            return elementType + "[" + length() + "]";
        }

        static Class<?> storageClass(GgufValueType type) {
            return switch (type) {
                case UINT8, INT8 -> byte[].class;
                case UINT16, INT16 -> short[].class;
                case UINT32, INT32 -> int[].class;
                case UINT64, INT64 -> long[].class;
                case FLOAT32 -> float[].class;
                case FLOAT64 -> double[].class;
                case BOOL -> boolean[].class;
                case STRING -> String[].class;
                case ARRAY -> ArrayValue[].class;
            };
        }
    }

    static IntegerValue uint8(int v) {
        return new IntegerValue(GgufValueType.UINT8, checkRange(v, 0, 0xFF));
    }

    static IntegerValue int8(int v) {
        return new IntegerValue(GgufValueType.INT8, checkRange(v, Byte.MIN_VALUE, Byte.MAX_VALUE));
    }

    static IntegerValue uint16(int v) {
        return new IntegerValue(GgufValueType.UINT16, checkRange(v, 0, 0xFFFF));
    }

    static IntegerValue int16(int v) {
        return new IntegerValue(GgufValueType.INT16, checkRange(v, Short.MIN_VALUE, Short.MAX_VALUE));
    }

    static IntegerValue uint32(long v) {
        return new IntegerValue(GgufValueType.UINT32, checkRange(v, 0, 0xFFFF_FFFFL));
    }

    static IntegerValue int32(int v) {
        return new IntegerValue(GgufValueType.INT32, v);
    }

    /** A {@code UINT64}; {@code bits} is read as unsigned. */
    static IntegerValue uint64(long bits) {
        return new IntegerValue(GgufValueType.UINT64, bits);
    }

    static IntegerValue int64(long v) {
        return new IntegerValue(GgufValueType.INT64, v);
    }

    static FloatValue float32(float v) {
        return new FloatValue(GgufValueType.FLOAT32, v);
    }

    static FloatValue float64(double v) {
        return new FloatValue(GgufValueType.FLOAT64, v);
    }

    static BoolValue bool(boolean v) {
        return new BoolValue(v);
    }

    static StringValue string(String v) {
        return new StringValue(v);
    }

    /** An array of {@code FLOAT32}. */
    static ArrayValue floats(float[] v) {
        return new ArrayValue(GgufValueType.FLOAT32, v.clone());
    }

    /** An array of {@code INT32}. */
    static ArrayValue ints(int[] v) {
        return new ArrayValue(GgufValueType.INT32, v.clone());
    }

    /** An array of {@code STRING}. */
    static ArrayValue strings(List<String> v) {
        return new ArrayValue(GgufValueType.STRING, v.toArray(String[]::new));
    }

    /** An array of {@code elementType}, {@code elements} (copied) in that type's storage (see {@link ArrayValue}). */
    static ArrayValue array(GgufValueType elementType, Object elements) {
        return new ArrayValue(elementType, new ArrayValue(elementType, elements).elements());
    }

    private static long checkRange(long v, long min, long max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(v + " is outside " + min + ".." + max);
        }
        return v;
    }
}
