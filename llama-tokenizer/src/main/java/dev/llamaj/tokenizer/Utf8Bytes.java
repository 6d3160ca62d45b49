package dev.llamaj.tokenizer;

/**
 * Turns the bytes of consecutive byte pieces back into text the way sentencepiece does: one
 * character at a time, and each byte that does not start a well-formed UTF-8 sequence (bad lead,
 * bad continuation, overlong form, surrogate, beyond U+10FFFF, or cut short) becomes one U+FFFD.
 */
final class Utf8Bytes {
    private Utf8Bytes() {
    }

    /** Length of the sequence {@code lead} starts, or 0 when it cannot start one. */
    static int sequenceLength(int lead) {
        if (lead < 0x80) {
            return 1;
        } else if ((lead & 0xE0) == 0xC0) {
            return 2;
        } else if ((lead & 0xF0) == 0xE0) {
            return 3;
        } else if ((lead & 0xF8) == 0xF0) {
            return 4;
        }
        return 0;
    }

    static boolean isTrail(int b) {
        return (b & 0xC0) == 0x80;
    }

    /**
     * Decodes one character from {@code bytes[off, off+len)} into {@code out} (U+FFFD when
     * malformed) and returns how many bytes it took: the sequence length, or 1 when malformed.
     */
    static int decodeOne(byte[] bytes, int off, int len, StringBuilder out) {
        int b0 = bytes[off] & 0xFF;
        int need = sequenceLength(b0);
        if (need == 1) {
            out.append((char) b0);
            return 1;
        }
        if (need > 1 && len >= need) {
            int cp = b0 & (0xFF >> (need + 1));
            boolean ok = true;
            for (int k = 1; k < need; k++) {
                int b = bytes[off + k] & 0xFF;
                ok &= isTrail(b);
                cp = (cp << 6) | (b & 0x3F);
            }
            int min = need == 2 ? 0x80 : need == 3 ? 0x800 : 0x10000;
            if (ok && cp >= min && (cp < 0xD800 || (cp >= 0xE000 && cp <= 0x10FFFF))) {
                out.appendCodePoint(cp);
                return need;
            }
        }
        out.append('\uFFFD');
        return 1;
    }

    /** Decodes all of {@code bytes[0, len)} as one run of byte pieces. */
    static void decodeRun(byte[] bytes, int len, StringBuilder out) {
        int off = 0;
        while (off < len) {
            off += decodeOne(bytes, off, len - off, out);
        }
    }
}
