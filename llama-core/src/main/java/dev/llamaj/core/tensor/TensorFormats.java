package dev.llamaj.core.tensor;

/** The registry behind {@link TensorFormat#of}. */
final class TensorFormats {
    private TensorFormats() {
    }

    static TensorFormat of(GgmlType type) {
        return switch (type) {
            case F32 -> F32.INSTANCE;
            case F16 -> F16.INSTANCE;
            case BF16 -> BF16.INSTANCE;
            case Q8_0 -> Q8_0.INSTANCE;
            case Q4_0 -> Q4_0.INSTANCE;
            case Q4_1 -> Q4_1.INSTANCE;
            case Q5_0 -> Q5_0.INSTANCE;
            case Q5_1 -> Q5_1.INSTANCE;
            case Q2_K -> Q2_K.INSTANCE;
            case Q3_K -> Q3_K.INSTANCE;
            case Q4_K -> Q4_K.INSTANCE;
            case Q5_K -> Q5_K.INSTANCE;
            case Q6_K -> Q6_K.INSTANCE;
            default -> throw new UnsupportedOperationException("tensor type " + type + " is not supported for computation");
        };
    }
}
