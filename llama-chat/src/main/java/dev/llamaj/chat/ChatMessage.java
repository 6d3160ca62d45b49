package dev.llamaj.chat;

import java.util.Objects;

/**
 * One message of a dialog: who said it and what. Content is kept exactly as given; a
 * {@link ChatTemplate} decides how it becomes token ids.
 *
 * @param role    who speaks
 * @param content the text, never null (may be empty)
 */
public record ChatMessage(Role role, String content) {
    /** Who speaks. */
    public enum Role {
        /** Instructions that hold for the whole dialog; at most one, first. */
        SYSTEM,
        /** The person talking to the model. */
        USER,
        /** The model's replies. */
        ASSISTANT;

        /** The lower-case name used in JSON dialogs ({@code "system"}, {@code "user"}, {@code "assistant"}). */
        public String jsonName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The role for a JSON name, or an exception naming the accepted ones. */
        public static Role fromJsonName(String name) {
            for (Role r : values()) {
                if (r.jsonName().equals(name)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown role '" + name + "': expected system, user or assistant");
        }
    }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
