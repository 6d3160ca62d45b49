package dev.llamaj.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llamaj.testdata.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The from-lists entry point (how GGUF vocabularies arrive) and its validation. */
class VocabularyTest {

    @Test
    void fromListsEqualsTheModelFileOnEveryReferenceString() {
        Tokenizer fromFile = Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        Vocabulary parsed = fromFile.vocabulary();
        // as llama-core will build it from tokenizer.ggml.tokens / scores / token_type and the ids
        Vocabulary lists = Vocabulary.builder(parsed.pieces(), parsed.scores(), parsed.types())
                .unkId(0).bosId(1).eosId(2).addBos(true).addEos(false).build();
        assertThat(lists.byteFallback()).isTrue();
        Tokenizer fromLists = Tokenizer.fromVocabulary(lists);
        assertThat(fromLists.vocabSize()).isEqualTo(32000);
        for (ReferenceCases.Case c : ReferenceCases.jsonl("tokenizer/expected-ids.jsonl")) {
            assertThat(fromLists.encode(c.text())).as("line " + c.line()).containsExactly(c.ids());
            assertThat(fromLists.decode(c.ids())).as("line " + c.line()).isEqualTo(c.decoded());
        }
    }

    @Test
    void modelFileFlagsAreRead() {
        Vocabulary v = Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL)).vocabulary();
        assertThat(v.addDummyPrefix()).isTrue();
        assertThat(v.removeExtraWhitespaces()).isFalse();
        assertThat(v.escapeWhitespaces()).isTrue();
        assertThat(v.byteFallback()).isTrue();
        assertThat(v.padId()).isEqualTo(-1);
        assertThat(v.unkSurface()).isEqualTo(" \u2047 ");
        assertThat(v.types()[0]).isEqualTo(PieceType.UNKNOWN);
        assertThat(v.types()[1]).isEqualTo(PieceType.CONTROL);
        assertThat(v.types()[3]).isEqualTo(PieceType.BYTE);
    }

    @Test
    void userDefinedPiecesStayWholeAndDummyPrefixCanBeOff() {
        List<String> pieces = List.of("<unk>", "<s>", "</s>", "▁", "a", "b", "ab", "▁a", "[X]", "▁ab");
        float[] scores = {0, 0, 0, -1, -2, -3, -4, -5, 0, -6};
        int[] types = {2, 3, 3, 1, 1, 1, 1, 1, 4, 1};
        Tokenizer t = Tokenizer.fromVocabulary(Vocabulary.builder(pieces, scores, types).build());
        assertThat(t.encode("ab")).containsExactly(9);
        assertThat(t.encode("a[X]b")).containsExactly(7, 8, 5);
        assertThat(t.encode("c")).containsExactly(3, 0); // no byte pieces: unknown
        assertThat(t.decode(new int[] {3, 0})).isEqualTo(" \u2047 ");
        Tokenizer noPrefix = Tokenizer.fromVocabulary(Vocabulary.builder(pieces, scores, types)
                .addDummyPrefix(false).build());
        assertThat(noPrefix.encode("ab")).containsExactly(6);
    }

    @Test
    void mergesMaySpanSpacesWhenAPieceDoes() {
        List<String> pieces = List.of("<unk>", "<s>", "</s>", "▁", "a", "b", "a▁", "a▁b", "c");
        float[] scores = {0, 0, 0, -1, -2, -3, -4, -5, -6};
        int[] types = {2, 3, 3, 1, 1, 1, 1, 1, 1};
        Tokenizer t = Tokenizer.fromVocabulary(Vocabulary.builder(pieces, scores, types).addDummyPrefix(false).build());
        assertThat(t.encode("a b")).containsExactly(7);
        assertThat(t.encode("ca bc a")).containsExactly(8, 7, 8, 3, 4);
    }

    @Test
    void removeExtraWhitespacesCollapsesSpaces() {
        List<String> pieces = List.of("<unk>", "<s>", "</s>", "▁", "a", "b");
        float[] scores = {0, 0, 0, -1, -2, -3};
        int[] types = {2, 3, 3, 1, 1, 1};
        Tokenizer t = Tokenizer.fromVocabulary(Vocabulary.builder(pieces, scores, types)
                .removeExtraWhitespaces(true).build());
        assertThat(t.encode("   a    b  ")).containsExactly(3, 4, 3, 5);
        assertThat(t.decode(t.encode("   a    b  "))).isEqualTo("a b");
        assertThat(t.encode("    ")).isEmpty();
    }

    @Test
    void inconsistentListsAreRefused() {
        List<String> pieces = List.of("<unk>", "<s>", "</s>");
        assertThatThrownBy(() -> Vocabulary.builder(pieces, new float[2], new int[] {2, 3, 3}).build())
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("3 pieces, 2 scores");
        assertThatThrownBy(() -> Vocabulary.builder(pieces, new float[3], new int[] {2, 3, 9}).build())
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("piece 2").hasMessageContaining("type 9");
        assertThatThrownBy(() -> Vocabulary.builder(pieces, new float[3], new int[] {2, 3, 3}).unkId(7).build())
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("unknown id 7");
        assertThatThrownBy(() -> Vocabulary.builder(pieces, new float[3], new int[] {2, 3, 3}).eosId(3).build())
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("eos id 3");
        Vocabulary badByte = Vocabulary.builder(List.of("<unk>", "<0xZZ>"), new float[2], new int[] {2, 6})
                .bosId(-1).eosId(-1).build();
        assertThatThrownBy(() -> Tokenizer.fromVocabulary(badByte))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("<0xZZ>");
    }

    @Test
    void vocabularyIsACopy() {
        float[] scores = {0, 0, 0};
        Vocabulary v = Vocabulary.builder(List.of("<unk>", "<s>", "</s>"), scores, new int[] {2, 3, 3}).build();
        scores[0] = 5;
        v.scores()[1] = 7;
        assertThat(v.scores()).containsExactly(0, 0, 0);
    }
}
