package dev.llamaj.chat;

import dev.llamaj.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Llama 2-Chat's prompt format, id for id as Meta's {@code chat_completion} builds it
 * ({@code llama/generation.py} in the Llama 2 repository):
 * <ul>
 * <li>a leading system message is merged into the first user message as
 *     {@code "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + user};</li>
 * <li>each completed (user, assistant) pair is its own segment,
 *     {@code BOS encode("[INST] " + user.strip() + " [/INST] " + answer.strip() + " ") EOS}
 *     (the trailing space becomes a lone {@code ▁} before EOS);</li>
 * <li>the final user message is {@code BOS encode("[INST] " + user.strip() + " [/INST]")}.</li>
 * </ul>
 * Each segment is encoded on its own, so each gets sentencepiece's dummy prefix. BOS and EOS are
 * added as ids: text such as {@code <s>} in a message stays text. {@code strip()} is Python's
 * (Unicode whitespace as {@code str.isspace}), not Java's, so the same messages give the same ids.
 *
 * <p>Immutable and thread-safe (the {@link Tokenizer} is).
 */
public final class Llama2ChatTemplate implements ChatTemplate {
    /** The tags Meta's reference refuses inside messages. */
    public static final List<String> CONTROL_TAGS = List.of("[INST]", "[/INST]", "<<SYS>>", "<</SYS>>");

    private static final String B_INST = "[INST]";
    private static final String E_INST = "[/INST]";
    private static final String B_SYS = "<<SYS>>\n";
    private static final String E_SYS = "\n<</SYS>>\n\n";

    private final Tokenizer tokenizer;
    private final boolean allowControlTags;

    /** The format as Meta's reference applies it: messages with control tags are refused. */
    public Llama2ChatTemplate(Tokenizer tokenizer) {
        this(tokenizer, false);
    }

    /**
     * @param allowControlTags true to pass {@link #CONTROL_TAGS} in messages through as plain text
     *                         (they still cannot become control tokens; they can only confuse
     *                         the model about where a turn ends)
     */
    public Llama2ChatTemplate(Tokenizer tokenizer, boolean allowControlTags) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.allowControlTags = allowControlTags;
    }

    /** The control tags: a model writing {@code [INST]} is writing the next user turn. */
    @Override
    public List<String> stopStrings() {
        return CONTROL_TAGS;
    }

    /** Whether control tags in messages are accepted as plain text. */
    public boolean allowsControlTags() {
        return allowControlTags;
    }

    @Override
    public int[] render(List<ChatMessage> dialog) {
        checkShape(dialog);
        if (!allowControlTags) {
            refuseControlTags(dialog);
        }
        List<String> users = new ArrayList<>();
        List<String> answers = new ArrayList<>();
        int start = dialog.get(0).role() == ChatMessage.Role.SYSTEM ? 1 : 0;
        for (int i = start; i < dialog.size(); i++) {
            (dialog.get(i).role() == ChatMessage.Role.USER ? users : answers).add(dialog.get(i).content());
        }
        if (start == 1) {
            users.set(0, B_SYS + dialog.get(0).content() + E_SYS + users.get(0));
        }
        IdBuffer ids = new IdBuffer();
        for (int turn = 0; turn < answers.size(); turn++) {
            String text = B_INST + " " + strip(users.get(turn)) + " " + E_INST + " " + strip(answers.get(turn)) + " ";
            ids.add(tokenizer.bosId());
            ids.addAll(encodeText(text));
            ids.add(tokenizer.eosId());
        }
        ids.add(tokenizer.bosId());
        ids.addAll(encodeText(B_INST + " " + strip(users.getLast()) + " " + E_INST));
        return ids.toArray();
    }

    /** Optional system first, then user/assistant alternating, ending with a user message. */
    private static void checkShape(List<ChatMessage> dialog) {
        Objects.requireNonNull(dialog, "dialog");
        int start = !dialog.isEmpty() && dialog.get(0).role() == ChatMessage.Role.SYSTEM ? 1 : 0;
        if (dialog.size() <= start) {
            throw new IllegalArgumentException("the dialog has no user message: it needs an optional system message"
                    + " followed by user and assistant messages alternating, ending with a user message");
        }
        for (int i = start; i < dialog.size(); i++) {
            ChatMessage.Role expected = (i - start) % 2 == 0 ? ChatMessage.Role.USER : ChatMessage.Role.ASSISTANT;
            ChatMessage.Role actual = dialog.get(i).role();
            if (actual != expected) {
                throw new IllegalArgumentException("message " + i + " is " + actual.jsonName() + " but " + expected.jsonName()
                        + " was expected: after an optional first system message, user and assistant alternate,"
                        + " starting with user");
            }
        }
        if (dialog.getLast().role() != ChatMessage.Role.USER) {
            throw new IllegalArgumentException("the last message (" + (dialog.size() - 1)
                    + ") is from the assistant: the dialog must end with a user message to reply to");
        }
    }

    private static void refuseControlTags(List<ChatMessage> dialog) {
        for (int i = 0; i < dialog.size(); i++) {
            String content = dialog.get(i).content();
            for (String tag : CONTROL_TAGS) {
                if (content.contains(tag)) {
                    throw new ControlTagException(i, dialog.get(i).role(), tag);
                }
            }
        }
    }

    /**
     * Encodes message text without BOS/EOS. Sentencepiece never maps text to a control piece;
     * the check keeps that promise even for a vocabulary that would.
     */
    private int[] encodeText(String text) {
        int[] ids = tokenizer.encode(text, false, false);
        for (int id : ids) {
            if (id == tokenizer.bosId() || id == tokenizer.eosId()) {
                throw new IllegalStateException("the tokenizer turned message text into the control id " + id
                        + " (BOS/EOS); chat text must never produce control tokens");
            }
        }
        return ids;
    }

    /** Python's {@code str.strip()}: Unicode whitespace is Zs, or bidi class WS, B or S. */
    static String strip(String s) {
        int begin = 0;
        int end = s.length();
        while (begin < end && isPythonSpace(s.charAt(begin))) {
            begin++;
        }
        while (end > begin && isPythonSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(begin, end);
    }

    private static boolean isPythonSpace(char c) {
        if (Character.getType(c) == Character.SPACE_SEPARATOR) {
            return true;
        }
        byte bidi = Character.getDirectionality(c);
        return bidi == Character.DIRECTIONALITY_WHITESPACE || bidi == Character.DIRECTIONALITY_PARAGRAPH_SEPARATOR
                || bidi == Character.DIRECTIONALITY_SEGMENT_SEPARATOR;
    }

    /** A growable int list, so rendering does not box every id. */
    private static final class IdBuffer {
        private int[] ids = new int[64];
        private int size;

        void add(int id) {
            if (size == ids.length) {
                ids = java.util.Arrays.copyOf(ids, size * 2);
            }
            ids[size++] = id;
        }

        void addAll(int[] more) {
            for (int id : more) {
                add(id);
            }
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(ids, size);
        }
    }
}
