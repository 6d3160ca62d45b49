package dev.llamaj.tokenizer;

/**
 * sentencepiece's normalization with the identity rule (no character map): optional removal of
 * leading, trailing and repeated spaces, the dummy-prefix space, and spaces escaped as U+2581.
 * User-defined pieces pass through untouched. Only U+0020 counts as a space, as in sentencepiece.
 *
 * <p>sentencepiece works on UTF-8 bytes and turns each malformed byte into U+FFFD; a Java string
 * can only be malformed through unpaired surrogates, and each becomes U+FFFD here.
 */
final class Normalizer {
    static final char SPACE_SYMBOL = '\u2581';

    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final boolean escapeWhitespaces;
    private final UserSymbols userSymbols;

    Normalizer(Vocabulary v, UserSymbols userSymbols) {
        this.addDummyPrefix = v.addDummyPrefix();
        this.removeExtraWhitespaces = v.removeExtraWhitespaces();
        this.escapeWhitespaces = v.escapeWhitespaces();
        this.userSymbols = userSymbols;
    }

    String normalize(String text) {
        int n = text.length();
        int i = 0;
        if (removeExtraWhitespaces) {
            while (i < n && text.charAt(i) == ' ' && prefixLength(text, i) == 1) {
                i++;
            }
        }
        if (i == n) {
            return "";
        }
        StringBuilder out = new StringBuilder(n + n / 8 + 2);
        if (addDummyPrefix) {
            out.append(escapeWhitespaces ? SPACE_SYMBOL : ' ');
        }
        boolean previousWasSpace = removeExtraWhitespaces;
        while (i < n) {
            int length = prefixLength(text, i);
            int start = i;
            int end = i + length;
            if (previousWasSpace) {
                while (start < end && text.charAt(start) == ' ') {
                    start++;
                }
            }
            if (start < end) {
                append(out, text, start, end);
                previousWasSpace = text.charAt(end - 1) == ' ';
            }
            i = end;
            if (!removeExtraWhitespaces) {
                previousWasSpace = false;
            }
        }
        if (removeExtraWhitespaces) {
            char space = escapeWhitespaces ? SPACE_SYMBOL : ' ';
            int length = out.length();
            while (length > 0 && out.charAt(length - 1) == space) {
                length--;
            }
            out.setLength(length);
        }
        return out.toString();
    }

    /** A user-defined piece at {@code i}, else one code point (an unpaired surrogate counts as one). */
    private int prefixLength(String text, int i) {
        if (!userSymbols.isEmpty()) {
            int match = userSymbols.match(text, i);
            if (match > 0) {
                return match;
            }
        }
        if (Character.isHighSurrogate(text.charAt(i)) && i + 1 < text.length()
                && Character.isLowSurrogate(text.charAt(i + 1))) {
            return 2;
        }
        return 1;
    }

    private void append(StringBuilder out, String text, int start, int end) {
        if (end - start == 1) {
            char c = text.charAt(start);
            if (Character.isSurrogate(c)) {
                out.append('\uFFFD');
            } else {
                out.append(escapeWhitespaces && c == ' ' ? SPACE_SYMBOL : c);
            }
            return;
        }
        for (int k = start; k < end; k++) {
            char c = text.charAt(k);
            out.append(escapeWhitespaces && c == ' ' ? SPACE_SYMBOL : c);
        }
    }
}
