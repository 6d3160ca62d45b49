package dev.llamaj.core.gguf;

/** Placeholder until the GGUF reader lands. */
public final class GgufFile {
    private GgufFile() {
    }
}
