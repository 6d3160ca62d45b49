package dev.llamaj.chat;

/** Placeholder until the chat template lands. */
public interface ChatTemplate {
}
