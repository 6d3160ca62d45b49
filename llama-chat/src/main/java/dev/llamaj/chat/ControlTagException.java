package dev.llamaj.chat;

import dev.llamaj.core.LlamaException;

/**
 * A message contains text the chat format uses as structure (for Llama 2: {@code [INST]},
 * {@code [/INST]}, {@code <<SYS>>}, {@code <</SYS>>}). Meta's reference refuses such dialogs;
 * so do we unless the template was built to allow them as plain text.
 */
public final class ControlTagException extends LlamaException {
    private final int messageIndex;
    private final String tag;

    public ControlTagException(int messageIndex, ChatMessage.Role role, String tag) {
        super("message " + messageIndex + " (" + role.jsonName() + ") contains the control tag '" + tag
                + "', which the Llama 2 chat format reserves; remove it, or allow such tags as plain text"
                + " (allowControlTags(true) on the template or ChatSession builder; --allow-control-tags in the CLI)");
        this.messageIndex = messageIndex;
        this.tag = tag;
    }

    /** The index of the offending message in the dialog as given. */
    public int messageIndex() {
        return messageIndex;
    }

    /** The tag found. */
    public String tag() {
        return tag;
    }
}
