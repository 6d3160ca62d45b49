package dev.llamaj.core.tensor;

/** The registry behind {@link TensorFormat#of}. */
final class TensorFormats {
    private TensorFormats() {
    }

    static TensorFormat of(GgmlType type) {
        return switch (type) {
            case F32 -> F32.INSTANCE;
            default -> throw new UnsupportedOperationException("tensor type " + type + " is not supported for computation");
        };
    }
}
