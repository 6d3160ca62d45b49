package dev.llamaj.tokenizer;

/** Placeholder until the tokenizer lands. */
public final class Tokenizer {
    private Tokenizer() {
    }
}
