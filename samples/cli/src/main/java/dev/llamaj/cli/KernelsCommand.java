package dev.llamaj.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamaj.core.kernels.Availability;
import dev.llamaj.core.kernels.KernelProvider;
import dev.llamaj.core.kernels.KernelProviders;
import java.util.List;
import java.util.Set;

/** {@code llama kernels}: every provider found, its rank, and whether it can run here (and why not). */
final class KernelsCommand implements Main.Command {
    @Override
    public String summary() {
        return "list kernel providers, their availability and why [--json]";
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = Args.parse(argv, Set.of(), Set.of("--json"));
        List<KernelProvider> providers = KernelProviders.all();
        String chosen = null;
        for (KernelProvider p : providers) {
            if (p.availability().available()) {
                chosen = p.name();
                break;
            }
        }
        if (a.flag("--json")) {
            ArrayNode arr = GenerateCommand.Json.MAPPER.createArrayNode();
            for (KernelProvider p : providers) {
                Availability av = p.availability();
                ObjectNode o = arr.addObject();
                o.put("name", p.name());
                o.put("rank", p.rank());
                o.put("available", av.available());
                o.put("reason", av.reason());
                o.put("default", p.name().equals(chosen));
            }
            System.out.println(GenerateCommand.Json.MAPPER.writeValueAsString(arr));
            return 0;
        }
        for (KernelProvider p : providers) {
            Availability av = p.availability();
            System.out.printf("%-7s rank %3d  %-11s %s%s%n", p.name(), p.rank(), av.available() ? "available" : "unavailable",
                    av.reason(), p.name().equals(chosen) ? "  (default)" : "");
        }
        return 0;
    }
}
