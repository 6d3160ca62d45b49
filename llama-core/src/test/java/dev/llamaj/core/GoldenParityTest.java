package dev.llamaj.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.KernelProviders;
import dev.llamaj.core.kernels.KvCacheType;
import dev.llamaj.testdata.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Teacher-forced parity with llama.cpp on every golden of ../shared/golden: at every position the
 * logits of the 20 ids llama.cpp ranked highest must agree within the golden's tolerance, and the
 * argmax must agree wherever llama.cpp's top-1/top-2 margin exceeds it. Runs for every available
 * kernel provider with an F32 KV cache (as the goldens were made).
 *
 * <p>Tiers (../shared/golden/README.md): every provider must reach the exact-math tier
 * ({@code tolerance}); the largest difference and whether the llama.cpp-numerics tier
 * ({@code tolerance_matched}) is reached are printed per golden and written to
 * {@code target/golden-parity.txt}.
 */
class GoldenParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> REPORT = new ArrayList<>();

    /**
     * The tier each golden reaches is measured and reported, not asserted beyond the exact-math
     * tier: where an engine rounds activations as llama.cpp does (vector), both agree to ~1e-6
     * until one activation lands within float-summation noise of a rounding boundary; the two
     * then round it differently and later positions inherit the difference through the KV cache
     * (../shared/golden/README.md). Which golden meets such a boundary moves with any change of
     * summation order, so a per-golden guard would fail on harmless changes.
     */
    static Stream<Arguments> goldens() throws IOException {
        Path root = SharedData.root();
        JsonNode index = JSON.readTree(root.resolve("golden/index.json").toFile());
        List<Arguments> args = new ArrayList<>();
        for (KernelProvider p : KernelProviders.all()) {
            if (!p.availability().available()) {
                continue;
            }
            for (JsonNode entry : index) {
                args.add(Arguments.of(p.name(), entry.get(0).asText()));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("goldens")
    void teacherForcedLogitsMatchLlamaCpp(String kernels, String goldenName) throws IOException {
        Path root = SharedData.root();
        JsonNode g = JSON.readTree(root.resolve("golden").resolve(goldenName).toFile());
        Path modelFile = root.resolve(g.get("model").asText());
        double tol = g.get("tolerance").asDouble();
        double tolMatched = g.get("tolerance_matched").asDouble();
        String format = g.get("format").asText();
        int[] tokens = ints(g.get("tokens"));
        try (Model model = Model.builder(modelFile).kernels(kernels).threads(2).kvCacheType(KvCacheType.F32)
                .contextLength(Math.max(tokens.length, 64)).load();
             Session session = model.newSession()) {
            if (!g.get("prompt").isNull()) {
                int nPrompt = g.get("n_prompt").asInt();
                int[] prompt = model.tokenizer().encode(g.get("prompt").asText(), true, false);
                assertThat(prompt).as("prompt ids as llama.cpp tokenized them").containsExactly(
                        java.util.Arrays.copyOf(tokens, nPrompt));
            }
            float[][] logits = session.prefillAll(tokens);
            double maxDiff = 0;
            int worstPos = -1;
            List<String> failures = new ArrayList<>();
            for (JsonNode p : g.get("positions")) {
                int pos = p.get("pos").asInt();
                JsonNode top = p.get("top");
                for (JsonNode e : top) {
                    int id = e.get(0).asInt();
                    double diff = Math.abs(logits[pos][id] - e.get(1).asDouble());
                    if (diff > maxDiff) {
                        maxDiff = diff;
                        worstPos = pos;
                    }
                }
                double margin = p.get("margin").asDouble();
                int expectedTop = top.get(0).get(0).asInt();
                int argmax = dev.llamaj.core.sampling.Sampler.argmax(logits[pos]);
                if (margin > tol && argmax != expectedTop) {
                    failures.add("pos " + pos + ": argmax " + argmax + " but llama.cpp's is " + expectedTop
                            + " (margin " + margin + ")");
                }
            }
            String tier = maxDiff <= tolMatched ? "llama.cpp-numerics" : maxDiff <= tol ? "exact-math" : "NONE";
            String line = String.format(Locale.ROOT, "%-7s %-26s %-7s max |diff| %.2e at pos %d -> tier %s",
                    kernels, goldenName, format, maxDiff, worstPos, tier);
            synchronized (REPORT) {
                REPORT.add(line);
            }
            if (!failures.isEmpty()) {
                fail(line + "\n" + String.join("\n", failures));
            }
            assertThat(maxDiff).as(line).isLessThanOrEqualTo(tol);
        }
    }

    static int[] ints(JsonNode array) {
        int[] a = new int[array.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = array.get(i).asInt();
        }
        return a;
    }

    @AfterAll
    static void report() throws IOException {
        if (!REPORT.isEmpty()) {
            REPORT.sort(null);
            Path out = Path.of("target", "golden-parity.txt");
            Files.createDirectories(out.getParent());
            Files.write(out, REPORT);
            REPORT.forEach(System.out::println);
        }
    }
}
