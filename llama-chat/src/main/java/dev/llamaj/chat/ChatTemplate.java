package dev.llamaj.chat;

import java.util.List;

/**
 * A chat model's prompt format: turns a dialog into the token ids the model was tuned on.
 * Implementations produce ids directly (never text with special tokens spelled out), so no
 * message can smuggle in a control token. Implementations are immutable and thread-safe.
 */
public interface ChatTemplate {
    /**
     * The prompt ids for the model's reply to the dialog's last message.
     *
     * @param dialog an optional {@link ChatMessage.Role#SYSTEM} message, then user and assistant
     *               messages alternating, starting and ending with a user message
     * @return the ids, starting with BOS where the format has one
     * @throws IllegalArgumentException when the dialog's shape is not one the format accepts
     *                                  (the message says which message and why)
     * @throws ControlTagException      when a message contains a tag the format reserves and the
     *                                  template refuses them
     */
    int[] render(List<ChatMessage> dialog);

    /**
     * Text that, appearing in a reply, means the model has started writing the format's
     * structure (for example the next user turn); a chat session stops the reply there. Keeping
     * it out of replies also keeps the history renderable by a template that refuses such text.
     */
    default List<String> stopStrings() {
        return List.of();
    }
}
