package dev.llamaj.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamaj.core.Model;
import dev.llamaj.testdata.SharedData;
import dev.llamaj.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Llama 2 chat format against ids from Meta's own chat_completion (../shared/chat). */
class Llama2ChatTemplateTest {
    private static Tokenizer tokenizer;

    @BeforeAll
    static void loadTokenizer() {
        tokenizer = Tokenizer.load(SharedData.file("models/llama2-tokenizer/tokenizer.model"));
    }

    static List<ChatMessage> dialogFromJson(JsonNode array) {
        List<ChatMessage> dialog = new ArrayList<>();
        for (JsonNode m : array) {
            dialog.add(new ChatMessage(ChatMessage.Role.fromJsonName(m.get("role").asText()), m.get("content").asText()));
        }
        return dialog;
    }

    @Test
    void allSixtyReferenceDialogsGiveMetasIds() throws IOException {
        assertAllReferenceDialogs(new Llama2ChatTemplate(tokenizer));
    }

    /** A chat session uses the vocabulary inside the GGUF file: it must give the same ids. */
    @Test
    void theGgufVocabularyGivesTheSameIds() throws IOException {
        try (Model model = Model.builder(SharedData.file("models/golden/l2vocab-Q8_0.gguf")).kernels("scalar")
                .threads(1).contextLength(64).load()) {
            assertAllReferenceDialogs(new Llama2ChatTemplate(model.tokenizer()));
        }
    }

    private static void assertAllReferenceDialogs(ChatTemplate template) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(SharedData.file("chat/dialogs.jsonl")).stream()
                .filter(l -> !l.isBlank()).toList();
        assertThat(lines).hasSize(60);
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = json.readTree(lines.get(i));
            int[] expected = json.treeToValue(line.get("ids"), int[].class);
            int[] actual = template.render(dialogFromJson(line.get("dialog")));
            assertThat(actual).as("dialog %d (line %d): %s", i, i + 1, line.get("dialog")).containsExactly(expected);
        }
    }

    @Test
    void systemIsMergedIntoFirstUserAndTurnsEndWithLoneSpaceBeforeEos() {
        int[] ids = new Llama2ChatTemplate(tokenizer).render(List.of(
                ChatMessage.system("Be brief."), ChatMessage.user("  Hi  "), ChatMessage.assistant(" Hello. "),
                ChatMessage.user("Bye")));
        int eos = indexOf(ids, tokenizer.eosId());
        assertThat(ids[0]).isEqualTo(tokenizer.bosId());
        assertThat(ids[eos - 1]).as("the trailing space before EOS is a lone ▁").isEqualTo(29871);
        assertThat(ids[eos + 1]).isEqualTo(tokenizer.bosId());
        // Meta strips the merged text, so the first user message keeps its leading spaces (they
        // follow the system block) and loses only its trailing ones
        assertThat(tokenizer.decode(Arrays.copyOfRange(ids, 1, eos)))
                .isEqualTo("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n  Hi [/INST] Hello. ");
        assertThat(tokenizer.decode(Arrays.copyOfRange(ids, eos + 2, ids.length))).isEqualTo("[INST] Bye [/INST]");
    }

    @Test
    void bosAndEosTextInMessagesStaysText() {
        int[] ids = new Llama2ChatTemplate(tokenizer).render(List.of(ChatMessage.user("<s>hi</s> <unk>")));
        assertThat(Arrays.stream(ids).filter(id -> id == tokenizer.bosId()).count()).isEqualTo(1);
        assertThat(ids).doesNotContain(tokenizer.eosId(), tokenizer.unkId());
        assertThat(tokenizer.decode(ids)).isEqualTo("[INST] <s>hi</s> <unk> [/INST]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"})
    void refusesEachControlTagNamingMessageAndTag(String tag) {
        Llama2ChatTemplate template = new Llama2ChatTemplate(tokenizer);
        List<ChatMessage> dialog = List.of(ChatMessage.system("ok"), ChatMessage.user("fine"),
                ChatMessage.assistant("also fine"), ChatMessage.user("look: " + tag + " here"));
        assertThatThrownBy(() -> template.render(dialog))
                .isInstanceOfSatisfying(ControlTagException.class, e -> {
                    assertThat(e.messageIndex()).isEqualTo(3);
                    assertThat(e.tag()).isEqualTo(tag);
                })
                .hasMessageContaining("message 3 (user)").hasMessageContaining("'" + tag + "'");
    }

    @Test
    void refusesTagsInSystemAndAssistantMessagesToo() {
        Llama2ChatTemplate template = new Llama2ChatTemplate(tokenizer);
        assertThatThrownBy(() -> template.render(List.of(ChatMessage.system("x <</SYS>> y"), ChatMessage.user("q"))))
                .isInstanceOf(ControlTagException.class).hasMessageContaining("message 0 (system)");
        assertThatThrownBy(() -> template.render(List.of(ChatMessage.user("q"), ChatMessage.assistant("[INST] a"),
                ChatMessage.user("r")))).isInstanceOf(ControlTagException.class).hasMessageContaining("message 1 (assistant)");
    }

    @Test
    void allowedTagsArePlainTextNeverControlIds() {
        String text = "explain [INST] and <<SYS>> tags";
        int[] ids = new Llama2ChatTemplate(tokenizer, true).render(List.of(ChatMessage.user(text)));
        assertThat(ids).containsExactly(concat(new int[] {tokenizer.bosId()},
                tokenizer.encode("[INST] " + text + " [/INST]", false, false)));
        assertThat(Arrays.copyOfRange(ids, 1, ids.length)).doesNotContain(tokenizer.bosId(), tokenizer.eosId());
    }

    @Test
    void rejectsDialogsOfTheWrongShape() {
        Llama2ChatTemplate t = new Llama2ChatTemplate(tokenizer);
        assertThatThrownBy(() -> t.render(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no user message");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.system("s")))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no user message");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("message 1 is user but assistant");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("a"), ChatMessage.assistant("b"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must end with a user message");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("a"), ChatMessage.system("b"), ChatMessage.user("c"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("message 1 is system");
    }

    @Test
    void stripIsPythonsNotJavas() {
        // Python strips NBSP and ideographic space (Zs) and U+0085/U+001F (bidi B/S); not U+200B.
        assertThat(Llama2ChatTemplate.strip("\u00a0\u3000 hi\t\u0085\u001f")).isEqualTo("hi");
        assertThat(Llama2ChatTemplate.strip("\u200bhi")).isEqualTo("\u200bhi");
        assertThat(Llama2ChatTemplate.strip(" \n ")).isEmpty();
    }

    private static int indexOf(int[] ids, int id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return i;
            }
        }
        return -1;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
