package dev.llamaj.core;

import dev.llamaj.core.sampling.Sampler;
import dev.llamaj.tokenizer.StreamingDecoder;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/** The decode loop: prompt → logits → sampler → id → text, until a stop condition. */
public final class Generator {
    private Generator() {
    }

    /**
     * Prefills {@code newIds} after what {@code session} already holds, then samples until EOS,
     * {@code maxTokens}, a stop string, or {@code cancelled} (checked before each token).
     * Every sampled id except the last is fed back, so afterwards {@code session.tokens()} is the
     * previous ids + {@code newIds} + all generated ids but the last. Generation also stops
     * (reason {@link StopReason#LENGTH}) when the context is full.
     *
     * @param listener receives each id with the text it completes; may be null
     * @param cancelled polled before each token; may be null
     * @throws ContextOverflowException when {@code newIds} do not fit the context
     */
    public static Generation generate(Session session, int[] newIds, GenerationOptions options,
                                      TokenListener listener, BooleanSupplier cancelled) {
        return generate(session, newIds, options, listener, cancelled, null);
    }

    /**
     * As {@link #generate(Session, int[], GenerationOptions, TokenListener, BooleanSupplier)},
     * also handing {@code logitsObserver} the raw logits each generated token is drawn from
     * (before any sampling transformation), for inspection and comparison with references.
     */
    public static Generation generate(Session session, int[] newIds, GenerationOptions options,
                                      TokenListener listener, BooleanSupplier cancelled,
                                      Consumer<float[]> logitsObserver) {
        if (newIds.length == 0 && session.position() == 0) {
            throw new IllegalArgumentException("nothing to condition on: the prompt is empty and the session holds no tokens");
        }
        Sampler sampler = new Sampler(options.sampling());
        int eos = session.model().tokenizer().eosId();
        StreamingDecoder decoder = session.model().tokenizer().newStreamingDecoder();
        StopStrings stops = new StopStrings(options.stopStrings());

        long t0 = System.nanoTime();
        float[] logits = newIds.length > 0 ? session.prefill(newIds) : session.decode(lastAndDrop(session));
        long prefillNanos = System.nanoTime() - t0;
        int prefilled = newIds.length > 0 ? newIds.length : 1;

        int[] history = session.tokens();
        int historyLength = history.length;
        int window = options.sampling().repeatLastN();
        int[] out = new int[Math.max(16, Math.min(options.maxTokens(), 4096))];
        int count = 0;
        StopReason reason = StopReason.LENGTH;
        long t1 = System.nanoTime();
        while (true) {
            if (count >= options.maxTokens()) {
                reason = StopReason.LENGTH;
                break;
            }
            if (cancelled != null && cancelled.getAsBoolean()) {
                reason = StopReason.CANCELLED;
                break;
            }
            if (logitsObserver != null) {
                logitsObserver.accept(logits);
            }
            // the sampler looks only at the last repeatLastN ids: hand it that tail, not the whole history
            int id = sampler.sample(logits, Arrays.copyOfRange(history, Math.max(0, historyLength - window), historyLength));
            if (count == out.length) {
                out = Arrays.copyOf(out, out.length * 2);
            }
            out[count++] = id;
            if (historyLength == history.length) {
                history = Arrays.copyOf(history, Math.max(16, history.length * 2));
            }
            history[historyLength++] = id;
            if (id == eos) {
                reason = StopReason.EOS;
                emit(listener, id, stops.finish(decoder.flush()));
                break;
            }
            String piece = stops.accept(decoder.accept(id));
            emit(listener, id, piece);
            if (stops.hit()) {
                reason = StopReason.STOP_STRING;
                break;
            }
            if (count >= options.maxTokens() || session.position() >= session.contextLength()) {
                reason = StopReason.LENGTH;
                emit(listener, -1, stops.finish(decoder.flush()));
                break;
            }
            logits = session.decode(id);
        }
        if (reason == StopReason.CANCELLED) {
            emit(listener, -1, stops.finish(decoder.flush()));
        }
        long decodeNanos = count > 1 ? System.nanoTime() - t1 : 0;
        return new Generation(Arrays.copyOf(out, count), stops.text(), reason, prefilled, prefillNanos, decodeNanos);
    }

    /** With nothing new to feed, re-run the last cached token to get logits again. */
    private static int lastAndDrop(Session session) {
        int[] held = session.tokens();
        session.truncate(held.length - 1);
        return held[held.length - 1];
    }

    private static void emit(TokenListener listener, int id, String text) {
        if (listener != null && (id >= 0 || !text.isEmpty())) {
            listener.onToken(id, text);
        }
    }

    /**
     * The generated text, with output held back while it could still turn into a stop string,
     * and cut before the first stop string that appears.
     */
    static final class StopStrings {
        private final List<String> stops;
        private final StringBuilder text = new StringBuilder();
        private int emitted;
        private boolean hit;

        StopStrings(List<String> stops) {
            this.stops = stops;
        }

        /** Adds decoded text; returns what may be shown now. */
        String accept(String piece) {
            text.append(piece);
            if (stops.isEmpty()) {
                return release(text.length());
            }
            int cut = -1;
            for (String s : stops) {
                int at = text.indexOf(s, Math.max(0, emitted - s.length() + 1));
                if (at >= 0 && (cut < 0 || at < cut)) {
                    cut = at;
                }
            }
            if (cut >= 0) {
                hit = true;
                text.setLength(cut);
                return release(cut);
            }
            return release(text.length() - heldBack());
        }

        /** The longest tail of the text that is a proper prefix of some stop string. */
        private int heldBack() {
            int hold = 0;
            for (String s : stops) {
                for (int k = Math.min(s.length() - 1, text.length() - emitted); k > hold; k--) {
                    if (text.substring(text.length() - k).equals(s.substring(0, k))) {
                        hold = k;
                        break;
                    }
                }
            }
            return hold;
        }

        /** The end of the stream: releases everything held back. */
        String finish(String rest) {
            text.append(rest);
            return release(text.length());
        }

        private String release(int upTo) {
            if (upTo <= emitted) {
                return "";
            }
            String s = text.substring(emitted, upTo);
            emitted = upTo;
            return s;
        }

        boolean hit() {
            return hit;
        }

        String text() {
            return text.toString();
        }
    }
}
