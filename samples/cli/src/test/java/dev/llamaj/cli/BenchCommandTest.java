package dev.llamaj.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamaj.testdata.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code llama bench --json}: the fields scripts read, mapped and with {@code --no-mmap}, {@code --depth} and {@code --verbose}. */
class BenchCommandTest {
    private static JsonNode bench(String... extra) throws Exception {
        Path model = SharedData.file("models/stories260K/stories260K.gguf");
        String[] args = new String[8 + extra.length];
        System.arraycopy(new String[] {"--model", model.toString(), "--prefill", "8", "--decode", "4", "--json", "--reps"}, 0, args, 0, 8);
        System.arraycopy(extra, 0, args, 8, extra.length);
        PrintStream stdout = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            assertThat(new BenchCommand().run(args)).isZero();
        } finally {
            System.setOut(stdout);
        }
        return new ObjectMapper().readTree(bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void jsonHasTheSpeedsAndSaysWhetherTheWeightsWereMapped() throws Exception {
        JsonNode mapped = bench("1", "--threads", "1", "--kernels", "vector");
        JsonNode read = bench("1", "--threads", "1", "--kernels", "vector", "--no-mmap");
        for (JsonNode j : new JsonNode[] {mapped, read}) {
            assertThat(j.get("prefill_tok_s").asDouble()).isPositive();
            assertThat(j.get("decode_tok_s").asDouble()).isPositive();
            assertThat(j.get("kernels").asText()).isEqualTo("vector");
            assertThat(j.get("threads").asInt()).isEqualTo(1);
        }
        assertThat(mapped.get("mmap").asBoolean()).isTrue();
        assertThat(read.get("mmap").asBoolean()).isFalse();
        assertThat(mapped.get("depth").asInt()).isZero();
    }

    @Test
    void depthCachesTokensFirstAndIsReported() throws Exception {
        // 40 cached + 8 prefilled fill a 48-token context exactly: every run must start back at the depth
        // (truncate(40) also fails unless the 40 tokens are in the cache)
        JsonNode j = bench("1", "--threads", "1", "--ctx", "48", "--depth", "40");
        assertThat(j.get("depth").asInt()).isEqualTo(40);
        assertThat(j.get("prefill_tok_s").asDouble()).isPositive();
        assertThat(j.get("decode_tok_s").asDouble()).isPositive();
    }

    @Test
    void depthPastTheContextIsAUsageErrorNamingIt() {
        assertThatThrownBy(() -> bench("1", "--threads", "1", "--ctx", "64", "--depth", "60"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("--depth 60")
                .hasMessageContaining("context of 64");
    }

    @Test
    void verbosePrintsEveryRunOnStderrAndTheJsonGivesTheirMedian() throws Exception {
        PrintStream stderr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        JsonNode j;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            j = bench("3", "--threads", "1", "--verbose");
        } finally {
            System.setErr(stderr);
        }
        String log = err.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("prefill warm-up: ", "prefill run 3: ", "decode warm-up: ", "decode run 3: ")
                .doesNotContain("run 4: ");
        for (String phase : new String[] {"prefill", "decode"}) {
            double[] runs = log.lines().filter(l -> l.startsWith(phase + " run "))
                    .mapToDouble(l -> Double.parseDouble(l.replaceAll(".*: ([0-9.]+) tok/s.*", "$1"))).sorted().toArray();
            assertThat(runs).hasSize(3);
            // and what the JVM allocated in each: a figure, not negative (HotSpot counts per-thread allocation)
            assertThat(log.lines().filter(l -> l.startsWith(phase + " run ")))
                    .allSatisfy(l -> assertThat(l).matches(".*: [0-9.]+ tok/s, [0-9]+\\.[0-9] MB allocated"));
            // the runs are printed to two decimals
            assertThat(j.get(phase + "_tok_s").asDouble()).isCloseTo(runs[1], org.assertj.core.data.Offset.offset(0.006));
        }
    }
}
