package dev.llamaj.core.kernels.vector;

import java.lang.foreign.MemorySegment;

/** One weight format's dot product of a stored row with a rounded activation row. */
interface RowDot {
    /** How the activations must be rounded first. */
    Rounding rounding();

    /**
     * Dot of the weight row at byte {@code rowOffset} of {@code w} ({@code x.cols} elements) with
     * row {@code row} of {@code x}; {@code raw} holds the unrounded activations (rows of {@code x.cols}).
     */
    float dot(MemorySegment w, long rowOffset, RoundedRows x, float[] raw, int row);

    /**
     * {@link #dot(MemorySegment, long, RoundedRows, float[], int)} with the caller's scratch of at
     * least {@link RoundedRows#DOT_SCRATCH} floats, for the dots that keep their lanes in one
     * ({@link FourRowDot}): a token's product calls it for every row, and so skips a thread-local
     * lookup ({@link RoundedRows#dotScratch}) per row.
     */
    default float dot(MemorySegment w, long rowOffset, RoundedRows x, float[] raw, int row, float[] scratch) {
        return dot(w, rowOffset, x, raw, row);
    }

    /**
     * Rows of at least this many bytes take a second loop in this dot's one-row kernel (0: none, the
     * default): {@link VectorKernels}' priming must run rows on both sides of it, or C2 compiles the
     * loop it never saw as a trap, and recompiles the kernel mid-run when a row first takes it.
     */
    default long secondLoopFromRowBytes() {
        return 0;
    }

    /**
     * {@code out[o + i·outStride] = dot(w, rowOffset + i·rowStride, x, raw, row)} for four rows
     * {@code i < 4}, bit for bit; {@code scratch} holds at least {@link RoundedRows#DOT_SCRATCH}
     * floats. A token's matrix-vector product calls it on four runs of rows far apart, read side
     * by side, where {@link #runsSideBySide} (or {@code -Dllamaj.decode.runs=4},
     * {@link VectorKernels#DECODE_RUNS}) says so. The formats whose dots spend many instructions
     * per weight byte (Q4_0, Q8_0, Q4_K and Q6_K at 512 bits) override it to go through the four
     * rows block by block, which keeps four streams of weights in flight where one row after
     * another kept one, and loads and widens the activations once for the four.
     */
    default void dot4(MemorySegment w, long rowOffset, long rowStride, RoundedRows x, float[] raw, int row, float[] out, int o,
            int outStride, float[] scratch) {
        for (int i = 0; i < 4; i++) {
            out[o + i * outStride] = dot(w, rowOffset + i * rowStride, x, raw, row);
        }
    }

    /**
     * Whether a token's product reads this format's rows as four runs side by side ({@link #dot4})
     * rather than one after another, when {@code llamaj.decode.runs} does not choose: true where
     * that was measured faster ({@link FourRunDot}, {@link FloatDots#f16Runs}, {@link FloatDots#CONVERTED_RUNS}).
     */
    default boolean runsSideBySide() {
        return false;
    }
}
