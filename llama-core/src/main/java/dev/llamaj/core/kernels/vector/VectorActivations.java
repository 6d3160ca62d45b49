package dev.llamaj.core.kernels.vector;

import dev.llamaj.core.kernels.Activations;

/** Activations on the Java heap: one float array, row-major (the Vector API is fastest on arrays). */
final class VectorActivations implements Activations {
    final float[] data;
    private final int rows;
    private final int cols;

    VectorActivations(int rows, int cols) {
        if (rows < 1 || cols < 1 || (long) rows * cols > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("activations of " + rows + " x " + cols + " are out of range");
        }
        this.rows = rows;
        this.cols = cols;
        this.data = new float[rows * cols];
    }

    static VectorActivations of(Activations a) {
        if (a instanceof VectorActivations v) {
            return v;
        }
        throw new IllegalArgumentException("activations " + a.getClass().getName() + " do not belong to the vector kernels");
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void write(int row, float[] src) {
        System.arraycopy(src, 0, data, checkRow(row) * cols, cols);
    }

    @Override
    public void read(int row, float[] dst) {
        System.arraycopy(data, checkRow(row) * cols, dst, 0, cols);
    }

    private int checkRow(int row) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " of " + rows);
        }
        return row;
    }

    @Override
    public void close() {
    }
}
