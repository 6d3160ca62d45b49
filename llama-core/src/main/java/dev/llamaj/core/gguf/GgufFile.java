package dev.llamaj.core.gguf;

import dev.llamaj.core.ModelFormatException;
import dev.llamaj.core.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An open GGUF file (version 2 or 3), memory-mapped read-only. Only the header, metadata and
 * tensor infos are read onto the heap; tensor data stays in the mapping and is handed out as
 * {@link Tensor} views, so heap use does not grow with the file and files beyond 2 GiB work.
 * Closing the file unmaps it: views taken from it must not be used afterwards.
 */
public final class GgufFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final GgufParser.Layout layout;
    private final Map<String, GgufTensorInfo> byName;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, GgufParser.Layout layout) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.layout = layout;
        Map<String, GgufTensorInfo> names = new LinkedHashMap<>();
        for (GgufTensorInfo t : layout.tensors()) {
            names.put(t.name(), t);
        }
        this.byName = Collections.unmodifiableMap(names);
    }

    /**
     * Maps and parses {@code path}.
     *
     * @throws ModelFormatException when the file is not a valid GGUF (the message says where and why)
     * @throws UncheckedIOException when the file cannot be read
     */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            GgufParser.Layout layout = new GgufParser(new GgufCursor(path, mapping)).parse();
            return new GgufFile(path, arena, mapping, layout);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new UncheckedIOException("no such file: " + path, e);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The GGUF version: 2 or 3. */
    public int version() {
        return layout.version();
    }

    /** The alignment of tensor data: {@code general.alignment}, or 32. */
    public int alignment() {
        return layout.alignment();
    }

    /** Where the tensor data section starts, in bytes from the start of the file. */
    public long dataOffset() {
        return layout.dataOffset();
    }

    /** The file's size in bytes. */
    public long size() {
        return mapping.byteSize();
    }

    public GgufMetadata metadata() {
        return layout.metadata();
    }

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() {
        return layout.tensors();
    }

    /** The info of tensor {@code name}, or empty. */
    public Optional<GgufTensorInfo> tensorInfo(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** Tensor {@code name} as a view of the mapping, or empty when the file has none by that name. */
    public Optional<Tensor> tensor(String name) {
        return tensorInfo(name).map(this::tensor);
    }

    /** Tensor {@code name}; its absence is a {@link ModelFormatException} naming the file and tensor. */
    public Tensor requireTensor(String name) {
        return tensor(name).orElseThrow(() -> new ModelFormatException(path, "tensor '" + name + "' is missing"));
    }

    /** The tensor {@code info} describes (an info of this file), as a view of the mapping. */
    public Tensor tensor(GgufTensorInfo info) {
        MemorySegment data = mapping.asSlice(layout.dataOffset() + info.offset(), info.byteSize());
        return new Tensor(info.name(), info.type(), info.shape(), data);
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version() + ", " + metadata().size() + " keys, " + tensors().size()
                + " tensors]";
    }
}
