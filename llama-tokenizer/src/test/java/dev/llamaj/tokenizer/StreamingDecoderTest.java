package dev.llamaj.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamaj.testdata.SharedData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The streaming decoder: whole characters only, and the same text as decode(). */
class StreamingDecoderTest {

    @Test
    void concatenationEqualsDecodeOnEveryReferenceString() {
        for (String[] pair : List.of(new String[] {ReferenceCases.LLAMA2_MODEL, "tokenizer/expected-ids.jsonl"},
                new String[] {ReferenceCases.TOK512_MODEL, "tokenizer/expected-ids-tok512.jsonl"})) {
            Tokenizer tokenizer = Tokenizer.load(SharedData.file(pair[0]));
            List<ReferenceCases.Case> cases = ReferenceCases.jsonl(pair[1]);
            assertThat(cases).hasSize(401);
            for (ReferenceCases.Case c : cases) {
                int[] withSpecials = tokenizer.encode(c.text(), true, true);
                assertThat(stream(tokenizer, withSpecials)).as(pair[0] + " line " + c.line())
                        .isEqualTo(tokenizer.decode(withSpecials)).isEqualTo(c.decoded());
            }
        }
    }

    @Test
    void cjkCharacterOverThreeByteTokensComesOutOnceWhole() {
        Tokenizer tok512 = Tokenizer.load(SharedData.file(ReferenceCases.TOK512_MODEL));
        int[] ids = tok512.encode("中");
        // "▁" then the three UTF-8 bytes of 中 (E4 B8 AD) as byte pieces
        assertThat(ids).containsExactly(410, 0xE4 + 3, 0xB8 + 3, 0xAD + 3);
        StreamingDecoder decoder = tok512.newStreamingDecoder();
        List<String> parts = new ArrayList<>();
        for (int id : ids) {
            parts.add(decoder.accept(id));
        }
        parts.add(decoder.flush());
        assertThat(parts).containsExactly("", "", "", "中", "");
    }

    @Test
    void malformedBytesBecomeReplacementCharactersLikeDecode() {
        Tokenizer llama = Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        int b = 3; // id of <0x00>
        int[][] cases = {
            {b + 0xE4, b + 0xB8},                 // cut short, then end of stream
            {b + 0xE4, b + 0xB8, 15043},          // cut short, then a normal piece
            {b + 0xE4, b + 0x41, b + 0xB8},       // bad continuation
            {b + 0xC0, b + 0x80},                 // overlong
            {b + 0xED, b + 0xA0, b + 0x80},       // surrogate
            {b + 0xFF, b + 0xC3, b + 0xA9},       // bad lead, then é
            {b + 0xF0, b + 0x9F, b + 0xA6, b + 0x99}, // 🦙
        };
        String[] expected = {"\uFFFD\uFFFD", "\uFFFD\uFFFD Hello", "\uFFFDA\uFFFD", "\uFFFD\uFFFD",
            "\uFFFD\uFFFD\uFFFD", "\uFFFDé", "🦙"};
        for (int i = 0; i < cases.length; i++) {
            assertThat(llama.decode(cases[i])).as("case " + i).isEqualTo(expected[i]);
            assertThat(stream(llama, cases[i])).as("stream case " + i).isEqualTo(expected[i]);
        }
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        Tokenizer llama = Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        assertThatThrownBy(() -> llama.newStreamingDecoder().accept(32000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32000");
        assertThatThrownBy(() -> llama.decode(new int[] {-1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }

    static String stream(Tokenizer tokenizer, int[] ids) {
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            String part = decoder.accept(id);
            assertThat(part.isEmpty() || !Character.isHighSurrogate(part.charAt(part.length() - 1)))
                    .as("part ends inside a character").isTrue();
            out.append(part);
        }
        return out.append(decoder.flush()).toString();
    }
}
