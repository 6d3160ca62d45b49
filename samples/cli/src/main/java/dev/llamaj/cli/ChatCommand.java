package dev.llamaj.cli;

/** Placeholder until this command lands. */
final class ChatCommand implements Main.Command {
    @Override
    public int run(String[] args) {
        System.err.println("not implemented yet");
        return 2;
    }

    @Override
    public String summary() {
        return "chat with a Llama 2 chat model";
    }
}
