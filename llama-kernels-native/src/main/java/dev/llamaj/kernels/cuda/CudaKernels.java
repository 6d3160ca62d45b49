package dev.llamaj.kernels.cuda;

import dev.llamaj.core.kernels.Activations;
import dev.llamaj.core.kernels.KvCache;
import dev.llamaj.core.kernels.KvCacheType;
import dev.llamaj.core.kernels.Kernels;
import dev.llamaj.core.kernels.Weights;
import dev.llamaj.core.tensor.GgmlType;
import dev.llamaj.core.tensor.Tensor;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;

/**
 * {@link Kernels} on one GPU. Operations are checked here (shapes, ranges) and recorded into a
 * {@link CommandBuffer}; the buffer goes to the device in one native call when data must come
 * back ({@link Activations#read}), when memory is freed, or when it grows large. Writes are
 * recorded too (their data rides in the buffer), so they stay in order with the operations.
 */
final class CudaKernels implements Kernels {
    /** Weight types the device kernels read. */
    static final Set<GgmlType> WEIGHT_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
            GgmlType.Q5_K, GgmlType.Q6_K);
    private static final Set<GgmlType> VECTOR_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16);
    /** Head sizes up to this fit the attention kernel's shared memory. */
    static final int MAX_HEAD_DIM = 256;
    private static final int FLUSH_PAYLOAD = 16 << 20;
    private static final int FLUSH_INTS = 1 << 20;

    private final Device context;
    private final CommandBuffer buffer = new CommandBuffer();
    private final Set<Long> live = new HashSet<>();
    private boolean closed;

    CudaKernels(Device context) {
        this.context = context;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public Weights weights(Tensor tensor) {
        open();
        GgmlType type = tensor.type();
        if (!WEIGHT_TYPES.contains(type)) {
            throw new UnsupportedOperationException("tensor " + tensor.name() + ": type " + type
                    + " is not supported by the cuda kernels (supported: " + WEIGHT_TYPES + ")");
        }
        long bytes = type.bytesFor(tensor.elementCount());
        if (tensor.rowLength() % type.blockSize() != 0 || bytes < 0) {
            throw new IllegalArgumentException("tensor " + tensor.name() + ": rows of " + tensor.rowLength()
                    + " elements are not whole " + type + " blocks of " + type.blockSize());
        }
        long address = allocate(bytes, "tensor " + tensor.name() + " (" + type + ")");
        try {
            context.upload(address, tensor.data(), bytes, "tensor " + tensor.name());
        } catch (RuntimeException e) {
            release(address);
            throw e;
        }
        return new CudaWeights(this, tensor, address);
    }

    @Override
    public Activations activations(int rows, int cols) {
        open();
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("activations must be at least 1 × 1, got " + rows + " × " + cols);
        }
        long address = allocate((long) rows * cols * Float.BYTES, "activations " + rows + " × " + cols);
        return new CudaActivations(this, rows, cols, address);
    }

    @Override
    public KvCache kvCache(int layers, int capacity, int kvDim, KvCacheType type) {
        open();
        if (layers < 1 || capacity < 1 || kvDim < 1) {
            throw new IllegalArgumentException("KV cache needs positive sizes, got layers " + layers + ", capacity "
                    + capacity + ", kvDim " + kvDim);
        }
        long half = (long) layers * capacity * kvDim * (type == KvCacheType.F16 ? 2 : 4);
        long keys = allocate(half, "the KV cache's keys (" + layers + " layers × " + capacity + " positions)");
        long values;
        try {
            values = allocate(half, "the KV cache's values (" + layers + " layers × " + capacity + " positions)");
        } catch (RuntimeException e) {
            release(keys);
            throw e;
        }
        return new CudaKvCache(this, layers, capacity, kvDim, type, keys, values);
    }

    @Override
    public void embed(Activations out, Weights table, int[] tokens) {
        CudaActivations o = own(out);
        CudaWeights t = own(table);
        require(o.cols() == t.cols(), "embed: out has %d columns, the table %d", o.cols(), t.cols());
        require(tokens.length <= o.rows(), "embed: %d tokens for %d rows", tokens.length, o.rows());
        for (int i = 0; i < tokens.length; i++) {
            require(tokens[i] >= 0 && tokens[i] < t.rows(), "embed: token %d at %d is outside the table's %d rows",
                    tokens[i], i, t.rows());
        }
        if (tokens.length > 0) {
            buffer.embed(o.address(), t.address(), t.tensor().type().id(), o.cols(), tokens);
            recorded();
        }
    }

    @Override
    public void rmsNorm(Activations out, Activations x, Weights w, float eps, int n) {
        CudaActivations o = own(out);
        CudaActivations in = own(x);
        CudaWeights weight = own(w);
        rows("rmsNorm", n, o, in);
        require(o.cols() == in.cols() && weight.cols() == in.cols() && weight.rows() == 1,
                "rmsNorm: out %d, x %d columns and weight %d × %d must agree", o.cols(), in.cols(), weight.rows(), weight.cols());
        require(VECTOR_TYPES.contains(weight.tensor().type()), "rmsNorm: weight %s is %s; norm weights must be one of %s",
                weight.tensor().name(), weight.tensor().type(), VECTOR_TYPES);
        if (n == 0) {
            return;
        }
        buffer.rmsNorm(o.address(), in.address(), weight.address(), weight.tensor().type().id(), in.cols(), n, eps);
        recorded();
    }

    @Override
    public void matmul(Activations out, Weights w, Activations x, int n) {
        CudaActivations o = own(out);
        CudaActivations in = own(x);
        CudaWeights weight = own(w);
        rows("matmul", n, o, in);
        require(o.cols() == weight.rows() && in.cols() == weight.cols(),
                "matmul: %s is %d × %d, x has %d columns and out %d", weight.tensor().name(), weight.rows(), weight.cols(),
                in.cols(), o.cols());
        require(o.address() != in.address(), "matmul: out and x must be different activations");
        if (n == 0) {
            return;
        }
        buffer.matmul(o.address(), weight.address(), in.address(), weight.tensor().type().id(), weight.rows(),
                weight.cols(), n);
        recorded();
    }

    @Override
    public void rope(Activations x, int heads, int headDim, int ropeDim, float freqBase, int startPos, int n) {
        CudaActivations a = own(x);
        rows("rope", n, a);
        require(heads > 0 && headDim > 0 && (long) heads * headDim <= a.cols(), "rope: %d heads × %d exceed %d columns",
                heads, headDim, a.cols());
        require(ropeDim > 0 && ropeDim % 2 == 0 && ropeDim <= headDim, "rope: ropeDim %d must be even and at most %d",
                ropeDim, headDim);
        require(startPos >= 0, "rope: startPos %d is negative", startPos);
        if (n == 0) {
            return;
        }
        buffer.rope(a.address(), a.cols(), heads, headDim, ropeDim, freqBase, startPos, n);
        recorded();
    }

    @Override
    public void attention(Activations out, Activations q, Activations k, Activations v, KvCache cache, int layer,
                          int startPos, int n, int heads, int kvHeads) {
        CudaActivations o = own(out);
        CudaActivations qa = own(q);
        CudaActivations ka = own(k);
        CudaActivations va = own(v);
        CudaKvCache c = own(cache);
        rows("attention", n, o, qa, ka, va);
        require(heads > 0 && kvHeads > 0 && heads % kvHeads == 0 && qa.cols() % heads == 0,
                "attention: %d heads over %d KV heads and %d query columns do not divide", heads, kvHeads, qa.cols());
        int headDim = qa.cols() / heads;
        require(headDim <= MAX_HEAD_DIM, "attention: head size %d exceeds the cuda kernel's %d", headDim, MAX_HEAD_DIM);
        require(o.cols() == qa.cols(), "attention: out has %d columns, q %d", o.cols(), qa.cols());
        require(ka.cols() == c.kvDim() && va.cols() == c.kvDim() && c.kvDim() == kvHeads * headDim,
                "attention: k %d, v %d columns, cache kvDim %d and %d KV heads × %d must agree", ka.cols(), va.cols(),
                c.kvDim(), kvHeads, headDim);
        require(layer >= 0 && layer < c.layers(), "attention: layer %d of %d", layer, c.layers());
        require(startPos >= 0 && (long) startPos + n <= c.capacity(), "attention: positions %d..%d exceed the cache's %d",
                startPos, startPos + n - 1, c.capacity());
        if (n == 0) {
            return;
        }
        buffer.attention(o.address(), qa.address(), ka.address(), va.address(), c.keys(layer), c.values(layer),
                c.type() == KvCacheType.F16, c.kvDim(), qa.cols(), startPos, n, heads, kvHeads);
        recorded();
    }

    @Override
    public void swiglu(Activations gate, Activations up, int n) {
        CudaActivations g = own(gate);
        CudaActivations u = own(up);
        rows("swiglu", n, g, u);
        require(g.cols() == u.cols(), "swiglu: gate has %d columns, up %d", g.cols(), u.cols());
        if (n == 0) {
            return;
        }
        buffer.swiglu(g.address(), u.address(), Math.multiplyExact(n, g.cols()));
        recorded();
    }

    @Override
    public void add(Activations x, Activations y, int n) {
        CudaActivations a = own(x);
        CudaActivations b = own(y);
        rows("add", n, a, b);
        require(a.cols() == b.cols(), "add: x has %d columns, y %d", a.cols(), b.cols());
        if (n == 0) {
            return;
        }
        buffer.add(a.address(), b.address(), Math.multiplyExact(n, a.cols()));
        recorded();
    }

    @Override
    public void softmax(Activations x, int n) {
        CudaActivations a = own(x);
        rows("softmax", n, a);
        if (n == 0) {
            return;
        }
        buffer.softmax(a.address(), a.cols(), n);
        recorded();
    }

    @Override
    public void copyRows(Activations dst, int dstRow, Activations src, int srcRow, int n) {
        CudaActivations d = own(dst);
        CudaActivations s = own(src);
        require(d.cols() == s.cols(), "copyRows: dst has %d columns, src %d", d.cols(), s.cols());
        require(n >= 0 && dstRow >= 0 && srcRow >= 0 && dstRow + n <= d.rows() && srcRow + n <= s.rows(),
                "copyRows: rows %d..+%d of %d into %d..+%d of %d", srcRow, n, s.rows(), dstRow, n, d.rows());
        if (n > 0) {
            buffer.copy(d.rowAddress(dstRow), s.rowAddress(srcRow), Math.multiplyExact(n, d.cols()));
            recorded();
        }
    }

    @Override
    public void close() {
        if (!closed) {
            try {
                flush();
                for (long address : live) {
                    context.free(address);
                }
            } finally {
                live.clear();
                closed = true;
                context.close();
            }
        }
    }

    /** Ops recorded and not yet run (tests look at them). */
    CommandBuffer buffer() {
        return buffer;
    }

    void write(CudaActivations a, int row, float[] src) {
        require(row >= 0 && row < a.rows(), "write: row %d of %d", row, a.rows());
        require(src.length >= a.cols(), "write: %d floats for a row of %d", src.length, a.cols());
        buffer.write(a.rowAddress(row), src, a.cols());
        recorded();
    }

    void read(CudaActivations a, int row, float[] dst) {
        require(row >= 0 && row < a.rows(), "read: row %d of %d", row, a.rows());
        require(dst.length >= a.cols(), "read: %d floats for a row of %d", dst.length, a.cols());
        open();
        try {
            context.run(buffer, a.rowAddress(row), dst, a.cols());
        } finally {
            buffer.clear();
        }
    }

    /** Frees device memory after the recorded ops that may use it have run. */
    void release(long address) {
        if (!closed && live.remove(address)) {
            flush();
            context.free(address);
        }
    }

    private void flush() {
        if (!buffer.isEmpty()) {
            try {
                context.run(buffer, 0, null, 0);
            } finally {
                buffer.clear();
            }
        }
    }

    private void recorded() {
        if (buffer.payloadCount() > FLUSH_PAYLOAD || buffer.intCount() > FLUSH_INTS) {
            flush();
        }
    }

    private long allocate(long bytes, String what) {
        long address = context.allocate(bytes, what);
        live.add(address);
        return address;
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("the cuda kernels are closed");
        }
    }

    private CudaActivations own(Activations a) {
        if (a instanceof CudaActivations c && c.kernels() == this) {
            c.checkOpen();
            return c;
        }
        throw new IllegalArgumentException("activations " + a + " were not made by these cuda kernels");
    }

    private CudaWeights own(Weights w) {
        if (w instanceof CudaWeights c && c.kernels() == this) {
            c.checkOpen();
            return c;
        }
        throw new IllegalArgumentException("weights " + w + " were not made by these cuda kernels");
    }

    private CudaKvCache own(KvCache k) {
        if (k instanceof CudaKvCache c && c.kernels() == this) {
            c.checkOpen();
            return c;
        }
        throw new IllegalArgumentException("KV cache " + k + " was not made by these cuda kernels");
    }

    private void rows(String op, int n, CudaActivations... all) {
        open();
        for (CudaActivations a : all) {
            require(n >= 0 && n <= a.rows(), "%s: n = %d for activations of %d rows", op, n, a.rows());
        }
    }

    private static void require(boolean ok, String format, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(format, args));
        }
    }
}
