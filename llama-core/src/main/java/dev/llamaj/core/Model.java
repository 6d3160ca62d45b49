package dev.llamaj.core;

/** Placeholder until the model lands. */
public final class Model {
    private Model() {
    }
}
