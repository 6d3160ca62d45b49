package dev.llamaj.samples.embedded;

import dev.llamaj.chat.ChatSession;
import dev.llamaj.chat.Reply;
import dev.llamaj.core.Model;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The smallest useful llamaj application: load a Llama 2 chat GGUF, ask one question, stream the
 * answer. Usage: {@code java ... -jar target/embedded-app.jar MODEL.gguf [message...]}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length < 1 || !Files.isRegularFile(Path.of(args[0]))) {
            System.err.println("usage: embedded-app MODEL.gguf [message...]   (MODEL.gguf: a Llama 2 chat model, e.g."
                    + " llama-2-7b-chat.Q4_0.gguf)");
            System.exit(2);
        }
        String message = args.length > 1 ? String.join(" ", java.util.Arrays.copyOfRange(args, 1, args.length))
                : "In one sentence: what is a llama?";

        try (Model model = Model.load(Path.of(args[0]));
             ChatSession chat = ChatSession.builder(model)
                     .systemPrompt("You are a helpful, concise assistant.")
                     .maxTokens(200)
                     .build()) {
            System.out.println("> " + message);
            Reply reply = chat.chat(message, System.out::print); // streams the answer as it is generated
            System.out.println();
            System.err.printf("[%s kernels; %d prompt tokens, %d generated at %.1f tok/s; stop: %s]%n",
                    model.kernels(), reply.promptTokens(), reply.generatedTokens(), reply.decodeTokensPerSecond(),
                    reply.stopReason());
        }
    }
}
