package dev.llamaj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamaj.chat.Cancellation;
import dev.llamaj.chat.ChatMessage;
import dev.llamaj.chat.ChatSession;
import dev.llamaj.chat.ControlTagException;
import dev.llamaj.chat.Llama2ChatTemplate;
import dev.llamaj.chat.Reply;
import dev.llamaj.core.ContextOverflowException;
import dev.llamaj.core.Model;
import dev.llamaj.core.StopReason;
import dev.llamaj.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code llama chat}: an interactive Llama 2 chat on stdin/stdout (one user message per line, so
 * it can be piped), or, with {@code --print-prompt-ids}, the prompt ids of a dialog file.
 */
final class ChatCommand implements Main.Command {
    private static final Set<String> VALUED = Set.of("--model", "--tokenizer", "--system", "-n", "--temperature",
            "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--seed", "--kernels", "--threads", "--ctx",
            "--kv-cache", "--dialog");
    private static final Set<String> FLAGS = Set.of("--print-prompt-ids", "--allow-control-tags", "--stats", "--no-mmap");

    @Override
    public String summary() {
        return "chat with a Llama 2 chat model: --model FILE [--system S] [-n N] [sampling]";
    }

    @Override
    public int run(String[] argv) throws Exception {
        if (argv.length > 0 && (argv[0].equals("--help") || argv[0].equals("-h"))) {
            System.out.println("""
                    usage: llama chat --model FILE [--system S] [-n MAX_TOKENS] [--temperature T] [--top-k K]
                             [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [--kernels NAME]
                             [--threads N] [--ctx N] [--kv-cache f16|f32] [--no-mmap] [--allow-control-tags] [--stats]
                           llama chat (--tokenizer FILE | --model FILE) --dialog F.json --print-prompt-ids
                             (--tokenizer: a tokenizer.model or a .gguf; only the vocabulary is read)
                      One user message per line on stdin; replies stream to stdout. /reset clears the
                      history (the system prompt stays), /exit or end of input ends. On a terminal,
                      Ctrl-C stops the reply being written. Sampling defaults
                      are Meta's chat reference: temperature 0.6, top-p 0.9 (top-k, min-p off);
                      --temperature 0 is greedy. --stats prints token counts and speed per turn to stderr.
                      --print-prompt-ids prints {"ids":[...]} for a dialog given as a JSON array of
                      {"role":"system|user|assistant","content":"..."} (or an object with "dialog").""");
            return 0;
        }
        Args a = Args.parse(argv, VALUED, FLAGS);
        if (a.flag("--print-prompt-ids") || a.has("--dialog")) {
            return printPromptIds(a);
        }
        if (a.has("--tokenizer")) {
            throw new UsageException("--tokenizer is only for --print-prompt-ids; a chat needs --model");
        }
        try (Model model = ModelOptions.load(a);
             ChatSession chat = session(model, a).build()) {
            return converse(chat, model, a.flag("--stats"));
        }
    }

    private static ChatSession.Builder session(Model model, Args a) {
        ChatSession.Builder b = ChatSession.builder(model).allowControlTags(a.flag("--allow-control-tags"));
        if (a.has("--system")) {
            b.systemPrompt(a.required("--system"));
        }
        if (a.has("-n")) {
            b.maxTokens(positive(a, "-n"));
        }
        if (a.has("--temperature")) {
            b.temperature(a.number("--temperature", 0.6f));
        }
        if (a.has("--top-k")) {
            b.topK(a.integer("--top-k", 0));
        }
        if (a.has("--top-p")) {
            b.topP(a.number("--top-p", 0.9f));
        }
        if (a.has("--min-p")) {
            b.minP(a.number("--min-p", 0));
        }
        if (a.has("--repeat-penalty")) {
            b.repeatPenalty(a.number("--repeat-penalty", 1));
        }
        if (a.has("--seed")) {
            b.seed(a.longValue("--seed", 0));
        }
        return b;
    }

    private static int positive(Args a, String name) {
        int n = a.integer(name, 1);
        if (n < 1) {
            throw new UsageException(name + " expects a positive integer, got " + n);
        }
        return n;
    }

    /** Reads user lines until EOF or /exit; returns 1 if any turn failed, else 0. */
    private static int converse(ChatSession chat, Model model, boolean stats) throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        boolean interactive = System.console() != null && System.console().isTerminal();
        if (interactive) {
            System.err.println("chatting with " + model.path().getFileName() + " (" + model.kernels() + " kernels, context "
                    + chat.contextLength() + "); /reset clears the history, /exit or Ctrl-D ends");
        }
        AtomicReference<Cancellation> running = new AtomicReference<>();
        if (interactive) {
            stopRepliesOnInterrupt(running);
        }
        int status = 0;
        while (true) {
            if (interactive) {
                out.print("> ");
            }
            String line = in.readLine();
            if (line == null || line.strip().equals("/exit")) {
                return status;
            }
            if (line.strip().equals("/reset")) {
                chat.reset();
                System.err.println("(history cleared)");
                continue;
            }
            if (line.isBlank()) {
                continue;
            }
            Cancellation cancellation = new Cancellation();
            running.set(cancellation);
            try {
                Reply r = chat.chat(line, piece -> out.print(piece), cancellation);
                out.println();
                if (r.stopReason() == StopReason.CANCELLED) {
                    System.err.println("(stopped)");
                }
                if (stats || interactive && !r.dropped().isEmpty()) {
                    System.err.println(describe(r));
                }
            } catch (ControlTagException | ContextOverflowException e) {
                out.println();
                System.err.println("llama chat: " + e.getMessage());
                status = 1;
            } finally {
                running.set(null);
            }
        }
    }

    /**
     * On a terminal, Ctrl-C stops the reply being written (the chat goes on) and, between
     * replies, ends the program. sun.misc.Signal (module jdk.unsupported) is the JDK's only hook
     * for this; it is reached reflectively so the build stays free of internal-API warnings, and
     * where it is missing or refused (for example under -Xrs) Ctrl-C keeps its usual meaning.
     */
    private static void stopRepliesOnInterrupt(AtomicReference<Cancellation> running) {
        Runnable onInterrupt = () -> {
            Cancellation c = running.get();
            if (c != null) {
                c.cancel();
            } else {
                System.out.println();
                System.exit(130);
            }
        };
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(handlerType.getClassLoader(), new Class<?>[] {handlerType},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            onInterrupt.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "Ctrl-C stops the reply";
                    });
            signal.getMethod("handle", signal, handlerType)
                    .invoke(null, signal.getConstructor(String.class).newInstance("INT"), handler);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // keep the default Ctrl-C
        }
    }

    private static String describe(Reply r) {
        String s = String.format("[%d prompt tokens: %d reused, %d prefilled (%.1f tok/s); %d generated (%.1f tok/s); stop: %s",
                r.promptTokens(), r.reusedTokens(), r.prefilledTokens(), r.prefillTokensPerSecond(), r.generatedTokens(),
                r.decodeTokensPerSecond(), r.stopReason().name().toLowerCase());
        return s + (r.dropped().isEmpty() ? "]" : "; dropped the oldest " + r.dropped().size() + " messages]");
    }

    private static int printPromptIds(Args a) throws IOException {
        if (!a.flag("--print-prompt-ids") || !a.has("--dialog")) {
            throw new UsageException("--dialog and --print-prompt-ids go together");
        }
        if (a.has("--tokenizer") == a.has("--model")) {
            throw new UsageException("give exactly one of --tokenizer or --model with --print-prompt-ids");
        }
        List<ChatMessage> dialog = readDialog(a.existingFile("--dialog"));
        int[] ids;
        if (a.has("--tokenizer")) {
            Path file = a.existingFile("--tokenizer");
            // a .gguf (vocabulary-only or a whole model) or a sentencepiece tokenizer.model
            ids = render(file.toString().endsWith(".gguf") ? Model.loadTokenizer(file) : Tokenizer.load(file), dialog, a);
        } else {
            ids = render(Model.loadTokenizer(a.existingFile("--model")), dialog, a); // the vocabulary, not the weights
        }
        StringJoiner j = new StringJoiner(",", "{\"ids\":[", "]}");
        for (int id : ids) {
            j.add(Integer.toString(id));
        }
        System.out.println(j);
        return 0;
    }

    private static int[] render(Tokenizer tokenizer, List<ChatMessage> dialog, Args a) {
        return new Llama2ChatTemplate(tokenizer, a.flag("--allow-control-tags")).render(dialog);
    }

    /** A JSON array of {role, content}, or an object whose "dialog" is one (a dialogs.jsonl line). */
    static List<ChatMessage> readDialog(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode array = root != null && root.isObject() ? root.get("dialog") : root;
        if (array == null || !array.isArray()) {
            throw new UsageException(file + ": expected a JSON array of {\"role\",\"content\"} objects"
                    + " (or an object with a \"dialog\" array)");
        }
        List<ChatMessage> dialog = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode m = array.get(i);
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || !role.isTextual() || content == null || !content.isTextual()) {
                throw new UsageException(file + ": message " + i + " needs a string \"role\" and a string \"content\"");
            }
            try {
                dialog.add(new ChatMessage(ChatMessage.Role.fromJsonName(role.asText()), content.asText()));
            } catch (IllegalArgumentException e) {
                throw new UsageException(file + ": message " + i + ": " + e.getMessage());
            }
        }
        return dialog;
    }
}
