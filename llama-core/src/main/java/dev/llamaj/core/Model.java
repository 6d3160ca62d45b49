package dev.llamaj.core;

import dev.llamaj.core.gguf.GgufFile;
import dev.llamaj.core.kernels.KernelOptions;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.KernelProviders;
import dev.llamaj.core.kernels.Kernels;
import dev.llamaj.core.kernels.KvCacheType;
import dev.llamaj.core.model.ForwardState;
import dev.llamaj.core.model.ModelLoader;
import dev.llamaj.core.model.Transformer;
import dev.llamaj.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Llama model loaded from a GGUF file: its config, tokenizer and weights, and the kernels that
 * compute with them. The file is memory-mapped, not read: weights stay in the mapping (or go to
 * the device), so opening a 7 GB file takes milliseconds and little heap.
 *
 * <pre>{@code
 * try (Model model = Model.builder(path).contextLength(2048).load();
 *      Session session = model.newSession()) {
 *     float[] logits = session.prefill(model.tokenizer().encode("Once upon a time", true, false));
 * }
 * }</pre>
 *
 * <p>Thread safety: a model is immutable after loading and may be shared by any number of
 * threads and {@link Session}s. Forward passes of different sessions take turns on the model's
 * kernels (each pass uses all the kernels' threads), so sessions on different threads are safe
 * and independent but do not run their arithmetic at the same time.
 *
 * <p>Close the model after its sessions; closing it while sessions are open is an error that
 * names them.
 */
public final class Model implements AutoCloseable {
    /** Default cap on the context sessions get, so a 4096-context model does not allocate more by surprise. */
    public static final int DEFAULT_MAX_CONTEXT = 4096;
    /** Tokens that go through the model together during prefill. */
    static final int PREFILL_BATCH = 128;

    private final Path path;
    private final GgufFile gguf;
    private final LlamaConfig config;
    private final Tokenizer tokenizer;
    private final Kernels kernels;
    private final Transformer transformer;
    private final int contextLength;
    private final KvCacheType cacheType;
    private final ReentrantLock computeLock = new ReentrantLock();
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private Model(Builder b) {
        this.path = b.path;
        GgufFile file = GgufFile.open(b.path, b.mmap);
        Kernels opened = null;
        try {
            this.config = ModelLoader.config(file);
            this.tokenizer = ModelLoader.tokenizer(file);
            int ctx = b.contextLength > 0 ? b.contextLength : Math.min(config.contextLength(), DEFAULT_MAX_CONTEXT);
            if (ctx > config.contextLength()) {
                throw new IllegalArgumentException("context length " + ctx + " exceeds the model's "
                        + config.contextLength() + " (llama.context_length of " + b.path + ")");
            }
            this.contextLength = ctx;
            this.cacheType = b.cacheType;
            KernelProvider provider = KernelProviders.select(b.kernels);
            int threads = b.threads > 0 ? b.threads : Runtime.getRuntime().availableProcessors();
            opened = provider.open(new KernelOptions(threads));
            this.kernels = opened;
            this.transformer = new Transformer(config, ModelLoader.weights(file, config, opened), opened);
            this.gguf = file;
        } catch (RuntimeException e) {
            if (opened != null) {
                opened.close();
            }
            file.close();
            throw e;
        }
    }

    /** Loads {@code gguf} with the defaults: best available kernels, all cores, context min(model's, 4096). */
    public static Model load(Path gguf) {
        return builder(gguf).load();
    }

    /** Options for loading {@code gguf}; finish with {@link Builder#load()}. */
    public static Builder builder(Path gguf) {
        return new Builder(gguf);
    }

    /**
     * Only the tokenizer of a GGUF file (its {@code tokenizer.ggml.*} metadata), without loading
     * weights: for tokenizing with a model's vocabulary, or a vocabulary-only GGUF.
     *
     * @throws ModelFormatException when the file or its vocabulary is malformed
     */
    public static Tokenizer loadTokenizer(Path gguf) {
        try (GgufFile file = GgufFile.open(gguf)) {
            return ModelLoader.tokenizer(file);
        }
    }

    /** The file this model was loaded from. */
    public Path path() {
        return path;
    }

    /** The hyper-parameters. */
    public LlamaConfig config() {
        return config;
    }

    /** The vocabulary, from the file's {@code tokenizer.ggml.*} metadata. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The kernel provider in use. */
    public String kernels() {
        return kernels.name();
    }

    /** Worker threads the kernels use. */
    public int threads() {
        return kernels.threads();
    }

    /** Positions each session's KV cache holds. */
    public int contextLength() {
        return contextLength;
    }

    /** The file's metadata and tensors, for inspection. */
    public GgufFile gguf() {
        return gguf;
    }

    /** A new session with an empty KV cache of {@link #contextLength()} positions. */
    public Session newSession() {
        checkOpen();
        ForwardState state = new ForwardState(kernels, config, contextLength, PREFILL_BATCH, cacheType);
        Session s = new Session(this, state);
        sessions.add(s);
        return s;
    }

    void forward(ForwardState state, int[] tokens, int startPos, boolean allLogits) {
        checkOpen();
        computeLock.lock();
        try {
            transformer.forward(state, tokens, startPos, allLogits);
        } finally {
            computeLock.unlock();
        }
    }

    void readLogits(ForwardState state, int row, float[] dst) {
        computeLock.lock();
        try {
            state.readLogits(row, dst);
        } finally {
            computeLock.unlock();
        }
    }

    void closed(Session s) {
        sessions.remove(s);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("model " + path + " is closed");
        }
    }

    /**
     * Frees the kernels and unmaps the file.
     *
     * @throws IllegalStateException when sessions are still open (it names them)
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        List<Session> open = new ArrayList<>(sessions);
        if (!open.isEmpty()) {
            throw new IllegalStateException("cannot close model " + path + ": " + open.size()
                    + " session(s) still open: " + open);
        }
        closed = true;
        kernels.close();
        gguf.close();
    }

    @Override
    public String toString() {
        return "Model[" + path.getFileName() + ", " + config.blockCount() + " layers, dim " + config.embeddingLength()
                + ", kernels " + kernels.name() + ", context " + contextLength + "]";
    }

    /** Options for {@link Model#builder}. */
    public static final class Builder {
        private final Path path;
        private String kernels;
        private int threads;
        private int contextLength;
        private KvCacheType cacheType = KvCacheType.F16;
        private boolean mmap = true;

        private Builder(Path path) {
            this.path = path;
        }

        /** The kernel provider by name ({@code scalar}, {@code vector}, {@code cuda}); default: best available. */
        public Builder kernels(String name) {
            this.kernels = name;
            return this;
        }

        /** Worker threads for CPU kernels; default: every available processor. */
        public Builder threads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + n);
            }
            this.threads = n;
            return this;
        }

        /** Positions per session; default: the model's context length capped at 4096. */
        public Builder contextLength(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("context length must be at least 1, got " + n);
            }
            this.contextLength = n;
            return this;
        }

        /** How the KV cache stores keys and values; default F16. */
        public Builder kvCacheType(KvCacheType type) {
            this.cacheType = type;
            return this;
        }

        /**
         * Whether weights are read in place from the memory-mapped file (true, the default: instant
         * load, no memory of the model's own, pages shared between processes) or read into off-heap
         * memory of the model's own at load (false, like llama.cpp's {@code --no-mmap}: the load
         * reads the whole file, and generation may run faster; see {@link GgufFile#open(Path, boolean)}).
         */
        public Builder mmap(boolean mmap) {
            this.mmap = mmap;
            return this;
        }

        public Model load() {
            return new Model(this);
        }
    }
}
