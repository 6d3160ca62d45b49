package dev.llamaj.core.gguf;

/**
 * The types a GGUF metadata value can have, with their ids in the file. Fixed-size types know
 * their width in bytes; {@link #STRING} and {@link #ARRAY} are variable-sized.
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, -1),
    ARRAY(9, -1),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The type's id in the file. */
    public int id() {
        return id;
    }

    /** Bytes one value takes in the file, or -1 for strings and arrays. */
    public int size() {
        return size;
    }

    /** Whether values of this type are whole numbers (signed or unsigned, any width). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** Whether values of this type are unsigned whole numbers. */
    public boolean isUnsigned() {
        return this == UINT8 || this == UINT16 || this == UINT32 || this == UINT64;
    }

    /** Whether values of this type are floating point numbers. */
    public boolean isFloat() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /**
     * The smallest number of bytes one value of this type can take in a file: its width for
     * fixed-size types, the length prefix for strings, element type and count for arrays. Used
     * to reject counts the rest of the file cannot hold before anything is allocated.
     */
    int minimumSize() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> size;
        };
    }

    /** The type with id {@code id}, or null when GGUF defines none. */
    public static GgufValueType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
