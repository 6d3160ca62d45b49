package dev.llamaj.chat;

import dev.llamaj.core.StopReason;
import java.util.List;

/**
 * The model's answer to one user message, and what producing it cost.
 *
 * @param text            the reply (cut before a stop string; partial when cancelled)
 * @param stopReason      why generation stopped
 * @param promptTokens    ids of the whole rendered dialog this turn (history + new message)
 * @param reusedTokens    of those, ids already in the KV cache from earlier turns
 * @param prefilledTokens ids that went through the model before the first reply token
 *                        ({@code promptTokens - reusedTokens})
 * @param generatedTokens ids the model produced (including a final EOS)
 * @param prefillNanos    time for the prefill
 * @param decodeNanos     time for the generated tokens after the first
 * @param dropped         messages forgotten to make room for this turn, oldest first (user and
 *                        assistant in pairs; never the system prompt)
 */
public record Reply(String text, StopReason stopReason, int promptTokens, int reusedTokens, int prefilledTokens,
                    int generatedTokens, long prefillNanos, long decodeNanos, List<ChatMessage> dropped) {
    public Reply {
        dropped = List.copyOf(dropped);
    }

    /** Prompt tokens per second (0 when nothing was prefilled or timed). */
    public double prefillTokensPerSecond() {
        return prefilledTokens == 0 || prefillNanos == 0 ? 0 : prefilledTokens * 1e9 / prefillNanos;
    }

    /** Generated tokens per second after the first (each needs one forward pass). */
    public double decodeTokensPerSecond() {
        int steps = generatedTokens - 1;
        return steps <= 0 || decodeNanos == 0 ? 0 : steps * 1e9 / decodeNanos;
    }
}
