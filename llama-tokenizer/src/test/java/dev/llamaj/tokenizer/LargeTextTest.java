package dev.llamaj.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamaj.testdata.SharedData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A megabyte of text in one encode call. The expected ids are built from the per-line ids:
 * no Llama 2 piece contains a newline, so '\n' separates merges and
 * encode(a + "\n" + b) = encode(a) + [<0x0A>] + encode-without-dummy-prefix(b). Correctness only;
 * speed is the JMH benchmark's business.
 */
class LargeTextTest {

    @Test
    void oneMegabyteEncodesToTheConcatenationOfItsLines() {
        Tokenizer llama = Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        Vocabulary v = llama.vocabulary();
        assertThat(v.pieces()).noneMatch(p -> p.contains("\n"));
        Tokenizer noPrefix = Tokenizer.fromVocabulary(Vocabulary.builder(v.pieces(), v.scores(), v.types())
                .addDummyPrefix(false).build());
        int newline = llama.encode("\n")[1];
        assertThat(llama.piece(newline)).isEqualTo("<0x0A>");

        List<String> lines = new ArrayList<>();
        for (ReferenceCases.Case c : ReferenceCases.jsonl("tokenizer/expected-ids.jsonl")) {
            for (String line : c.text().split("\n")) {
                if (!line.isEmpty()) { // an empty first line would keep the dummy prefix alone
                    lines.add(line);
                }
            }
        }
        StringBuilder text = new StringBuilder();
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; text.length() < 1_000_000; i++) {
            String line = lines.get(i % lines.size());
            if (i > 0) {
                text.append('\n');
                expected.add(newline);
            }
            text.append(line);
            for (int id : (i == 0 ? llama : noPrefix).encode(line)) {
                expected.add(id);
            }
        }
        int[] ids = llama.encode(text.toString());
        int[] want = expected.stream().mapToInt(Integer::intValue).toArray();
        assertThat(ids.length).as("id count").isEqualTo(want.length);
        int mismatch = java.util.Arrays.mismatch(ids, want);
        assertThat(mismatch).as("first differing id index").isEqualTo(-1);
        String withoutU2581 = text.toString();
        if (withoutU2581.indexOf('\u2581') < 0) {
            assertThat(llama.decode(ids)).isEqualTo(withoutU2581);
        }
    }
}
