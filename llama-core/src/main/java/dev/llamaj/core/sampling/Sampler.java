package dev.llamaj.core.sampling;

/** Placeholder until sampling lands. */
public final class Sampler {
    private Sampler() {
    }
}
