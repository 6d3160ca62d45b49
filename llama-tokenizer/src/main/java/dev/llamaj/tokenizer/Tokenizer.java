package dev.llamaj.tokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A SentencePiece BPE tokenizer that gives the same ids as the sentencepiece library: Llama 2's
 * tokenizer, read from a {@code tokenizer.model} ({@link #load}) or built from the lists a GGUF
 * file carries ({@link #fromVocabulary}).
 *
 * <p>Encoding normalizes the text (dummy-prefix space, spaces as U+2581, optional removal of
 * extra spaces), merges by score ({@link BpeModel}), and falls back to {@code <0xNN>} byte pieces
 * for characters outside the vocabulary. Text never produces control ids: {@code "<s>"} in the
 * input is three plain characters. Decoding drops the dummy-prefix space, reassembles byte pieces
 * into UTF-8 and turns malformed bytes into U+FFFD, as sentencepiece does.
 *
 * <p>Instances are immutable and thread-safe: any number of threads may encode and decode with one
 * {@code Tokenizer} at once. {@link StreamingDecoder}s it hands out are not; use one per stream.
 */
public final class Tokenizer {
    private final Vocabulary vocabulary;
    private final List<String> pieces;
    private final Normalizer normalizer;
    private final BpeModel model;
    private final PieceSurfaces surfaces;
    private final int[] byteValues;

    private Tokenizer(Vocabulary v) {
        this.vocabulary = v;
        this.pieces = v.pieces();
        int[] types = v.types();
        int[] byteIds = new int[256];
        Arrays.fill(byteIds, -1);
        this.byteValues = new int[pieces.size()];
        Arrays.fill(byteValues, -1);
        for (int i = 0; i < types.length; i++) {
            if (types[i] == PieceType.BYTE) {
                int b = parseBytePiece(i, pieces.get(i));
                byteValues[i] = b;
                if (byteIds[b] < 0) {
                    byteIds[b] = i;
                }
            }
        }
        UserSymbols userSymbols = new UserSymbols(pieces, types);
        this.normalizer = new Normalizer(v, userSymbols);
        this.model = new BpeModel(v, userSymbols, byteIds);
        this.surfaces = new PieceSurfaces(v);
    }

    private static int parseBytePiece(int id, String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return Integer.parseInt(piece, 3, 5, 16);
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new TokenizerFormatException("piece " + id + " '" + piece + "' has the byte type but is not of the"
                + " form <0xNN>");
    }

    /**
     * Reads a SentencePiece {@code tokenizer.model}. BOS is added by default ({@link #addBos()}), as
     * Llama 2 expects.
     *
     * @throws TokenizerFormatException naming the file when it is missing, empty, truncated, not a
     *         SentencePiece model, or a model of another type than BPE
     */
    public static Tokenizer load(Path tokenizerModel) {
        Objects.requireNonNull(tokenizerModel, "tokenizerModel");
        Vocabulary v = ModelProtoReader.read(tokenizerModel);
        try {
            return new Tokenizer(v);
        } catch (TokenizerFormatException e) {
            throw new TokenizerFormatException(tokenizerModel, e.getMessage(), e);
        }
    }

    /** Builds a tokenizer from plain lists, as GGUF carries a vocabulary. */
    public static Tokenizer fromVocabulary(Vocabulary vocabulary) {
        return new Tokenizer(Objects.requireNonNull(vocabulary, "vocabulary"));
    }

    /** The ids of {@code text}, without BOS or EOS. */
    public int[] encode(String text) {
        return encode(text, false, false);
    }

    /**
     * The ids of {@code text}, with BOS in front and EOS at the end when asked.
     *
     * @throws IllegalStateException when BOS or EOS is asked for but the vocabulary has none
     */
    public int[] encode(String text, boolean bos, boolean eos) {
        Objects.requireNonNull(text, "text");
        if (bos && bosId() < 0) {
            throw new IllegalStateException("BOS requested but this vocabulary defines no BOS piece");
        }
        if (eos && eosId() < 0) {
            throw new IllegalStateException("EOS requested but this vocabulary defines no EOS piece");
        }
        String normalized = normalizer.normalize(text);
        IdList ids = new IdList(normalized.length() / 3 + 2);
        if (bos) {
            ids.add(bosId());
        }
        model.encode(normalized, ids);
        if (eos) {
            ids.add(eosId());
        }
        return ids.toArray();
    }

    /**
     * The text of {@code ids}, as sentencepiece decodes them.
     *
     * @throws IllegalArgumentException naming the first id outside the vocabulary
     */
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder(ids.length * 4);
        byte[] run = new byte[16];
        int runLength = 0;
        boolean atStart = true;
        boolean startSpaceSeen = false;
        for (int id : ids) {
            checkId(id);
            if (surfaces.isByte(id)) {
                if (runLength == run.length) {
                    run = Arrays.copyOf(run, runLength * 2);
                }
                run[runLength++] = (byte) byteValues[id];
                continue;
            }
            Utf8Bytes.decodeRun(run, runLength, text);
            runLength = 0;
            if (startSpaceSeen || !text.isEmpty()) {
                atStart = false;
            }
            startSpaceSeen = surfaces.append(id, atStart, text);
        }
        Utf8Bytes.decodeRun(run, runLength, text);
        return text.toString();
    }

    void checkId(int id) {
        if (id < 0 || id >= pieces.size()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (pieces.size() - 1) + ")");
        }
    }

    /** The piece string of {@code id}, with U+2581 for spaces (e.g. {@code "▁Hello"}, {@code "<0x0A>"}). */
    public String piece(int id) {
        checkId(id);
        return pieces.get(id);
    }

    public int vocabSize() {
        return pieces.size();
    }

    /** The BOS id, or -1 when the vocabulary has none. */
    public int bosId() {
        return vocabulary.bosId();
    }

    /** The EOS id, or -1 when the vocabulary has none. */
    public int eosId() {
        return vocabulary.eosId();
    }

    public int unkId() {
        return vocabulary.unkId();
    }

    /** Whether BOS goes in front by default (GGUF {@code add_bos_token}; true for a {@code .model}). */
    public boolean addBos() {
        return vocabulary.addBos();
    }

    /** Whether EOS goes at the end by default (GGUF {@code add_eos_token}; false for a {@code .model}). */
    public boolean addEos() {
        return vocabulary.addEos();
    }

    /** The vocabulary this tokenizer was built from. */
    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /** A decoder for one stream of ids, fed one at a time. */
    public StreamingDecoder newStreamingDecoder() {
        return new StreamingDecoder(this, surfaces);
    }

    int byteValue(int id) {
        return byteValues[id];
    }
}
