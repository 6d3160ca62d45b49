package dev.llamaj.core.kernels;

/**
 * A provider-owned matrix of float activations, {@link #rows()} × {@link #cols()}, one row per
 * token of a batch. It may live on a device: move data in and out only with
 * {@link #write} and {@link #read}.
 */
public interface Activations extends AutoCloseable {
    int rows();

    int cols();

    /** Copies {@code src[0..cols)} into row {@code row}. */
    void write(int row, float[] src);

    /** Copies row {@code row} into {@code dst[0..cols)}. */
    void read(int row, float[] dst);

    @Override
    void close();
}
