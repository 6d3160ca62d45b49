package dev.llamaj.core.kernels.vector;

import java.lang.foreign.MemorySegment;

/**
 * A row dot with two kernels that keep their sums in registers: {@link #one} for one row, and
 * {@link #runs} for four rows far apart, read side by side, each row's sum through the same
 * operations in the same order as {@link #one}'s (so the same bits), the activations loaded and
 * widened once for the four. A token's product reads these formats' rows as four runs
 * ({@link VectorKernels#DECODE_RUNS}): four streams of weights in flight instead of one.
 */
abstract class FourRunDot implements RowDot {
    private final Rounding rounding;

    FourRunDot(Rounding rounding) {
        this.rounding = rounding;
    }

    @Override
    public Rounding rounding() {
        return rounding;
    }

    /** One row's dot over its whole quads (the blocks past them are {@link #tail}'s). */
    abstract float one(MemorySegment w, long off, RoundedRows x, int row, float[] scratch);

    /** {@link #one} for the rows at {@code off + k·stride}, k &lt; 4, into {@code out[o + k·outStride]}. */
    abstract void runs(MemorySegment w, long off, long stride, RoundedRows x, int row, float[] out, int o, int outStride);

    /** The blocks of the row at {@code off} past its last whole quad, by the scalar path. */
    abstract float tail(MemorySegment w, long off, RoundedRows x, int row);

    @Override
    public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
        return dot(w, off, x, raw, row, x.dotScratch());
    }

    @Override
    public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row, float[] scratch) {
        return one(w, off, x, row, scratch) + tail(w, off, x, row);
    }

    @Override
    public void dot4(MemorySegment w, long off, long stride, RoundedRows x, float[] raw, int row, float[] out, int o,
            int outStride, float[] scratch) {
        runs(w, off, stride, x, row, out, o, outStride);
        for (int k = 0; k < 4; k++) {
            out[o + k * outStride] += tail(w, off + k * stride, x, row);
        }
    }

    @Override
    public boolean runsSideBySide() {
        return true;
    }
}
