package dev.llamaj.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamaj.core.gguf.GgufFile;
import dev.llamaj.core.gguf.GgufTensorInfo;
import dev.llamaj.core.gguf.GgufValue;
import dev.llamaj.core.gguf.GgufValue.ArrayValue;
import dev.llamaj.core.gguf.GgufValue.BoolValue;
import dev.llamaj.core.gguf.GgufValue.FloatValue;
import dev.llamaj.core.gguf.GgufValue.IntegerValue;
import dev.llamaj.core.gguf.GgufValue.StringValue;
import dev.llamaj.core.gguf.GgufValueType;
import dev.llamaj.core.tensor.GgmlType;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@code llama inspect --model FILE [--json]}: a GGUF file's header, metadata (long arrays
 * summarized by type, length and first elements) and tensors (name, type, shape, offset, bytes).
 */
final class InspectCommand implements Main.Command {
    /** Arrays longer than this show only their first {@code SHOWN} elements. */
    private static final int SHOWN = 8;
    /** Longest string shown in full in the human-readable listing (chat templates run to kilobytes). */
    private static final int MAX_TEXT = 100;

    @Override
    public int run(String[] args) throws Exception {
        return run(args, System.out);
    }

    /** Runs with the listing going to {@code out} (tests capture it). */
    int run(String[] args, PrintStream out) throws Exception {
        Path model = null;
        boolean json = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model", "-m" -> {
                    if (i + 1 >= args.length) {
                        throw new UsageException("--model needs a file");
                    }
                    model = Path.of(args[++i]);
                }
                case "--json" -> json = true;
                case "--help", "-h" -> {
                    out.println("usage: samples/llama inspect --model FILE.gguf [--json]");
                    return 0;
                }
                default -> throw new UsageException("unknown option '" + args[i] + "' (usage: inspect --model FILE [--json])");
            }
        }
        if (model == null) {
            throw new UsageException("--model FILE is required");
        }
        try (GgufFile file = GgufFile.open(model)) {
            if (json) {
                ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                out.println(mapper.writeValueAsString(toJson(file)));
            } else {
                print(file, out);
            }
        }
        return 0;
    }

    @Override
    public String summary() {
        return "a GGUF file's metadata and tensors";
    }

    private static void print(GgufFile f, PrintStream out) {
        out.printf("file:        %s (%,d bytes)%n", f.path(), f.size());
        out.printf("GGUF:        version %d, alignment %d, tensor data at byte %,d%n", f.version(), f.alignment(),
                f.dataOffset());
        out.printf("contents:    %d metadata keys, %d tensors%s%n", f.metadata().size(), f.tensors().size(),
                typeCounts(f));
        out.println();
        out.println("metadata:");
        int width = f.metadata().keys().stream().mapToInt(String::length).max().orElse(0);
        f.metadata().asMap().forEach((key, value) -> out.printf("  %-" + width + "s  %-15s %s%n", key,
                typeName(value), text(value)));
        if (f.tensors().isEmpty()) {
            return;
        }
        out.println();
        out.println("tensors:");
        int nameWidth = f.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(0);
        out.printf("  %-" + nameWidth + "s  %-7s %-24s %15s %15s%n", "name", "type", "shape", "offset", "bytes");
        for (GgufTensorInfo t : f.tensors()) {
            out.printf("  %-" + nameWidth + "s  %-7s %-24s %,15d %,15d%n", t.name(), t.type(),
                    Arrays.toString(t.shape()), t.offset(), t.byteSize());
        }
    }

    private static String typeCounts(GgufFile f) {
        if (f.tensors().isEmpty()) {
            return "";
        }
        Map<GgmlType, Long> counts = f.tensors().stream()
                .collect(Collectors.groupingBy(GgufTensorInfo::type, TreeMap::new, Collectors.counting()));
        long bytes = f.tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
        return " (" + counts.entrySet().stream().map(e -> e.getValue() + " " + e.getKey())
                .collect(Collectors.joining(", ")) + String.format("; %,d bytes of tensor data)", bytes);
    }

    private static String typeName(GgufValue v) {
        return v instanceof ArrayValue a ? "ARRAY[" + a.elementType() + "]" : v.type().toString();
    }

    /** A value for a human: strings quoted and escaped, long strings cut, long arrays summarized. */
    private static String text(GgufValue v) {
        return switch (v) {
            case StringValue s -> quote(s.value());
            case ArrayValue a -> {
                StringBuilder b = new StringBuilder();
                b.append(a.length()).append(a.length() == 1 ? " element" : " elements").append(": [");
                int shown = Math.min(a.length(), SHOWN);
                for (int i = 0; i < shown; i++) {
                    b.append(i > 0 ? ", " : "").append(text(a.get(i)));
                }
                yield b.append(a.length() > shown ? ", ...]" : "]").toString();
            }
            default -> v.toString();
        };
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        int limit = Math.min(s.length(), MAX_TEXT);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
        if (s.length() > limit) {
            b.append(String.format(" ... (%,d chars)", s.length()));
        }
        return b.toString();
    }

    private static ObjectNode toJson(GgufFile f) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode root = json.objectNode();
        root.put("file", f.path().toString());
        root.put("size", f.size());
        root.put("version", f.version());
        root.put("alignment", f.alignment());
        root.put("data_offset", f.dataOffset());
        root.put("metadata_count", f.metadata().size());
        root.put("tensor_count", f.tensors().size());
        ArrayNode metadata = root.putArray("metadata");
        f.metadata().asMap().forEach((key, value) -> {
            ObjectNode entry = metadata.addObject();
            entry.put("key", key);
            entry.put("type", value.type().toString());
            if (value instanceof ArrayValue a) {
                entry.put("element_type", a.elementType().toString());
                entry.put("length", a.length());
                entry.set(a.length() > SHOWN ? "first" : "value", jsonElements(a, json));
            } else {
                entry.set("value", jsonValue(value, json));
            }
        });
        ArrayNode tensors = root.putArray("tensors");
        for (GgufTensorInfo t : f.tensors()) {
            ObjectNode entry = tensors.addObject();
            entry.put("name", t.name());
            entry.put("type", t.type().toString());
            ArrayNode shape = entry.putArray("shape");
            Arrays.stream(t.shape()).forEach(shape::add);
            entry.put("offset", t.offset());
            entry.put("bytes", t.byteSize());
        }
        return root;
    }

    private static ArrayNode jsonElements(ArrayValue a, JsonNodeFactory json) {
        ArrayNode out = json.arrayNode();
        for (int i = 0; i < Math.min(a.length(), SHOWN); i++) {
            GgufValue e = a.get(i);
            out.add(e instanceof ArrayValue nested ? summary(nested, json) : jsonValue(e, json));
        }
        return out;
    }

    private static ObjectNode summary(ArrayValue a, JsonNodeFactory json) {
        ObjectNode node = json.objectNode();
        node.put("element_type", a.elementType().toString());
        node.put("length", a.length());
        node.set(a.length() > SHOWN ? "first" : "value", jsonElements(a, json));
        return node;
    }

    private static com.fasterxml.jackson.databind.JsonNode jsonValue(GgufValue v, JsonNodeFactory json) {
        return switch (v) {
            case IntegerValue i when i.type() == GgufValueType.UINT64 && !i.fitsLong() ->
                    json.numberNode(new BigInteger(Long.toUnsignedString(i.bits())));
            case IntegerValue i -> json.numberNode(i.bits());
            case FloatValue x when !Double.isFinite(x.value()) -> json.textNode(x.toString());
            // a float32 printed as a float reads 1.0E-5, not 9.999999747378752E-6
            case FloatValue x when x.type() == GgufValueType.FLOAT32 -> json.numberNode((float) x.value());
            case FloatValue x -> json.numberNode(x.value());
            case BoolValue b -> json.booleanNode(b.value());
            case StringValue s -> json.textNode(s.value());
            case ArrayValue a -> summary(a, json);
        };
    }
}
