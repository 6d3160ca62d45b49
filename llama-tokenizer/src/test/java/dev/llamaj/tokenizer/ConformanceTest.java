package dev.llamaj.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamaj.testdata.SharedData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Our ids and decoded text against sentencepiece 0.1.97's, for every reference string: the Llama 2
 * tokenizer, the 512-piece stories260K tokenizer, and llama.cpp's 46 Llama SPM cases. Failures are
 * collected so one run lists every mismatching string.
 */
class ConformanceTest {

    @Test
    void llama2IdsAndDecodedTextMatchSentencepiece() {
        check(Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL)), ReferenceCases.jsonl("tokenizer/expected-ids.jsonl"), 401);
    }

    @Test
    void tok512IdsAndDecodedTextMatchSentencepiece() {
        check(Tokenizer.load(SharedData.file(ReferenceCases.TOK512_MODEL)), ReferenceCases.jsonl("tokenizer/expected-ids-tok512.jsonl"), 401);
    }

    /**
     * llama.cpp's cases were made for {@code ggml-vocab-llama-spm.gguf}; its tokens, scores and
     * types are identical to {@code tokenizer.model} (shared/models/README.md), so the .model
     * stands in for it until the GGUF reader can hand us that vocabulary.
     */
    @Test
    void llamaCppSpmCasesMatch() {
        check(Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL)), ReferenceCases.llamaCpp(), 46);
    }

    @Test
    void readmeVectors() {
        Tokenizer llama = Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        assertThat(llama.encode("Hello world")).containsExactly(15043, 3186);
        assertThat(llama.encode("  two spaces")).containsExactly(259, 1023, 8162);
        assertThat(llama.encode("Hello world", true, true)).containsExactly(1, 15043, 3186, 2);
        assertThat(llama.encode("")).isEmpty();
        assertThat(llama.encode("", true, false)).containsExactly(1);
        Tokenizer tok512 = Tokenizer.load(SharedData.file(ReferenceCases.TOK512_MODEL));
        assertThat(tok512.encode("naïve café 🦙"))
                .containsExactly(297, 412, 198, 178, 360, 280, 412, 431, 485, 410, 243, 162, 169, 156);
    }

    @Test
    void controlLookingTextIsPlainText() {
        Tokenizer llama = Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        for (String text : List.of("<s>", "</s>", "<unk>", "<0x41>", "[INST] <<SYS>>")) {
            int[] ids = llama.encode(text);
            assertThat(ids).as(text).doesNotContain(0, 1, 2);
            assertThat(llama.decode(ids)).isEqualTo(text);
        }
    }

    /** sentencepiece reads malformed UTF-8 as U+FFFD; in a Java string that can only be an unpaired surrogate. */
    @Test
    void unpairedSurrogatesEncodeAsReplacementCharacter() {
        Tokenizer llama = Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        assertThat(llama.encode("a\uD800b\uDC00")).containsExactly(llama.encode("a\uFFFDb\uFFFD"));
        assertThat(llama.decode(llama.encode("x\uD83D"))).isEqualTo("x\uFFFD");
    }

    @Test
    void specialPiecesAndFlags() {
        Tokenizer llama = Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        assertThat(llama.vocabSize()).isEqualTo(32000);
        assertThat(llama.unkId()).isZero();
        assertThat(llama.bosId()).isEqualTo(1);
        assertThat(llama.eosId()).isEqualTo(2);
        assertThat(llama.addBos()).isTrue();
        assertThat(llama.piece(1)).isEqualTo("<s>");
        assertThat(llama.piece(3)).isEqualTo("<0x00>");
        assertThat(llama.piece(15043)).isEqualTo("▁Hello");
        assertThat(llama.decode(new int[] {1, 15043, 3186, 2})).isEqualTo("Hello world");
        assertThat(llama.decode(new int[] {0})).isEqualTo(" \u2047 ");
    }

    static void check(Tokenizer tokenizer, List<ReferenceCases.Case> cases, int expectedCount) {
        assertThat(cases).hasSize(expectedCount);
        List<String> failures = new ArrayList<>();
        for (ReferenceCases.Case c : cases) {
            int[] ids = tokenizer.encode(c.text());
            if (!Arrays.equals(ids, c.ids())) {
                failures.add("line " + c.line() + " " + quote(c.text()) + ": expected " + Arrays.toString(c.ids())
                        + " got " + Arrays.toString(ids));
                continue;
            }
            String expectedText = c.decoded() != null ? c.decoded() : c.text();
            String decoded = tokenizer.decode(ids);
            if (c.decoded() != null && !decoded.equals(expectedText)) {
                failures.add("line " + c.line() + " " + quote(c.text()) + ": decoded " + quote(decoded)
                        + " expected " + quote(expectedText));
            }
        }
        assertThat(failures).as(failures.size() + " of " + cases.size() + " strings differ").isEmpty();
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().limit(80).forEach(cp -> {
            if (cp < 0x20 || cp == 0x2581 || (cp >= 0x7F && cp < 0xA0)) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.append('"').toString();
    }
}
