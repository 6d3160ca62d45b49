package dev.llamaj.tokenizer;

import java.nio.file.Path;

/**
 * A tokenizer file or vocabulary that cannot be used: the message names the file (when there is
 * one), where the problem is, and what was expected instead.
 */
public class TokenizerFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A problem with a vocabulary that did not come from a file. */
    public TokenizerFormatException(String message) {
        super(message);
    }

    /** A problem in {@code file}; the message is prefixed with the file's path. */
    public TokenizerFormatException(Path file, String message) {
        super(file + ": " + message);
    }

    /** A problem in {@code file} caused by {@code cause} (e.g. an I/O error). */
    public TokenizerFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
    }
}
