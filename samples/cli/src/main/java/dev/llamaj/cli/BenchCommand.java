package dev.llamaj.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamaj.core.Model;
import dev.llamaj.core.Session;
import dev.llamaj.core.sampling.Sampler;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Set;

/**
 * {@code llama bench}: prefill and decode speed the way llama.cpp's llama-bench (and the native
 * reference harness in ../shared/tools/ref) measure them, so the two can be run side by side:
 * prefill = P tokens in one batch from an empty cache; decode = D single-token steps from BOS at
 * position 0 (both after {@code --depth} cached tokens when given), each followed by a greedy
 * argmax; medians over R runs after a warm-up that lasts
 * until the JIT has finished no compilation for a second (at least one run, at most ten seconds):
 * a model with 256-wide layers runs a prefill in milliseconds, and a fixed second of them left the
 * vector kernels partly in the Vector API's slow non-compiled fallback, measuring 5× too slow.
 */
final class BenchCommand implements Main.Command {
    private static final Set<String> VALUED = Set.of("--model", "--prefill", "--decode", "--threads", "--kernels",
            "--reps", "--ctx", "--kv-cache", "--seed", "--depth");
    private static final Set<String> FLAGS = Set.of("--json", "--no-mmap", "--verbose");
    private static final long WARMUP_NANOS = 1_000_000_000L;
    private static final long WARMUP_LIMIT_NANOS = 10_000_000_000L;

    @Override
    public String summary() {
        return "prefill/decode tok/s: --model FILE [--prefill 128] [--decode 64] [--threads N] [--reps R] [--json]";
    }

    @Override
    public int run(String[] argv) throws Exception {
        if (argv.length > 0 && (argv[0].equals("--help") || argv[0].equals("-h"))) {
            System.out.println("""
                    usage: llama bench --model FILE [--prefill 128] [--decode 64] [--threads N] [--kernels NAME]
                             [--reps 5] [--depth 0] [--kv-cache f16|f32] [--seed 1234] [--no-mmap] [--verbose] [--json]
                      prints {"prefill_tok_s":X,"decode_tok_s":Y,"kernels":"...","threads":N} with --json
                      --depth N puts N tokens in the cache first (once, untimed), so both are measured
                      after them, as llama-bench's -d does: attention over a long history.
                      --no-mmap reads the weights into memory of their own at load, as llama.cpp does
                      for the formats it repacks (Q4_0, Q4_K, ...) and for all with its --no-mmap.
                      --verbose prints every run's tok/s, warm-up runs too, to stderr, with the MB the JVM
                      allocated in each timed run (a few: normal; gigabytes: a kernel C2 left boxing, see the README).""");
            return 0;
        }
        Args a = Args.parse(argv, VALUED, FLAGS);
        int prefill = a.integer("--prefill", 128);
        int decode = a.integer("--decode", 64);
        int reps = a.integer("--reps", 5);
        int depth = a.integer("--depth", 0);
        boolean verbose = a.flag("--verbose");
        if (prefill < 0 || decode < 0 || reps < 1 || depth < 0) {
            throw new UsageException("--prefill, --decode and --depth must be >= 0 and --reps >= 1");
        }
        try (Model model = ModelOptions.load(a);
             Session session = model.newSession()) {
            int bos = model.tokenizer().bosId();
            int seed = a.integer("--seed", 1234);
            if (depth + Math.max(prefill, decode) > session.contextLength()) {
                throw new UsageException("--depth " + depth + " plus " + Math.max(prefill, decode) + " tokens exceed the context of "
                        + session.contextLength() + " (--ctx)");
            }
            if (depth > 0) {
                session.prefill(pseudoRandomTokens(depth, model.config().vocabSize(), seed + 1, bos));
            }
            // past the depth the prefill continues a history: no BOS of its own
            int[] tokens = pseudoRandomTokens(prefill, model.config().vocabSize(), seed, depth > 0 ? -1 : bos);
            double prefillTps = prefill == 0 ? 0 : median(reps, verbose ? "prefill" : null, () -> {
                session.truncate(depth);
                long t0 = System.nanoTime();
                session.prefill(tokens);
                return prefill * 1e9 / (System.nanoTime() - t0);
            });
            double decodeTps = decode == 0 ? 0 : median(reps, verbose ? "decode" : null, () -> {
                session.truncate(depth);
                int tok = bos;
                long t0 = System.nanoTime();
                for (int i = 0; i < decode; i++) {
                    tok = Sampler.argmax(session.decode(tok));
                }
                return decode * 1e9 / (System.nanoTime() - t0);
            });
            if (a.flag("--json")) {
                ObjectNode o = GenerateCommand.Json.MAPPER.createObjectNode();
                o.put("prefill_tok_s", prefillTps);
                o.put("decode_tok_s", decodeTps);
                o.put("kernels", model.kernels());
                o.put("threads", model.threads());
                o.put("prefill_tokens", prefill);
                o.put("decode_tokens", decode);
                o.put("reps", reps);
                o.put("depth", depth);
                o.put("mmap", model.gguf().mapped());
                o.put("model", model.path().toString());
                System.out.println(GenerateCommand.Json.MAPPER.writeValueAsString(o));
            } else {
                System.out.printf("%s: kernels %s, %d threads%s%s: prefill %d tok: %.2f tok/s, decode %d tok: %.2f tok/s (median of %d)%n",
                        model.path().getFileName(), model.kernels(), model.threads(), model.gguf().mapped() ? "" : ", no mmap",
                        depth > 0 ? ", after " + depth + " cached tokens" : "", prefill, prefillTps, decode, decodeTps, reps);
            }
        }
        return 0;
    }

    /** BOS, then the reference harness's LCG: s = s*1664525+1013904223 mod 2^32; id = 3 + ((s >>> 8) mod (vocab-3)). */
    static int[] pseudoRandomTokens(int n, int vocab, int seed, int bos) {
        int[] t = new int[n];
        int k = 0;
        if (n > 0 && bos >= 0) {
            t[k++] = bos;
        }
        int s = seed;
        while (k < n) {
            s = s * 1664525 + 1013904223;
            t[k++] = 3 + (int) (((s & 0xFFFFFFFFL) >>> 8) % (vocab - 3));
        }
        return t;
    }

    /**
     * Bytes the JVM's threads have allocated so far, or -1 where the JVM cannot say. A run that
     * allocates hundreds of MB is a kernel whose vectors C2 failed to keep in registers: each
     * Vector API operation it left uncompiled allocates its result (on this Xeon such a process
     * decoded Q4_K_M at half speed, with a young GC every 130 ms).
     */
    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()) {
            return threads.getTotalThreadAllocatedBytes();
        }
        return -1;
    }

    private interface Run {
        double tokensPerSecond();
    }

    /** Runs {@code run} through the warm-up, then {@code reps} times; each run's figure goes to stderr under {@code label} when it is not null. */
    private static double median(int reps, String label, Run run) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean watchJit = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        long compiled = watchJit ? jit.getTotalCompilationTime() : 0;
        long quietSince = start;
        while (true) {
            double warm = run.tokensPerSecond();
            if (label != null) {
                System.err.printf(java.util.Locale.ROOT, "%s warm-up: %.2f tok/s%n", label, warm);
            }
            long now = System.nanoTime();
            long nowCompiled = watchJit ? jit.getTotalCompilationTime() : compiled;
            if (nowCompiled != compiled) {
                compiled = nowCompiled;
                quietSince = now;
            }
            if (now - start >= WARMUP_LIMIT_NANOS || now - quietSince >= WARMUP_NANOS) {
                break;
            }
        }
        double[] r = new double[reps];
        for (int i = 0; i < reps; i++) {
            long before = allocatedBytes();
            r[i] = run.tokensPerSecond();
            if (label != null) {
                System.err.printf(java.util.Locale.ROOT, "%s run %d: %.2f tok/s%s%n", label, i + 1, r[i],
                        before < 0 ? "" : String.format(java.util.Locale.ROOT, ", %.1f MB allocated", (allocatedBytes() - before) / 1e6));
            }
        }
        Arrays.sort(r);
        return reps % 2 == 1 ? r[reps / 2] : (r[reps / 2 - 1] + r[reps / 2]) / 2;
    }
}
