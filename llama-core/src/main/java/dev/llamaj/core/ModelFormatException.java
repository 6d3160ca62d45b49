package dev.llamaj.core;

import java.nio.file.Path;

/**
 * A model file that is not what it claims to be: the message names the file, where the problem
 * is (a byte offset or a metadata key) and what was expected there.
 */
public class ModelFormatException extends LlamaException {
    private final Path file;

    public ModelFormatException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    public ModelFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }
}
