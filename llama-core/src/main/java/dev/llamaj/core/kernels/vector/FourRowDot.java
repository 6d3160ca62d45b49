package dev.llamaj.core.kernels.vector;

import static dev.llamaj.core.kernels.vector.Simd.L;

import java.lang.foreign.MemorySegment;

/**
 * A row dot whose one kernel serves one row or four ({@link RowDot#dot4}): {@link #rows} leaves
 * each row's lanes in a scratch, {@link #finish} sums them. One code for both is how a row gets
 * the same sum bit for bit whether it runs alone or beside three others.
 */
abstract class FourRowDot implements RowDot {
    private final Rounding rounding;

    FourRowDot(Rounding rounding) {
        this.rounding = rounding;
    }

    @Override
    public Rounding rounding() {
        return rounding;
    }

    /** The lanes of the {@code nrows} rows at {@code off + k·stride} into {@code scratch} (row k's from {@code k·L}). */
    abstract void rows(MemorySegment w, long off, long stride, int nrows, RoundedRows x, int row, float[] scratch);

    /** Row k's dot (at {@code off}) from its lanes in {@code scratch}, plus whatever of the row {@link #rows} left out. */
    abstract float finish(MemorySegment w, long off, RoundedRows x, int row, float[] scratch, int k);

    @Override
    public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row) {
        return dot(w, off, x, raw, row, x.dotScratch());
    }

    @Override
    public float dot(MemorySegment w, long off, RoundedRows x, float[] raw, int row, float[] scratch) {
        return one(w, off, x, row, scratch);
    }

    /**
     * One row's dot: by default {@link #rows} for it alone, then {@link #finish}. The formats with a
     * one-row kernel (sums in registers, summed there in {@link #lanes}' order) override it; they
     * must give the bits {@link #rows} and {@link #finish} give.
     */
    float one(MemorySegment w, long off, RoundedRows x, int row, float[] scratch) {
        rows(w, off, 0, 1, x, row, scratch);
        return finish(w, off, x, row, scratch, 0);
    }

    @Override
    public void dot4(MemorySegment w, long off, long stride, RoundedRows x, float[] raw, int row, float[] out, int o,
            int outStride, float[] scratch) {
        rows(w, off, stride, 4, x, row, scratch);
        for (int k = 0; k < 4; k++) {
            out[o + k * outStride] = finish(w, off + k * stride, x, row, scratch, k);
        }
    }

    /** The lane sum of row k ({@link Simd#laneSum}), for the kernels that leave nothing else. */
    static float lanes(float[] scratch, int k) {
        return Simd.laneSum(scratch, k * L);
    }
}
