/** Llama 2 chat: Meta's prompt format as token ids, and chat sessions that reuse the KV cache. */
module dev.llamaj.chat {
    requires transitive dev.llamaj.core;
    exports dev.llamaj.chat;
}
