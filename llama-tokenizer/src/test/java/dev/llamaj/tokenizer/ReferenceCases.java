package dev.llamaj.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamaj.testdata.SharedData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The reference cases in ../shared: sentencepiece's ids and decoded text for each test string. */
final class ReferenceCases {
    static final String LLAMA2_MODEL = "models/llama2-tokenizer/tokenizer.model";
    static final String TOK512_MODEL = "models/stories260K/tok512.model";

    /** One string with its expected ids and decoded text ({@code decoded} null when not given). */
    record Case(int line, String text, int[] ids, String decoded) {
    }

    private ReferenceCases() {
    }

    static List<Case> jsonl(String relative) {
        Path file = SharedData.file(relative);
        ObjectMapper json = new ObjectMapper();
        List<Case> cases = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isEmpty()) {
                    continue;
                }
                JsonNode node = json.readTree(lines.get(i));
                JsonNode idsNode = node.get("ids");
                int[] ids = new int[idsNode.size()];
                for (int k = 0; k < ids.length; k++) {
                    ids[k] = idsNode.get(k).asInt();
                }
                cases.add(new Case(i + 1, node.get("text").asText(), ids, node.get("decoded").asText()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cases;
    }

    /**
     * llama.cpp's tokenizer cases: {@code .inp} holds the strings, each followed by a line
     * {@code __ggml_vocab_test__}; {@code .out} holds one line of space-separated ids per string.
     */
    static List<Case> llamaCpp() {
        try {
            String inp = Files.readString(SharedData.file("models/llama2-tokenizer/ggml-vocab-llama-spm.gguf.inp"));
            List<String> out = Files.readAllLines(SharedData.file("models/llama2-tokenizer/ggml-vocab-llama-spm.gguf.out"));
            String separator = "\n__ggml_vocab_test__\n";
            List<String> texts = new ArrayList<>();
            int from = 0;
            for (int at; (at = inp.indexOf(separator, from)) >= 0; from = at + separator.length()) {
                texts.add(inp.substring(from, at));
            }
            if (texts.size() != out.size()) {
                throw new IllegalStateException(texts.size() + " inputs but " + out.size() + " output lines");
            }
            List<Case> cases = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String line = out.get(i).trim();
                int[] ids = line.isEmpty() ? new int[0]
                        : java.util.Arrays.stream(line.split("\\s+")).mapToInt(Integer::parseInt).toArray();
                cases.add(new Case(i + 1, texts.get(i), ids, null));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
