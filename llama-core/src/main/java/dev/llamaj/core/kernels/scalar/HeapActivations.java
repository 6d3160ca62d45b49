package dev.llamaj.core.kernels.scalar;

import dev.llamaj.core.kernels.Activations;

/** Activations as one float array on the Java heap, row-major. */
final class HeapActivations implements Activations {
    private final int rows;
    private final int cols;
    final float[] data;

    HeapActivations(int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("activations need at least one row and one column, got " + rows + " × " + cols);
        }
        if ((long) rows * cols > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("activations of " + rows + " × " + cols + " do not fit one Java array");
        }
        this.rows = rows;
        this.cols = cols;
        this.data = new float[rows * cols];
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** Offset of row {@code row} in {@link #data}. */
    int offset(int row) {
        return row * cols;
    }

    @Override
    public void write(int row, float[] src) {
        checkRow(row);
        if (src.length < cols) {
            throw new IllegalArgumentException("row needs " + cols + " values, got an array of " + src.length);
        }
        System.arraycopy(src, 0, data, offset(row), cols);
    }

    @Override
    public void read(int row, float[] dst) {
        checkRow(row);
        if (dst.length < cols) {
            throw new IllegalArgumentException("row has " + cols + " values, got an array of " + dst.length);
        }
        System.arraycopy(data, offset(row), dst, 0, cols);
    }

    private void checkRow(int row) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " of activations with " + rows + " rows");
        }
    }

    @Override
    public void close() {
        // heap memory: nothing to free
    }
}
