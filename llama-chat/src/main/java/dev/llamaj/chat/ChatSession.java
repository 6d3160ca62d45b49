package dev.llamaj.chat;

import dev.llamaj.core.ContextOverflowException;
import dev.llamaj.core.Generation;
import dev.llamaj.core.GenerationOptions;
import dev.llamaj.core.Generator;
import dev.llamaj.core.Model;
import dev.llamaj.core.Session;
import dev.llamaj.core.TokenListener;
import dev.llamaj.core.sampling.SamplingOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A conversation with a chat model, holding its own {@link Session} (KV cache).
 *
 * <p>Each turn renders the whole dialog (system prompt, kept history, new message) with the
 * {@link ChatTemplate}, keeps the longest common prefix of those ids with what the cache already
 * holds, and prefills only the rest: a turn costs about its new message, not the history. When
 * the dialog would not fit the context, the oldest user/assistant pairs are dropped (the system
 * prompt never is) or, with {@link OverflowPolicy#FAIL}, the turn fails and nothing changes.
 *
 * <p><b>Threads.</b> A chat session serves one conversation, one turn at a time: a
 * {@code chat} or {@link #reset()} while another turn runs fails at once with
 * {@link IllegalStateException} rather than waiting. {@link #cancel()}, {@link #history()},
 * {@link Cancellation#cancel()} and {@link #close()} are safe from any thread. Many chat
 * sessions may share one {@link Model}, each used from its own thread.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("llama-2-7b-chat.Q4_0.gguf"));
 *      ChatSession chat = ChatSession.builder(model).systemPrompt("You are terse.").build()) {
 *     System.out.println(chat.chat("Why is the sky blue?").text());
 * }
 * }</pre>
 */
public final class ChatSession implements AutoCloseable {
    private final Session session;
    private final ChatTemplate template;
    private final ChatMessage system;
    private final SamplingOptions sampling;
    private final int maxTokens;
    private final List<String> stopStrings;
    private final OverflowPolicy overflow;
    private final int replyReserve;
    private final ReentrantLock turn = new ReentrantLock();
    private volatile List<ChatMessage> history = List.of();
    private volatile Cancellation current;
    private volatile boolean closed;

    private ChatSession(Builder b, ChatTemplate template) {
        this.template = template;
        this.system = b.systemPrompt == null ? null : ChatMessage.system(b.systemPrompt);
        this.sampling = b.sampling.build();
        this.maxTokens = b.maxTokens;
        List<String> stops = new ArrayList<>(b.stopStrings);
        for (String s : template.stopStrings()) {
            if (!stops.contains(s)) {
                stops.add(s);
            }
        }
        this.stopStrings = List.copyOf(stops);
        this.overflow = b.overflow;
        this.session = b.model.newSession();
        this.replyReserve = b.replyReserve >= 0 ? b.replyReserve : Math.min(maxTokens, session.contextLength() / 4);
    }

    /** Starts building a chat session on a loaded model. */
    public static Builder builder(Model model) {
        return new Builder(model);
    }

    /** The reply to {@code message}, after the history so far. */
    public Reply chat(String message) {
        return chat(message, text -> { }, new Cancellation());
    }

    /**
     * The reply to {@code message}, streamed: {@code onText} receives each piece of text as it is
     * decoded (whole characters only, never empty), on the calling thread. {@link #cancel()} from
     * another thread stops it.
     */
    public Reply chat(String message, Consumer<String> onText) {
        return chat(message, onText, new Cancellation());
    }

    /**
     * The reply to {@code message}, streamed to {@code onText}, stopping within one token once
     * {@code cancellation} is cancelled (then {@link Reply#stopReason()} is {@code CANCELLED},
     * the partial reply joins the history, and the session stays usable).
     *
     * @throws ControlTagException       the message contains a tag the template refuses
     * @throws ContextOverflowException  the turn cannot fit (the system prompt and this message
     *                                   alone, or anything with {@link OverflowPolicy#FAIL})
     * @throws IllegalStateException     another turn is running, or the session is closed
     */
    public Reply chat(String message, Consumer<String> onText, Cancellation cancellation) {
        Objects.requireNonNull(onText, "onText");
        return chat(message, (id, text) -> {
            if (!text.isEmpty()) {
                onText.accept(text);
            }
        }, cancellation);
    }

    /**
     * As {@link #chat(String, Consumer, Cancellation)}, at the token level: {@code listener}
     * receives each generated id with the text it completes (possibly empty), and at the end
     * any text held back (id -1), so the pieces always add up to {@link Reply#text()}.
     */
    public Reply chat(String message, TokenListener listener, Cancellation cancellation) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(cancellation, "cancellation");
        if (!turn.tryLock()) {
            throw new IllegalStateException("another turn of this chat session is running: a ChatSession serves one"
                    + " caller at a time (use one ChatSession per conversation)");
        }
        try {
            ensureOpen();
            current = cancellation;
            return runTurn(ChatMessage.user(message), listener, cancellation);
        } finally {
            current = null;
            turn.unlock();
        }
    }

    private Reply runTurn(ChatMessage user, TokenListener listener, Cancellation cancellation) {
        TurnPlan plan = plan(user);
        int[] ids = plan.ids();
        int reused = commonPrefix(session.tokens(), ids);
        if (reused == ids.length) {
            reused--; // the last prompt id must go through the model again to give the next logits
        }
        session.truncate(reused);
        int[] rest = Arrays.copyOfRange(ids, reused, ids.length);
        int room = session.contextLength() - ids.length;
        GenerationOptions options = new GenerationOptions(turnSampling(plan.kept().size()),
                Math.min(maxTokens, room), stopStrings);
        Generation g = Generator.generate(session, rest, options, listener, cancellation::isCancelled);
        List<ChatMessage> next = new ArrayList<>(plan.kept());
        next.add(user);
        next.add(ChatMessage.assistant(g.text()));
        history = List.copyOf(next);
        return new Reply(g.text(), g.stopReason(), ids.length, reused, rest.length, g.ids().length,
                g.prefillNanos(), g.decodeNanos(), plan.dropped());
    }

    /** The dialog this turn sends, after dropping what must go to fit the context. */
    private TurnPlan plan(ChatMessage user) {
        int context = session.contextLength();
        List<ChatMessage> kept = new ArrayList<>(history);
        List<ChatMessage> dropped = new ArrayList<>();
        while (true) {
            int[] ids = template.render(dialog(kept, user));
            if (ids.length + replyReserve <= context) {
                return new TurnPlan(ids, kept, dropped);
            }
            if (kept.isEmpty()) {
                if (ids.length < context) {
                    return new TurnPlan(ids, kept, dropped); // fits, with less room for the reply
                }
                throw new ContextOverflowException("the " + (system == null ? "" : "system prompt and the ")
                        + "new message take " + ids.length + " tokens but the context holds " + context
                        + " (and the reply needs at least one more): shorten the message or load the model"
                        + " with a larger context", ids.length + 1, context);
            }
            if (overflow == OverflowPolicy.FAIL) {
                throw new ContextOverflowException("the dialog would take " + ids.length + " tokens plus "
                        + replyReserve + " reserved for the reply, but the context holds " + context
                        + " (overflow policy FAIL: nothing was dropped; reset() or use DROP_OLDEST)",
                        ids.length + replyReserve, context);
            }
            dropped.add(kept.removeFirst());
            dropped.add(kept.removeFirst());
        }
    }

    private List<ChatMessage> dialog(List<ChatMessage> pairs, ChatMessage user) {
        List<ChatMessage> dialog = new ArrayList<>(pairs.size() + 2);
        if (system != null) {
            dialog.add(system);
        }
        dialog.addAll(pairs);
        dialog.add(user);
        return dialog;
    }

    /** A seed per dialog position: the same dialog draws the same way, turns do not repeat draws. */
    private SamplingOptions turnSampling(int historyMessages) {
        return sampling.isGreedy() ? sampling : sampling.toBuilder().seed(sampling.seed() + historyMessages / 2).build();
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    /** Stops the turn in progress, if any, within one token. Safe from any thread. */
    public void cancel() {
        Cancellation c = current;
        if (c != null) {
            c.cancel();
        }
    }

    /** The user and assistant messages the model currently sees, oldest first (without the system prompt). */
    public List<ChatMessage> history() {
        return history;
    }

    /** The system prompt, if one was set. */
    public Optional<String> systemPrompt() {
        return Optional.ofNullable(system).map(ChatMessage::content);
    }

    /** Ids held in this session's KV cache. */
    public int cachedTokens() {
        return session.position();
    }

    /** The ids in this session's KV cache, in order (a copy): the dialog as the model last read it. */
    public int[] cachedIds() {
        return session.tokens();
    }

    /** Positions this session's context holds. */
    public int contextLength() {
        return session.contextLength();
    }

    /**
     * Forgets the user and assistant messages (the system prompt stays). The cache is kept: the
     * next turn reuses its system-prompt prefix.
     *
     * @throws IllegalStateException while a turn is running
     */
    public void reset() {
        if (!turn.tryLock()) {
            throw new IllegalStateException("cannot reset while a turn is running; cancel() it first");
        }
        try {
            history = List.of();
        } finally {
            turn.unlock();
        }
    }

    /** Cancels a running turn, waits for it to stop, and frees the KV cache. Idempotent. */
    @Override
    public void close() {
        cancel();
        turn.lock();
        try {
            if (!closed) {
                closed = true;
                session.close();
            }
        } finally {
            turn.unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this chat session is closed");
        }
    }

    private record TurnPlan(int[] ids, List<ChatMessage> kept, List<ChatMessage> dropped) {
    }

    /**
     * Options for a {@link ChatSession}. Sampling defaults are those of Meta's Llama 2 chat
     * reference: temperature 0.6, top-p 0.9, no top-k, min-p or repetition penalty.
     */
    public static final class Builder {
        private final Model model;
        private String systemPrompt;
        private ChatTemplate template;
        private boolean allowControlTags;
        private SamplingOptions.Builder sampling = SamplingOptions.builder()
                .temperature(0.6f).topP(0.9f).topK(0).minP(0).repeatPenalty(1.0f);
        private int maxTokens = Integer.MAX_VALUE;
        private List<String> stopStrings = List.of();
        private OverflowPolicy overflow = OverflowPolicy.DROP_OLDEST;
        private int replyReserve = -1;

        private Builder(Model model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        /** Instructions kept for the whole conversation (never dropped). Default: none. */
        public Builder systemPrompt(String s) {
            this.systemPrompt = s;
            return this;
        }

        /** The prompt format. Default: {@link Llama2ChatTemplate} on the model's tokenizer. */
        public Builder template(ChatTemplate t) {
            this.template = Objects.requireNonNull(t, "template");
            return this;
        }

        /** For the default template: accept {@code [INST]}-style tags in messages as plain text. Default false. */
        public Builder allowControlTags(boolean allow) {
            this.allowControlTags = allow;
            return this;
        }

        /** All sampling options at once (replaces earlier temperature, topP, ... calls). */
        public Builder sampling(SamplingOptions s) {
            this.sampling = s.toBuilder();
            return this;
        }

        public Builder temperature(float t) {
            sampling.temperature(t);
            return this;
        }

        public Builder topK(int k) {
            sampling.topK(k);
            return this;
        }

        public Builder topP(float p) {
            sampling.topP(p);
            return this;
        }

        public Builder minP(float p) {
            sampling.minP(p);
            return this;
        }

        public Builder repeatPenalty(float r) {
            sampling.repeatPenalty(r);
            return this;
        }

        public Builder seed(long s) {
            sampling.seed(s);
            return this;
        }

        /** The most tokens per reply. Default: until EOS or the context is full (as Meta's reference). */
        public Builder maxTokens(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxTokens must be >= 1, got " + n);
            }
            this.maxTokens = n;
            return this;
        }

        /** Replies stop before any of these (the template's own stops are always added). */
        public Builder stop(String... stops) {
            this.stopStrings = List.of(stops);
            return this;
        }

        public Builder stopStrings(List<String> stops) {
            this.stopStrings = List.copyOf(stops);
            return this;
        }

        /** What to do when a turn would not fit. Default {@link OverflowPolicy#DROP_OLDEST}. */
        public Builder overflow(OverflowPolicy policy) {
            this.overflow = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Positions kept free for the reply when deciding whether history must be dropped.
         * Default: {@code min(maxTokens, contextLength / 4)}.
         */
        public Builder replyReserve(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("replyReserve must be >= 0, got " + n);
            }
            this.replyReserve = n;
            return this;
        }

        /**
         * Opens the session (a KV cache on the model). The system prompt is checked against the
         * template here, so a refused tag fails now rather than at the first turn.
         */
        public ChatSession build() {
            SamplingOptions checked = sampling.build(); // fail on bad sampling before allocating a cache
            Objects.requireNonNull(checked);
            ChatTemplate t = template != null ? template : new Llama2ChatTemplate(model.tokenizer(), allowControlTags);
            if (systemPrompt != null) {
                t.render(List.of(ChatMessage.system(systemPrompt), ChatMessage.user("")));
            }
            return new ChatSession(this, t);
        }
    }
}
