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
}
