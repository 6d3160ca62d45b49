package dev.llamaj.core;

import dev.llamaj.core.model.ForwardState;
import java.util.Arrays;

/**
 * A token-level conversation with a {@link Model}: a KV cache and the ids it holds. Feed ids with
 * {@link #prefill}/{@link #decode} and read the next token's logits; rewind with
 * {@link #truncate} to reuse a common prefix.
 *
 * <p>Not thread-safe: one caller at a time. Any number of sessions may share one model.
 * Close it to free its cache.
 */
public final class Session implements AutoCloseable {
    private static final java.util.concurrent.atomic.AtomicInteger IDS = new java.util.concurrent.atomic.AtomicInteger();

    private final Model model;
    private final ForwardState state;
    private final int id = IDS.incrementAndGet();
    private int[] tokens = new int[64];
    private int position;
    private boolean closed;

    Session(Model model, ForwardState state) {
        this.model = model;
        this.state = state;
    }

    public Model model() {
        return model;
    }

    /** Tokens held in the KV cache. */
    public int position() {
        return position;
    }

    /** Positions the cache can hold. */
    public int contextLength() {
        return state.contextLength();
    }

    /** The ids in the cache, in order. */
    public int[] tokens() {
        return Arrays.copyOf(tokens, position);
    }

    /**
     * Appends {@code ids} to the cache and returns the logits for the token after the last one.
     *
     * @throws ContextOverflowException when they do not fit the remaining context
     */
    public float[] prefill(int[] ids) {
        feed(ids, null);
        float[] logits = new float[model.config().vocabSize()];
        model.readLogits(state, 0, logits);
        return logits;
    }

    /** Appends one id; the logits for the next. */
    public float[] decode(int id) {
        return prefill(new int[] {id});
    }

    /** Appends {@code ids} and returns the logits after each of them (teacher forcing). */
    public float[][] prefillAll(int[] ids) {
        float[][] all = new float[ids.length][];
        feed(ids, all);
        return all;
    }

    /**
     * Feeds {@code ids} in chunks of the batch capacity; with {@code allLogits} non-null, fills it
     * with the logits after every id, otherwise only the last chunk's last logits are kept.
     */
    private void feed(int[] ids, float[][] allLogits) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("no ids to feed");
        }
        checkFits(ids);
        int vocab = model.config().vocabSize();
        for (int from = 0; from < ids.length; from += state.batchCapacity()) {
            int[] chunk = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + state.batchCapacity()));
            forward(chunk, allLogits != null);
            for (int i = 0; allLogits != null && i < chunk.length; i++) {
                allLogits[from + i] = new float[vocab];
                model.readLogits(state, i, allLogits[from + i]);
            }
        }
    }

    private void checkFits(int[] ids) {
        checkOpen();
        int vocab = model.config().vocabSize();
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
        if (position + ids.length > contextLength()) {
            throw new ContextOverflowException("cannot add " + ids.length + " tokens at position " + position
                    + ": the context holds " + contextLength() + " (" + (contextLength() - position) + " left)",
                    position + ids.length, contextLength());
        }
    }

    private void forward(int[] chunk, boolean allLogits) {
        model.forward(state, chunk, position, allLogits);
        if (position + chunk.length > tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.max(tokens.length * 2, position + chunk.length));
        }
        System.arraycopy(chunk, 0, tokens, position, chunk.length);
        position += chunk.length;
    }

    /** Forgets every position from {@code newPosition} on; the first {@code newPosition} ids stay cached. */
    public void truncate(int newPosition) {
        checkOpen();
        if (newPosition < 0 || newPosition > position) {
            throw new IllegalArgumentException("cannot truncate to " + newPosition + ": the session holds " + position);
        }
        position = newPosition;
    }

    /** Empties the cache. */
    public void reset() {
        truncate(0);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    /** Frees the KV cache. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            state.close();
            model.closed(this);
        }
    }

    @Override
    public String toString() {
        return "Session#" + id + "[" + position + "/" + contextLength() + " positions]";
    }
}
