package dev.llamaj.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** The {@code llama} command-line tool: dispatches to one class per subcommand. */
public final class Main {
    /** A subcommand: runs with its arguments and returns the exit status. */
    public interface Command {
        int run(String[] args) throws Exception;

        String summary();
    }

    private static final Map<String, Supplier<Command>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("tokenize", TokenizeCommand::new);
        COMMANDS.put("generate", GenerateCommand::new);
        COMMANDS.put("chat", ChatCommand::new);
        COMMANDS.put("bench", BenchCommand::new);
        COMMANDS.put("kernels", KernelsCommand::new);
        COMMANDS.put("inspect", InspectCommand::new);
    }

    private Main() {
    }

    public static void main(String[] args) {
        // library log records (e.g. a kernel fallback) as one line each on stderr
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "llamaj %4$s: %5$s%6$s%n");
        }
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            usage(System.out);
            return args.length == 0 ? 2 : 0;
        }
        Supplier<Command> command = COMMANDS.get(args[0]);
        if (command == null) {
            System.err.println("llama: unknown command '" + args[0] + "'");
            usage(System.err);
            return 2;
        }
        try {
            return command.get().run(Arrays.copyOfRange(args, 1, args.length));
        } catch (UsageException e) {
            System.err.println("llama " + args[0] + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("llama " + args[0] + ": " + e.getMessage());
            if (Boolean.getBoolean("llamaj.debug")) {
                e.printStackTrace();
            }
            return 1;
        }
    }

    private static void usage(PrintStream out) {
        out.println("usage: samples/llama <command> [options]   (samples/llama <command> --help)");
        COMMANDS.forEach((name, c) -> out.printf("  %-9s %s%n", name, c.get().summary()));
    }
}
