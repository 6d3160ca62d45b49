package dev.llamaj.core.gguf;

import dev.llamaj.core.LlamaException;
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
 * An open GGUF file (version 2 or 3), memory-mapped read-only (or read into off-heap memory,
 * see {@link #open(Path, boolean)}). Only the header, metadata and tensor infos are read onto
 * the heap; tensor data stays off it and is handed out as {@link Tensor} views, so heap use does
 * not grow with the file and files beyond 2 GiB work. Closing the file unmaps (or frees) it:
 * views taken from it must not be used afterwards.
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
     * Maps and parses {@code path}: {@link #open(Path, boolean) open(path, true)}.
     *
     * @throws ModelFormatException when the file is not a valid GGUF (the message says where and why)
     * @throws UncheckedIOException when the file cannot be read
     */
    public static GgufFile open(Path path) {
        return open(path, true);
    }

    /**
     * Parses {@code path}, its tensor data either memory-mapped ({@code mmap}, the default) or
     * read into off-heap memory of its own.
     *
     * <p>Mapped, the data stays in the operating system's page cache and is shared with every
     * process that maps the file; opening is instant and costs no memory of its own. Read in,
     * opening reads the whole file once and holds a private copy off the Java heap (no
     * {@code -Xmx} change needed), the way llama.cpp holds the tensors it repacks, or all of
     * them with {@code --no-mmap}. The numbers out are the same. Which is faster depends on the
     * machine: on the virtual machines this was measured on, token generation read a file that
     * had sat in the page cache for hours 20-40% slower than a private copy (TinyLlama Q4_0, 1
     * thread: 11-13.5 vs 18-19 tok/s), and as fast once its pages had been dropped and read back
     * (18-19 both).
     *
     * @throws ModelFormatException when the file is not a valid GGUF (the message says where and why)
     * @throws UncheckedIOException when the file cannot be read
     * @throws LlamaException when {@code mmap} is false and the file does not fit in memory
     */
    public static GgufFile open(Path path, boolean mmap) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment data = mmap
                    ? channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena)
                    : readAll(path, channel, arena);
            GgufParser.Layout layout = new GgufParser(new GgufCursor(path, data)).parse();
            return new GgufFile(path, arena, data, layout);
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

    /** Bytes per read call: a ByteBuffer view holds at most 2 GiB. */
    private static final int READ_CHUNK = 64 << 20;

    private static MemorySegment readAll(Path path, FileChannel channel, Arena arena) throws IOException {
        long size = channel.size();
        MemorySegment data;
        try {
            // 2 MiB alignment, so that where the system backs memory with huge pages, the data starts on one
            data = arena.allocate(Math.max(1, size), 2 << 20);
        } catch (OutOfMemoryError e) {
            throw new LlamaException("cannot hold " + path + " (" + size + " bytes) in memory (" + e.getMessage()
                    + "): open it memory-mapped instead (the default)", e);
        }
        long at = 0;
        while (at < size) {
            int n = channel.read(data.asSlice(at, Math.min(READ_CHUNK, size - at)).asByteBuffer(), at);
            if (n < 0) {
                throw new IOException("file ended at byte " + at + " while reading its " + size + " bytes (changed while reading?)");
            }
            at += n;
        }
        return data.asSlice(0, size);
    }

    /** Whether the tensor data is memory-mapped (else it was read into memory of its own). */
    public boolean mapped() {
        return mapping.isMapped();
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
