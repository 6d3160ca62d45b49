package dev.llamaj.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamaj.testdata.SharedData;
import dev.llamaj.tokenizer.Tokenizer;
import dev.llamaj.tokenizer.Vocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The tokenizer built from a GGUF file's metadata against the references: llama.cpp's 46 cases on
 * the very GGUF they were made for, and the 401 sentencepiece strings on stories260K.gguf (whose
 * vocabulary is tok512's) and on the Llama 2 vocabulary GGUF.
 */
class GgufTokenizerTest {

    @Test
    void llamaCppCasesOnTheirOwnGguf() throws Exception {
        Tokenizer t = Model.loadTokenizer(SharedData.file("models/llama2-tokenizer/ggml-vocab-llama-spm.gguf"));
        assertThat(t.addBos()).isTrue();
        String inp = Files.readString(SharedData.file("models/llama2-tokenizer/ggml-vocab-llama-spm.gguf.inp"));
        List<String> out = Files.readAllLines(SharedData.file("models/llama2-tokenizer/ggml-vocab-llama-spm.gguf.out"));
        String separator = "\n__ggml_vocab_test__\n";
        List<String> texts = new ArrayList<>();
        int from = 0;
        for (int at; (at = inp.indexOf(separator, from)) >= 0; from = at + separator.length()) {
            texts.add(inp.substring(from, at));
        }
        assertThat(texts).hasSize(46);
        assertThat(out).hasSize(46);
        for (int i = 0; i < texts.size(); i++) {
            String line = out.get(i).trim();
            int[] expected = line.isEmpty() ? new int[0] : Arrays.stream(line.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            assertThat(t.encode(texts.get(i))).as("case " + (i + 1)).containsExactly(expected);
        }
    }

    @Test
    void referenceStringsOnGgufVocabularies() throws Exception {
        check(Model.loadTokenizer(SharedData.file("models/llama2-tokenizer/ggml-vocab-llama-spm.gguf")),
                "llama2 gguf", "tokenizer/expected-ids.jsonl");
        // tok512.model sets normalizer_spec.remove_extra_whitespaces; GGUF has no key for it (llama.cpp
        // never removes spaces), so the GGUF lists are checked with that one flag taken from the .model
        Vocabulary v = Model.loadTokenizer(SharedData.file("models/stories260K/stories260K.gguf")).vocabulary();
        Vocabulary withFlag = Vocabulary.builder(v.pieces(), v.scores(), v.types()).unkId(v.unkId()).bosId(v.bosId())
                .eosId(v.eosId()).removeExtraWhitespaces(true).build();
        check(Tokenizer.fromVocabulary(withFlag), "stories260K gguf", "tokenizer/expected-ids-tok512.jsonl");
    }

    private static void check(Tokenizer t, String gguf, String expectedFile) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(SharedData.file(expectedFile));
        assertThat(lines).hasSize(401);
        for (int i = 0; i < lines.size(); i++) {
            JsonNode node = json.readTree(lines.get(i));
            int[] ids = new int[node.get("ids").size()];
            for (int k = 0; k < ids.length; k++) {
                ids[k] = node.get("ids").get(k).asInt();
            }
            assertThat(t.encode(node.get("text").asText())).as(gguf + " line " + (i + 1)).containsExactly(ids);
            assertThat(t.decode(ids)).as(gguf + " line " + (i + 1)).isEqualTo(node.get("decoded").asText());
        }
    }

    @Test
    void theGgufPathEqualsTheModelPath() {
        Path gguf = SharedData.file("models/stories260K/stories260K.gguf");
        Tokenizer fromGguf = Model.loadTokenizer(gguf);
        Tokenizer fromModel = Tokenizer.load(SharedData.file("models/stories260K/tok512.model"));
        assertThat(fromGguf.vocabulary().pieces()).isEqualTo(fromModel.vocabulary().pieces());
        assertThat(fromGguf.vocabulary().scores()).isEqualTo(fromModel.vocabulary().scores());
        assertThat(fromGguf.vocabulary().types()).isEqualTo(fromModel.vocabulary().types());
        assertThat(fromGguf.bosId()).isEqualTo(1);
        assertThat(fromGguf.eosId()).isEqualTo(2);
        assertThat(fromGguf.unkId()).isZero();
        assertThat(fromModel.vocabulary().removeExtraWhitespaces()).isTrue();
        assertThat(fromGguf.vocabulary().removeExtraWhitespaces()).isFalse(); // as llama.cpp treats GGUF
        assertThat(fromGguf.encode("Once upon a time")).containsExactly(fromModel.encode("Once upon a time"));
    }
}
