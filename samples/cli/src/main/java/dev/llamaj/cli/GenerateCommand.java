package dev.llamaj.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamaj.core.Generation;
import dev.llamaj.core.GenerationOptions;
import dev.llamaj.core.Generator;
import dev.llamaj.core.Model;
import dev.llamaj.core.Session;
import dev.llamaj.core.sampling.SamplingOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code llama generate}: text from a prompt, streamed or as one JSON object. */
final class GenerateCommand implements Main.Command {
    private static final Set<String> VALUED = Set.of("--model", "--prompt", "--tokens", "-n", "--temperature",
            "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--seed", "--threads", "--kernels", "--ctx",
            "--top-logits", "--teacher-force", "--kv-cache");
    private static final Set<String> FLAGS = Set.of("--json", "--no-mmap");

    @Override
    public String summary() {
        return "generate text: --model FILE (--prompt S | --tokens 1,2,3) [-n N] [sampling] [--json]";
    }

    @Override
    public int run(String[] argv) throws Exception {
        if (argv.length > 0 && (argv[0].equals("--help") || argv[0].equals("-h"))) {
            System.out.println("""
                    usage: llama generate --model FILE (--prompt S | --tokens 1,2,3) [-n N] [--temperature T]
                             [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [--threads N]
                             [--kernels NAME] [--ctx N] [--kv-cache f16|f32] [--no-mmap] [--top-logits K] [--json]
                             [--teacher-force 1,2,3 (with --json)]
                      --temperature 0 is greedy. --json prints one object:
                      {"prompt_ids":[..],"ids":[..],"text":"..","top_logits":[[{"id":I,"logit":L},..],..],
                       "prefill_tok_s":X,"decode_tok_s":Y}""");
            return 0;
        }
        Args a = Args.parse(argv, VALUED, FLAGS);
        if (a.has("--prompt") == a.has("--tokens")) {
            throw new UsageException("give exactly one of --prompt or --tokens");
        }
        if (a.has("--teacher-force") && !a.flag("--json")) {
            throw new UsageException("--teacher-force needs --json");
        }
        int topLogits = a.integer("--top-logits", a.has("--teacher-force") ? 20 : 0);
        long loadStart = System.nanoTime();
        try (Model model = ModelOptions.load(a);
             Session session = model.newSession()) {
            double loadMs = (System.nanoTime() - loadStart) / 1e6;
            int[] prompt = a.has("--tokens") ? a.ids("--tokens")
                    : model.tokenizer().encode(a.required("--prompt"), model.tokenizer().addBos(), false);
            if (a.has("--teacher-force")) {
                return teacherForce(model, session, prompt, a.ids("--teacher-force"), topLogits);
            }
            GenerationOptions options = GenerationOptions.builder()
                    .sampling(sampling(a))
                    .maxTokens(a.integer("-n", 256))
                    .build();
            List<float[]> drawnFrom = new ArrayList<>();
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            boolean json = a.flag("--json");
            Generation g = Generator.generate(session, prompt, options,
                    json ? null : (id, text) -> out.print(text), null,
                    topLogits > 0 ? logits -> drawnFrom.add(logits.clone()) : null);
            if (json) {
                ObjectNode o = Json.MAPPER.createObjectNode();
                ids(o.putArray("prompt_ids"), prompt);
                ids(o.putArray("ids"), g.ids());
                o.put("text", g.text());
                ArrayNode tl = o.putArray("top_logits");
                for (float[] l : drawnFrom) {
                    Json.topLogits(tl.addArray(), l, topLogits);
                }
                o.put("stop_reason", g.stopReason().name().toLowerCase());
                o.put("prefill_tok_s", g.prefillTokensPerSecond());
                o.put("decode_tok_s", g.decodeTokensPerSecond());
                o.put("kernels", model.kernels());
                o.put("threads", model.threads());
                o.put("load_ms", loadMs);
                out.println(Json.MAPPER.writeValueAsString(o));
            } else {
                out.println();
                Runtime rt = Runtime.getRuntime();
                System.err.printf("[loaded in %.0f ms, heap in use %d MB]%n", loadMs, (rt.totalMemory() - rt.freeMemory()) >> 20);
                System.err.printf("[%d prompt tokens, %.1f tok/s prefill; %d generated, %.1f tok/s decode; %s; kernels %s, %d threads]%n",
                        prompt.length, g.prefillTokensPerSecond(), g.ids().length, g.decodeTokensPerSecond(),
                        g.stopReason().name().toLowerCase(), model.kernels(), model.threads());
            }
        }
        return 0;
    }

    /** Feeds the prompt then exactly {@code forced}; reports the distribution each forced id was drawn from. */
    private static int teacherForce(Model model, Session session, int[] prompt, int[] forced, int topLogits)
            throws Exception {
        long t0 = System.nanoTime();
        float[] afterPrompt = session.prefill(prompt);
        long prefill = System.nanoTime() - t0;
        long t1 = System.nanoTime();
        float[][] after = forced.length > 1
                ? session.prefillAll(java.util.Arrays.copyOf(forced, forced.length - 1)) : new float[0][];
        long rest = System.nanoTime() - t1;
        ObjectNode o = Json.MAPPER.createObjectNode();
        ids(o.putArray("prompt_ids"), prompt);
        ids(o.putArray("ids"), forced);
        o.put("text", model.tokenizer().decode(forced));
        ArrayNode tl = o.putArray("top_logits");
        Json.topLogits(tl.addArray(), afterPrompt, topLogits);
        for (float[] l : after) {
            Json.topLogits(tl.addArray(), l, topLogits);
        }
        o.put("prefill_tok_s", prompt.length * 1e9 / prefill);
        o.put("decode_tok_s", after.length == 0 ? 0 : after.length * 1e9 / rest);
        o.put("kernels", model.kernels());
        o.put("threads", model.threads());
        System.out.println(Json.MAPPER.writeValueAsString(o));
        return 0;
    }

    static SamplingOptions sampling(Args a) {
        SamplingOptions.Builder b = SamplingOptions.builder()
                .temperature(a.number("--temperature", 0.8f))
                .topK(a.integer("--top-k", 40))
                .topP(a.number("--top-p", 0.95f))
                .minP(a.number("--min-p", 0.05f))
                .repeatPenalty(a.number("--repeat-penalty", 1.0f));
        if (a.has("--seed")) {
            b.seed(a.longValue("--seed", 0));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static void ids(ArrayNode array, int[] ids) {
        for (int id : ids) {
            array.add(id);
        }
    }

    /** Shared JSON helpers. */
    static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();

        private Json() {
        }

        /** The k largest logits as {"id","logit"} objects, best first (ties: lower id first). */
        static void topLogits(ArrayNode into, float[] logits, int k) {
            Integer[] order = new Integer[logits.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (x, y) -> Float.compare(logits[y], logits[x]));
            for (int i = 0; i < Math.min(k, order.length); i++) {
                ObjectNode e = into.addObject();
                e.put("id", order[i]);
                e.put("logit", logits[order[i]]);
            }
        }
    }
}
