package dev.llamaj.core.kernels;

import dev.llamaj.core.tensor.Tensor;

/** Runs one operation on one provider from plain float rows and reads every row back (for the conformance test). */
final class Ops {
    private Ops() {
    }

    static Activations load(Kernels k, float[][] x, int extraRows) {
        Activations a = k.activations(x.length + extraRows, x[0].length);
        for (int i = 0; i < x.length; i++) {
            a.write(i, x[i]);
        }
        return a;
    }

    static float[][] rmsNorm(Kernels k, Tensor norm, float[][] x) {
        try (Weights w = k.weights(norm); Activations in = load(k, x, 1); Activations out = k.activations(x.length + 1, x[0].length)) {
            k.rmsNorm(out, in, w, 1e-5f, x.length);
            return KernelConformanceTest.read(out);
        }
    }

    static float[][] rope(Kernels k, float[][] x, int heads, int headDim, int ropeDim, int startPos) {
        try (Activations a = load(k, x, 1)) {
            k.rope(a, heads, headDim, ropeDim, 10000f, startPos, x.length);
            float[][] out = KernelConformanceTest.read(a);
            return out;
        }
    }

    static float[][] binary(Kernels k, float[][] x, float[][] y, String op) {
        try (Activations a = load(k, x, 1); Activations b = load(k, y, 1)) {
            switch (op) {
                case "swiglu" -> k.swiglu(a, b, x.length);
                case "add" -> k.add(a, b, x.length);
                default -> throw new IllegalArgumentException(op);
            }
            return KernelConformanceTest.read(a);
        }
    }

    /** Copies all rows of x to rows 1.. of a destination two rows longer. */
    static float[][] copy(Kernels k, float[][] x) {
        try (Activations src = load(k, x, 0); Activations dst = k.activations(x.length + 2, x[0].length)) {
            k.copyRows(dst, 1, src, 0, x.length);
            return KernelConformanceTest.read(dst);
        }
    }

    static float[][] softmax(Kernels k, float[][] x) {
        try (Activations a = load(k, x, 1)) {
            k.softmax(a, x.length);
            return KernelConformanceTest.read(a);
        }
    }
}
