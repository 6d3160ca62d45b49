package dev.llamaj.cli;

/** Placeholder until this command lands. */
final class InspectCommand implements Main.Command {
    @Override
    public int run(String[] args) {
        System.err.println("not implemented yet");
        return 2;
    }

    @Override
    public String summary() {
        return "a GGUF file's metadata and tensors";
    }
}
