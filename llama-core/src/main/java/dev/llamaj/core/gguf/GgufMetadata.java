package dev.llamaj.core.gguf;

import dev.llamaj.core.ModelFormatException;
import dev.llamaj.core.gguf.GgufValue.ArrayValue;
import dev.llamaj.core.gguf.GgufValue.BoolValue;
import dev.llamaj.core.gguf.GgufValue.FloatValue;
import dev.llamaj.core.gguf.GgufValue.IntegerValue;
import dev.llamaj.core.gguf.GgufValue.StringValue;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A GGUF file's metadata, keys in file order. The typed getters throw a
 * {@link ModelFormatException} naming the file, the key and the type expected when a key is
 * missing or holds something else; the {@code opt} variants return empty only when the key is
 * absent (a present key of the wrong type is still an error).
 */
public final class GgufMetadata {
    private final Path file;
    private final Map<String, GgufValue> values;

    GgufMetadata(Path file, LinkedHashMap<String, GgufValue> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(values);
    }

    /** Every key and value, in file order. */
    public Map<String, GgufValue> asMap() {
        return values;
    }

    /** The keys, in file order. */
    public Set<String> keys() {
        return values.keySet();
    }

    public int size() {
        return values.size();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    /** The raw value, or empty when absent. */
    public Optional<GgufValue> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** The raw value; a missing key is an error. */
    public GgufValue value(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw new ModelFormatException(file, "metadata key '" + key + "' is missing");
        }
        return v;
    }

    public String getString(String key) {
        if (value(key) instanceof StringValue s) {
            return s.value();
        }
        throw mistyped(key, "a string");
    }

    /** A whole number of any integer type whose value fits an int. */
    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new ModelFormatException(file, "metadata key '" + key + "' is " + v
                    + ", expected an integer that fits a 32-bit signed int");
        }
        return (int) v;
    }

    /** A whole number of any integer type whose value fits a long. */
    public long getLong(String key) {
        if (value(key) instanceof IntegerValue i) {
            if (!i.fitsLong()) {
                throw new ModelFormatException(file, "metadata key '" + key + "' is " + i
                        + ", expected an integer that fits a 64-bit signed long");
            }
            return i.bits();
        }
        throw mistyped(key, "an integer");
    }

    /** A {@code FLOAT32}, or a {@code FLOAT64} rounded to float. */
    public float getFloat(String key) {
        return (float) getDouble(key);
    }

    /** A {@code FLOAT32} or {@code FLOAT64}. */
    public double getDouble(String key) {
        if (value(key) instanceof FloatValue f) {
            return f.value();
        }
        throw mistyped(key, "a float32 or float64");
    }

    public boolean getBool(String key) {
        if (value(key) instanceof BoolValue b) {
            return b.value();
        }
        throw mistyped(key, "a bool");
    }

    /** An array of any element type. */
    public ArrayValue getArray(String key) {
        if (value(key) instanceof ArrayValue a) {
            return a;
        }
        throw mistyped(key, "an array");
    }

    public int getArrayLength(String key) {
        return getArray(key).length();
    }

    /** An array of strings, as an unmodifiable list. */
    public List<String> getStringArray(String key) {
        ArrayValue a = getArray(key);
        if (a.elements() instanceof String[] s) {
            return Collections.unmodifiableList(Arrays.asList(s));
        }
        throw mistypedArray(key, a, "strings");
    }

    /** An array of float32 (or float64, rounded to float). */
    public float[] getFloatArray(String key) {
        ArrayValue a = getArray(key);
        return switch (a.elements()) {
            case float[] f -> f; // elements() already copied
            case double[] d -> {
                float[] f = new float[d.length];
                for (int i = 0; i < d.length; i++) {
                    f[i] = (float) d[i];
                }
                yield f;
            }
            default -> throw mistypedArray(key, a, "float32 or float64");
        };
    }

    /** An array of any integer element type whose every value fits an int. */
    public int[] getIntArray(String key) {
        ArrayValue a = getArray(key);
        if (!a.elementType().isInteger()) {
            throw mistypedArray(key, a, "integers");
        }
        int[] out = new int[a.length()];
        for (int i = 0; i < out.length; i++) {
            long v = a.longAt(i);
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE || (a.elementType() == GgufValueType.UINT64 && v < 0)) {
                throw new ModelFormatException(file, "metadata key '" + key + "' element " + i + " is "
                        + a.get(i) + ", expected an integer that fits a 32-bit signed int");
            }
            out[i] = (int) v;
        }
        return out;
    }

    public Optional<String> optString(String key) {
        return contains(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    public OptionalInt optInt(String key) {
        return contains(key) ? OptionalInt.of(getInt(key)) : OptionalInt.empty();
    }

    public OptionalLong optLong(String key) {
        return contains(key) ? OptionalLong.of(getLong(key)) : OptionalLong.empty();
    }

    public Optional<Float> optFloat(String key) {
        return contains(key) ? Optional.of(getFloat(key)) : Optional.empty();
    }

    public Optional<Boolean> optBool(String key) {
        return contains(key) ? Optional.of(getBool(key)) : Optional.empty();
    }

    private ModelFormatException mistyped(String key, String expected) {
        GgufValue v = values.get(key);
        String found = v instanceof ArrayValue a ? "an array of " + a.elementType() : "a " + v.type();
        return new ModelFormatException(file, "metadata key '" + key + "' is " + found + ", expected " + expected);
    }

    private ModelFormatException mistypedArray(String key, ArrayValue a, String expected) {
        return new ModelFormatException(file, "metadata key '" + key + "' is an array of " + a.elementType()
                + ", expected an array of " + expected);
    }

    @Override
    public String toString() {
        return "GgufMetadata" + values.keySet();
    }
}
