package dev.llamaj.tokenizer;

import java.util.Arrays;

/**
 * Decodes a stream of ids one at a time, returning only complete characters: a character spread
 * over several byte pieces comes out once, whole, with the piece that completes it. Everything
 * returned by {@link #accept} and then {@link #flush}, concatenated, equals
 * {@link Tokenizer#decode} of the same ids.
 *
 * <p>Not thread-safe: it holds the bytes of an unfinished character; use one per stream.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final PieceSurfaces surfaces;
    private byte[] pending = new byte[8];
    private int pendingLength;
    private boolean atStart = true;
    private boolean startSpaceSeen;
    private boolean emittedText;

    StreamingDecoder(Tokenizer tokenizer, PieceSurfaces surfaces) {
        this.tokenizer = tokenizer;
        this.surfaces = surfaces;
    }

    /**
     * Takes the next id and returns the characters it completes ("" when none yet).
     *
     * @throws IllegalArgumentException when {@code id} is outside the vocabulary
     */
    public String accept(int id) {
        tokenizer.checkId(id);
        StringBuilder out = new StringBuilder();
        if (surfaces.isByte(id)) {
            if (pendingLength == pending.length) {
                pending = Arrays.copyOf(pending, pendingLength * 2);
            }
            pending[pendingLength++] = (byte) tokenizer.byteValue(id);
            drainComplete(out);
        } else {
            drainAll(out);
            if (startSpaceSeen || emittedText || !out.isEmpty()) {
                atStart = false;
            }
            startSpaceSeen = surfaces.append(id, atStart, out);
        }
        return emit(out);
    }

    /** Returns what is left: bytes of an unfinished character, each as U+FFFD. */
    public String flush() {
        StringBuilder out = new StringBuilder();
        drainAll(out);
        return emit(out);
    }

    private String emit(StringBuilder out) {
        if (out.isEmpty()) {
            return "";
        }
        emittedText = true;
        return out.toString();
    }

    /** Decodes the pending bytes up to the first character that more bytes could still complete. */
    private void drainComplete(StringBuilder out) {
        int off = 0;
        while (off < pendingLength) {
            int need = Utf8Bytes.sequenceLength(pending[off] & 0xFF);
            int have = pendingLength - off;
            if (need > have && allTrail(off + 1, pendingLength)) {
                break; // may still become a character: wait for more bytes
            }
            off += Utf8Bytes.decodeOne(pending, off, have, out);
        }
        shift(off);
    }

    private void drainAll(StringBuilder out) {
        Utf8Bytes.decodeRun(pending, pendingLength, out);
        pendingLength = 0;
    }

    private boolean allTrail(int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Utf8Bytes.isTrail(pending[i] & 0xFF)) {
                return false;
            }
        }
        return true;
    }

    private void shift(int consumed) {
        System.arraycopy(pending, consumed, pending, 0, pendingLength - consumed);
        pendingLength -= consumed;
    }
}
