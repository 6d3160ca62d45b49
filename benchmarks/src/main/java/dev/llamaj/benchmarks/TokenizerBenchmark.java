package dev.llamaj.benchmarks;

import dev.llamaj.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Encode throughput of the Llama 2 tokenizer on about 1 MB of mixed text: the strings of
 * {@code shared/tokenizer/strings.jsonl} (English, code, CJK, emoji, odd whitespace...) repeated,
 * one per line, until the text reaches 1,000,000 UTF-8 bytes. The text is also written to
 * {@code benchmarks/target/tokenizer-bench.txt} so that sentencepiece's {@code spm_encode} can be
 * timed on the very same bytes.
 *
 * <p>{@code encodeLines} encodes line by line, as {@code spm_encode} does; {@code encodeWhole}
 * encodes the megabyte as one string. Scores are in ms per pass over the text: MB/s = 1000 / score
 * (the text is 1.0 MB, printed at setup). Run: {@code benchmarks/run TokenizerBenchmark -f 1 -wi 2 -i 3}.
 * The shared folder is {@code ../shared} from the working directory unless {@code -Dllamaj.shared=DIR}
 * or {@code LLAMAJ_SHARED} says otherwise.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TokenizerBenchmark {
    static final int TARGET_BYTES = 1_000_000;

    private Tokenizer tokenizer;
    private String text;
    private String[] lines;

    @Setup
    public void setup() throws IOException {
        Path shared = sharedFolder();
        tokenizer = Tokenizer.load(shared.resolve("models/llama2-tokenizer/tokenizer.model"));
        text = buildText(shared.resolve("tokenizer/strings.jsonl"));
        lines = text.split("\n");
        Path out = Path.of("benchmarks", "target", "tokenizer-bench.txt");
        if (Files.isDirectory(out.getParent())) {
            Files.writeString(out, text, StandardCharsets.UTF_8);
        }
        System.out.printf("%ntext: %d UTF-8 bytes, %d lines, %d ids%n", text.getBytes(StandardCharsets.UTF_8).length,
                lines.length, tokenizer.encode(text).length);
    }

    static Path sharedFolder() {
        String configured = System.getProperty("llamaj.shared", System.getenv("LLAMAJ_SHARED"));
        Path shared = Path.of(configured != null ? configured : "../shared").toAbsolutePath().normalize();
        if (!Files.isDirectory(shared)) {
            throw new IllegalStateException("reference data not found at " + shared + "; set -Dllamaj.shared=DIR");
        }
        return shared;
    }

    /** The strings, newlines inside them kept, one per line, repeated up to {@link #TARGET_BYTES}. */
    static String buildText(Path stringsJsonl) throws IOException {
        List<String> strings = Files.readAllLines(stringsJsonl, StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isBlank()).map(TokenizerBenchmark::jsonString).toList();
        StringBuilder b = new StringBuilder();
        int bytes = 0;
        for (int i = 0; bytes < TARGET_BYTES; i++) {
            String s = strings.get(i % strings.size()) + "\n";
            b.append(s);
            bytes += s.getBytes(StandardCharsets.UTF_8).length;
        }
        return b.toString();
    }

    /** Decodes one JSON string literal (the benchmarks module has no JSON library at run time). */
    static String jsonString(String literal) {
        String s = literal.strip();
        if (s.length() < 2 || s.charAt(0) != '"' || s.charAt(s.length() - 1) != '"') {
            throw new IllegalArgumentException("not a JSON string: " + literal);
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s, i + 1, i + 5, 16));
                    i += 4;
                }
                default -> b.append(e); // \" \\ \/
            }
        }
        return b.toString();
    }

    @Benchmark
    public void encodeLines(Blackhole bh) {
        for (String line : lines) {
            bh.consume(tokenizer.encode(line));
        }
    }

    @Benchmark
    public int[] encodeWhole() {
        return tokenizer.encode(text);
    }
}
