package dev.llamaj.cli;

/** Bad command-line arguments: reported in one line, exit status 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
