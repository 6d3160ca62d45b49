package dev.llamaj.cli;

import dev.llamaj.core.Model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamaj.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code llama tokenize --tokenizer FILE (--text S | --file F.jsonl) [--bos] [--eos]}: prints
 * {@code {"ids":[...]}} for the text, or one such line per line of F (each line a JSON string).
 */
final class TokenizeCommand implements Main.Command {
    private static final String USAGE = "usage: samples/llama tokenize --tokenizer FILE (--text S | --file F.jsonl) [--bos] [--eos]\n"
            + "  --tokenizer FILE  a SentencePiece tokenizer.model, or a .gguf file (its tokenizer.ggml.* vocabulary)\n"
            + "  --text S          the text to tokenize\n"
            + "  --file F.jsonl    one JSON string per line; one {\"ids\":[...]} line out per line in\n"
            + "  --bos, --eos      put the BOS id in front / the EOS id at the end";

    private final PrintStream out;
    private final ObjectMapper json = new ObjectMapper();

    TokenizeCommand() {
        this(System.out);
    }

    TokenizeCommand(PrintStream out) {
        this.out = out;
    }

    /** The parsed command line. */
    record Options(Path tokenizer, String text, Path file, boolean bos, boolean eos) {
        static Options parse(String[] args) {
            Args a = Args.parse(args, Set.of("--tokenizer", "--text", "--file"), Set.of("--bos", "--eos"));
            if (a.has("--text") == a.has("--file")) {
                throw new UsageException("give exactly one of --text S and --file F.jsonl\n" + USAGE);
            }
            return new Options(Path.of(a.required("--tokenizer")), a.string("--text", null),
                    a.has("--file") ? Path.of(a.required("--file")) : null, a.flag("--bos"), a.flag("--eos"));
        }
    }

    @Override
    public int run(String[] args) throws IOException {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.println(USAGE);
            return 0;
        }
        Options options = Options.parse(args);
        Tokenizer tokenizer = loadTokenizer(options.tokenizer());
        if (options.text() != null) {
            print(tokenizer.encode(options.text(), options.bos(), options.eos()));
            return 0;
        }
        try (BufferedReader reader = Files.newBufferedReader(options.file(), StandardCharsets.UTF_8)) {
            int lineNumber = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                lineNumber++;
                print(tokenizer.encode(parseLine(options.file(), lineNumber, line), options.bos(), options.eos()));
            }
        } catch (NoSuchFileException e) {
            throw new UsageException(options.file() + ": no such file");
        }
        out.flush();
        return 0;
    }

    private String parseLine(Path file, int lineNumber, String line) {
        try {
            var node = json.readTree(line);
            if (node == null || !node.isTextual()) {
                throw new IllegalArgumentException(file + ":" + lineNumber + ": expected a JSON string, found "
                        + (node == null ? "an empty line" : node.getNodeType().toString().toLowerCase()));
            }
            return node.textValue();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ":" + lineNumber + ": not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    private void print(int[] ids) throws JsonProcessingException {
        ObjectNode object = json.createObjectNode();
        ArrayNode array = object.putArray("ids");
        for (int id : ids) {
            array.add(id);
        }
        out.println(json.writeValueAsString(object));
    }

    static Tokenizer loadTokenizer(Path file) {
        if (file.getFileName() != null && file.getFileName().toString().toLowerCase().endsWith(".gguf")) {
            return Model.loadTokenizer(file); // the file's own tokenizer.ggml.* vocabulary
        }
        return Tokenizer.load(file);
    }

    @Override
    public String summary() {
        return "text to token ids";
    }
}
