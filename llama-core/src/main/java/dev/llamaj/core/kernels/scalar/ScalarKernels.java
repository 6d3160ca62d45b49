package dev.llamaj.core.kernels.scalar;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;
import dev.llamaj.core.kernels.Kernels;
import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.Tensor;

/**
 * The reference implementation of every {@link Kernels} operation: obvious loops, sums in
 * double, weights read through {@link dev.llamaj.core.tensor.TensorFormat#dot} row by row.
 * Every size is checked and a mismatch is an {@link IllegalArgumentException} that names it.
 */
final class ScalarKernels implements Kernels {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public Weights weights(Tensor tensor) {
        return MappedWeights.of(tensor);
    }

    @Override
    public Activations activations(int rows, int cols) {
        return new HeapActivations(rows, cols);
    }

    @Override
    public KvCache kvCache(int layers, int capacity, int kvDim, KvCacheType type) {
        return new OffHeapKvCache(layers, capacity, kvDim, type);
    }

    @Override
    public void embed(Activations out, Weights table, int[] tokens) {
        HeapActivations o = own(out, "out");
        MappedWeights t = own(table);
        checkRows("out", o, tokens.length);
        sameWidth("out", o.cols(), "embedding table columns", t.cols());
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= t.rows()) {
                throw new IllegalArgumentException("token " + tokens[i] + " at index " + i + " is outside the table "
                        + t.tensor().name() + " of " + t.rows() + " rows");
            }
            t.format().dequantize(t.tensor().data(), t.first(tokens[i]), o.data, o.offset(i), o.cols());
        }
    }

    @Override
    public void rmsNorm(Activations out, Activations x, Weights w, float eps, int n) {
        HeapActivations o = own(out, "out");
        HeapActivations in = own(x, "x");
        MappedWeights weight = own(w);
        checkRows("x", in, n);
        checkRows("out", o, n);
        sameWidth("out", o.cols(), "x", in.cols());
        float[] scale = vector(weight, in.cols());
        for (int i = 0; i < n; i++) {
            int xo = in.offset(i);
            double sumSquares = 0;
            for (int c = 0; c < in.cols(); c++) {
                sumSquares += (double) in.data[xo + c] * in.data[xo + c];
            }
            double inv = 1 / Math.sqrt(sumSquares / in.cols() + eps);
            int oo = o.offset(i);
            for (int c = 0; c < in.cols(); c++) {
                o.data[oo + c] = (float) (in.data[xo + c] * inv * scale[c]);
            }
        }
    }

    @Override
    public void matmul(Activations out, Weights w, Activations x, int n) {
        HeapActivations o = own(out, "out");
        HeapActivations in = own(x, "x");
        MappedWeights weight = own(w);
        checkRows("x", in, n);
        checkRows("out", o, n);
        sameWidth("x", in.cols(), "columns of " + weight.tensor().name(), weight.cols());
        sameWidth("out", o.cols(), "rows of " + weight.tensor().name(), weight.rows());
        if (o == in) {
            throw new IllegalArgumentException("matmul cannot write its output over its input");
        }
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < weight.rows(); r++) {
                o.data[o.offset(i) + r] = weight.format().dot(weight.tensor().data(), weight.first(r), in.data, in.offset(i),
                        in.cols());
            }
        }
    }

    @Override
    public void rope(Activations x, int heads, int headDim, int ropeDim, float freqBase, int startPos, int n) {
        HeapActivations a = own(x, "x");
        checkRows("x", a, n);
        sameWidth("x", a.cols(), "heads × headDim (" + heads + " × " + headDim + ")", heads * headDim);
        if (ropeDim < 0 || ropeDim % 2 != 0 || ropeDim > headDim) {
            throw new IllegalArgumentException("ropeDim must be even and at most headDim " + headDim + ", got " + ropeDim);
        }
        if (startPos < 0) {
            throw new IllegalArgumentException("startPos must not be negative, got " + startPos);
        }
        for (int i = 0; i < n; i++) {
            int pos = startPos + i;
            for (int j = 0; 2 * j < ropeDim; j++) {
                double theta = pos * Math.pow(freqBase, -2.0 * j / ropeDim);
                double cos = Math.cos(theta);
                double sin = Math.sin(theta);
                for (int h = 0; h < heads; h++) {
                    int at = a.offset(i) + h * headDim + 2 * j;
                    double x0 = a.data[at];
                    double x1 = a.data[at + 1];
                    a.data[at] = (float) (x0 * cos - x1 * sin);
                    a.data[at + 1] = (float) (x0 * sin + x1 * cos);
                }
            }
        }
    }

    @Override
    public void attention(Activations out, Activations q, Activations k, Activations v, KvCache cache, int layer,
                          int startPos, int n, int heads, int kvHeads) {
        HeapActivations o = own(out, "out");
        HeapActivations qa = own(q, "q");
        HeapActivations ka = own(k, "k");
        HeapActivations va = own(v, "v");
        if (!(cache instanceof OffHeapKvCache c)) {
            throw new IllegalArgumentException("the KV cache was not made by the scalar provider");
        }
        if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || qa.cols() % heads != 0) {
            throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads
                    + ") and divide q's " + qa.cols() + " columns");
        }
        int headDim = qa.cols() / heads;
        checkRows("q", qa, n);
        checkRows("k", ka, n);
        checkRows("v", va, n);
        checkRows("out", o, n);
        sameWidth("out", o.cols(), "q", qa.cols());
        sameWidth("k", ka.cols(), "kvHeads × headDim (" + kvHeads + " × " + headDim + ")", kvHeads * headDim);
        sameWidth("v", va.cols(), "k", ka.cols());
        sameWidth("k", ka.cols(), "the KV cache's kvDim", c.kvDim());
        if (layer < 0 || layer >= c.layers()) {
            throw new IllegalArgumentException("layer " + layer + " outside the KV cache's " + c.layers() + " layers");
        }
        if (startPos < 0 || (long) startPos + n > c.capacity()) {
            throw new IllegalArgumentException("positions " + startPos + ".." + ((long) startPos + n - 1)
                    + " exceed the KV cache capacity of " + c.capacity());
        }
        for (int i = 0; i < n; i++) {
            c.store(layer, 0, startPos + i, ka.data, ka.offset(i));
            c.store(layer, 1, startPos + i, va.data, va.offset(i));
        }
        int group = heads / kvHeads;
        double scale = 1 / Math.sqrt(headDim);
        for (int i = 0; i < n; i++) {
            int positions = startPos + i + 1;
            double[] weights = new double[positions];
            for (int h = 0; h < heads; h++) {
                attendHead(c, layer, qa.data, qa.offset(i) + h * headDim, (h / group) * headDim, headDim, scale, weights,
                        o.data, o.offset(i) + h * headDim);
            }
        }
    }

    /** One query head over positions 0..weights.length-1 of KV head columns kvBase..kvBase+headDim. */
    private static void attendHead(OffHeapKvCache c, int layer, float[] q, int qo, int kvBase, int headDim, double scale,
                                   double[] weights, float[] out, int oo) {
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < weights.length; t++) {
            double s = 0;
            for (int d = 0; d < headDim; d++) {
                s += (double) q[qo + d] * c.get(layer, 0, t, kvBase + d);
            }
            weights[t] = s * scale;
            max = Math.max(max, weights[t]);
        }
        double sum = 0;
        for (int t = 0; t < weights.length; t++) {
            weights[t] = Math.exp(weights[t] - max);
            sum += weights[t];
        }
        for (int d = 0; d < headDim; d++) {
            double acc = 0;
            for (int t = 0; t < weights.length; t++) {
                acc += weights[t] * c.get(layer, 1, t, kvBase + d);
            }
            out[oo + d] = (float) (acc / sum);
        }
    }

    @Override
    public void swiglu(Activations gate, Activations up, int n) {
        HeapActivations g = own(gate, "gate");
        HeapActivations u = own(up, "up");
        checkRows("gate", g, n);
        checkRows("up", u, n);
        sameWidth("gate", g.cols(), "up", u.cols());
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < g.cols(); c++) {
                double x = g.data[g.offset(i) + c];
                g.data[g.offset(i) + c] = (float) (x / (1 + Math.exp(-x)) * u.data[u.offset(i) + c]);
            }
        }
    }

    @Override
    public void add(Activations x, Activations y, int n) {
        HeapActivations a = own(x, "x");
        HeapActivations b = own(y, "y");
        checkRows("x", a, n);
        checkRows("y", b, n);
        sameWidth("x", a.cols(), "y", b.cols());
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < a.cols(); c++) {
                a.data[a.offset(i) + c] += b.data[b.offset(i) + c];
            }
        }
    }

    @Override
    public void softmax(Activations x, int n) {
        HeapActivations a = own(x, "x");
        checkRows("x", a, n);
        for (int i = 0; i < n; i++) {
            int base = a.offset(i);
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < a.cols(); c++) {
                max = Math.max(max, a.data[base + c]);
            }
            double sum = 0;
            double[] e = new double[a.cols()];
            for (int c = 0; c < a.cols(); c++) {
                e[c] = Math.exp((double) a.data[base + c] - max);
                sum += e[c];
            }
            for (int c = 0; c < a.cols(); c++) {
                a.data[base + c] = (float) (e[c] / sum);
            }
        }
    }

    @Override
    public void copyRows(Activations dst, int dstRow, Activations src, int srcRow, int n) {
        HeapActivations d = own(dst, "dst");
        HeapActivations s = own(src, "src");
        sameWidth("dst", d.cols(), "src", s.cols());
        if (n < 0 || srcRow < 0 || dstRow < 0 || (long) srcRow + n > s.rows() || (long) dstRow + n > d.rows()) {
            throw new IllegalArgumentException("cannot copy " + n + " rows from row " + srcRow + " of " + s.rows()
                    + " to row " + dstRow + " of " + d.rows());
        }
        System.arraycopy(s.data, s.offset(srcRow), d.data, d.offset(dstRow), n * s.cols());
    }

    @Override
    public void close() {
        // nothing held: activations are on the heap, caches close themselves
    }

    /** The weights of a norm: one row of {@code width} elements, as floats. */
    private static float[] vector(MappedWeights w, int width) {
        if (w.tensor().elementCount() != width) {
            throw new IllegalArgumentException("norm weight " + w.tensor().name() + " has " + w.tensor().elementCount()
                    + " elements, the activations have " + width + " columns");
        }
        float[] values = new float[width];
        w.format().dequantize(w.tensor().data(), 0, values, 0, width);
        return values;
    }

    private static HeapActivations own(Activations a, String what) {
        if (a instanceof HeapActivations h) {
            return h;
        }
        throw new IllegalArgumentException(what + " activations were not made by the scalar provider");
    }

    private static MappedWeights own(Weights w) {
        if (w instanceof MappedWeights m) {
            return m;
        }
        throw new IllegalArgumentException("weights " + w.tensor().name() + " were not made by the scalar provider");
    }

    private static void checkRows(String what, HeapActivations a, int n) {
        if (n < 0 || n > a.rows()) {
            throw new IllegalArgumentException(what + " has " + a.rows() + " rows, the operation needs " + n);
        }
    }

    private static void sameWidth(String what, int cols, String other, int expected) {
        if (cols != expected) {
            throw new IllegalArgumentException(what + " has " + cols + " columns, expected " + expected + " (" + other + ")");
        }
    }
}
