package dev.llamaj.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.KernelProviders;
import dev.llamaj.testdata.SharedData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Free-running greedy generation on the real stories260K model reproduces llama.cpp's tokens for
 * every golden prompt, and llama2.c's published 256-token sample from BOS.
 */
class GreedyGenerationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** llama2.c's doc/stories260K.md sample: greedy from BOS at position 0 (../shared/models/README.md). */
    static final int[] LLAMA2C_SAMPLE = {
        403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
        410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352,
        266, 268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415,
        426, 13, 438, 310, 439, 419, 357, 336, 432, 313, 438, 310, 432, 278, 316, 439, 419, 298, 414, 267,
        265, 282, 295, 433, 426, 436, 317, 286, 296, 418, 269, 279, 292, 416, 439, 413, 409, 416, 327, 263,
        415, 294, 267, 400, 426, 338, 336, 432, 313, 442, 391, 267, 337, 335, 364, 420, 268, 388, 432, 398,
        359, 280, 303, 439, 413, 272, 417, 264, 312, 426, 436, 13, 438, 310, 286, 296, 418, 269, 279, 292,
        416, 439, 413, 409, 416, 327, 263, 415, 294, 267, 400, 426, 338, 336, 432, 313, 442, 439, 423, 262,
        304, 420, 422, 432, 317, 426, 359, 279, 292, 416, 439, 413, 409, 416, 327, 263, 415, 294, 267, 400,
        426, 436, 13, 438, 310, 279, 292, 416, 439, 413, 391, 267, 281, 421, 427, 311, 357, 432, 384, 358,
        336, 432, 313, 442, 439, 423, 262, 304, 420, 422, 432, 357, 426, 359, 279, 292, 416, 439, 413, 409,
        416, 327, 263, 415, 294, 267, 400, 426, 436, 320, 285, 357, 336, 432, 313, 455, 289, 439, 413, 263,
        304, 420, 422, 432, 317, 426, 410, 448, 411, 280, 303, 281, 421, 427, 364, 426};

    static Stream<Arguments> cases() throws IOException {
        Path root = SharedData.root();
        List<Arguments> args = new ArrayList<>();
        for (KernelProvider p : KernelProviders.all()) {
            if (!p.availability().available()) {
                continue;
            }
            for (String name : List.of("00-stories260K.json", "01-stories260K.json", "02-stories260K.json",
                    "03-stories260K.json")) {
                args.add(Arguments.of(p.name(), name));
            }
        }
        assertThat(root).exists();
        return args.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void greedyContinuationEqualsLlamaCpp(String kernels, String golden) throws IOException {
        JsonNode g = JSON.readTree(SharedData.file("golden/" + golden).toFile());
        int[] tokens = GoldenParityTest.ints(g.get("tokens"));
        int nPrompt = g.get("n_prompt").asInt();
        try (Model model = Model.builder(SharedData.file(g.get("model").asText())).kernels(kernels).threads(2).load();
             Session session = model.newSession()) {
            int[] prompt = Arrays.copyOf(tokens, nPrompt);
            int[] expected = Arrays.copyOfRange(tokens, nPrompt, tokens.length);
            Generation gen = Generator.generate(session, prompt,
                    GenerationOptions.builder().maxTokens(expected.length).build(), null, null);
            assertThat(gen.ids()).containsExactly(expected);
            assertThat(gen.stopReason()).isEqualTo(g.get("stopped_at_eos").asBoolean() ? StopReason.EOS : StopReason.LENGTH);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void reproducesLlama2cPublishedSampleFromBos(String kernels) {
        try (Model model = Model.builder(SharedData.file("models/stories260K/stories260K.gguf")).kernels(kernels)
                .threads(2).load();
             Session session = model.newSession()) {
            // llama2.c feeds BOS at position 0 and prints 256 tokens, the first being the one after BOS
            Generation gen = Generator.generate(session, new int[] {1},
                    GenerationOptions.builder().maxTokens(LLAMA2C_SAMPLE.length).build(), null, null);
            assertThat(gen.ids()).containsExactly(LLAMA2C_SAMPLE);
            assertThat(gen.text()).startsWith("Once upon a time, there was a little girl named Lily.");
        }
    }

    static Stream<String> providers() {
        SharedData.root();
        return KernelProviders.all().stream().filter(p -> p.availability().available()).map(KernelProvider::name);
    }
}
