package dev.llamaj.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a sentencepiece {@code tokenizer.model} (a serialized {@code ModelProto}) into a
 * {@link Vocabulary}. Field numbers follow sentencepiece's {@code sentencepiece_model.proto};
 * unknown fields are skipped as protobuf requires. Only BPE models with the identity normalizer
 * (no precompiled character map) are accepted; anything else is refused with the reason.
 */
final class ModelProtoReader {
    /** Far above any real tokenizer.model (Llama 2's is 0.5 MB); guards against reading a model file. */
    static final long MAX_BYTES = 64L << 20;

    private static final int MODEL_TYPE_BPE = 2;
    private static final String[] MODEL_TYPE_NAMES = {"?", "UNIGRAM", "BPE", "WORD", "CHAR"};

    private final Path file;
    private final List<String> pieces = new ArrayList<>();
    private float[] scores = new float[1024];
    private int[] types = new int[1024];
    private int modelType = 1; // proto default: UNIGRAM
    private boolean byteFallback;
    private boolean treatWhitespaceAsSuffix;
    private int unkId = 0;
    private int bosId = 1;
    private int eosId = 2;
    private int padId = -1;
    private String unkSurface = Vocabulary.DEFAULT_UNK_SURFACE;
    private String normalizerName = "";
    private int charsmapBytes;
    private boolean addDummyPrefix = true;
    private boolean removeExtraWhitespaces = true;
    private boolean escapeWhitespaces = true;

    private ModelProtoReader(Path file) {
        this.file = file;
    }

    static Vocabulary read(Path file) {
        byte[] data = readBytes(file);
        return parse(file, data);
    }

    static Vocabulary parse(Path file, byte[] data) {
        checkMagic(file, data);
        ModelProtoReader reader = new ModelProtoReader(file);
        reader.readModel(new WireReader(file, data, 0, data.length, "ModelProto"));
        return reader.toVocabulary();
    }

    private static byte[] readBytes(Path file) {
        try {
            if (Files.isDirectory(file)) {
                throw new TokenizerFormatException(file, "is a directory, expected a SentencePiece tokenizer.model file");
            }
            long size = Files.size(file);
            if (size == 0) {
                throw new TokenizerFormatException(file, "is empty (0 bytes), expected a SentencePiece ModelProto");
            }
            if (size > MAX_BYTES) {
                byte[] head = new byte[4];
                try (InputStream in = Files.newInputStream(file)) {
                    int n = in.readNBytes(head, 0, 4);
                    checkMagic(file, java.util.Arrays.copyOf(head, n));
                }
                throw new TokenizerFormatException(file, "is " + size + " bytes, far larger than any SentencePiece"
                        + " tokenizer.model (limit " + MAX_BYTES + "); is it a model file?");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TokenizerFormatException(file, "no such file (expected a SentencePiece tokenizer.model)", e);
        } catch (IOException e) {
            throw new TokenizerFormatException(file, "cannot be read: " + e, e);
        }
    }

    /** Recognizes files that are clearly something else, to say so plainly. */
    private static void checkMagic(Path file, byte[] data) {
        if (startsWith(data, 'G', 'G', 'U', 'F')) {
            throw new TokenizerFormatException(file, "is a GGUF file (magic 'GGUF'), not a SentencePiece"
                    + " tokenizer.model; GGUF vocabularies are read through llama-core");
        }
        if (startsWith(data, 0x89, 'P', 'N', 'G')) {
            throw new TokenizerFormatException(file, "is a PNG image (magic \\x89PNG), not a SentencePiece tokenizer.model");
        }
    }

    private static boolean startsWith(byte[] data, int... magic) {
        if (data.length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((data[i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private void readModel(WireReader in) {
        while (in.hasMore()) {
            int tag = in.readTag();
            switch (tag >>> 3) {
                case 1 -> { in.expectWireType(tag, WireReader.LENGTH_DELIMITED, "pieces"); readPiece(in.readMessage("piece " + pieces.size())); }
                case 2 -> { in.expectWireType(tag, WireReader.LENGTH_DELIMITED, "trainer_spec"); readTrainerSpec(in.readMessage("trainer_spec")); }
                case 3 -> { in.expectWireType(tag, WireReader.LENGTH_DELIMITED, "normalizer_spec"); readNormalizerSpec(in.readMessage("normalizer_spec")); }
                default -> in.skip(tag);
            }
        }
    }

    private void readPiece(WireReader in) {
        String piece = null;
        float score = 0f;
        int type = PieceType.NORMAL;
        while (in.hasMore()) {
            int tag = in.readTag();
            switch (tag >>> 3) {
                case 1 -> { in.expectWireType(tag, WireReader.LENGTH_DELIMITED, "piece"); piece = in.readString("piece"); }
                case 2 -> { in.expectWireType(tag, WireReader.FIXED32, "score"); score = in.readFloat(); }
                case 3 -> { in.expectWireType(tag, WireReader.VARINT, "type"); type = (int) in.readVarint(); }
                default -> in.skip(tag);
            }
        }
        int index = pieces.size();
        if (piece == null || piece.isEmpty()) {
            throw new TokenizerFormatException(file, "piece " + index + " has no text; sentencepiece pieces must not be empty");
        }
        if (!PieceType.isValid(type)) {
            throw new TokenizerFormatException(file, "piece " + index + " '" + piece + "' has type " + type
                    + ", expected 1..6 (normal, unknown, control, user-defined, unused, byte)");
        }
        if (index == scores.length) {
            scores = java.util.Arrays.copyOf(scores, index * 2);
            types = java.util.Arrays.copyOf(types, index * 2);
        }
        pieces.add(piece);
        scores[index] = score;
        types[index] = type;
    }

    private void readTrainerSpec(WireReader in) {
        while (in.hasMore()) {
            int tag = in.readTag();
            switch (tag >>> 3) {
                case 3 -> modelType = varint(in, tag, "model_type");
                case 24 -> treatWhitespaceAsSuffix = varint(in, tag, "treat_whitespace_as_suffix") != 0;
                case 35 -> byteFallback = varint(in, tag, "byte_fallback") != 0;
                case 40 -> unkId = varint(in, tag, "unk_id");
                case 41 -> bosId = varint(in, tag, "bos_id");
                case 42 -> eosId = varint(in, tag, "eos_id");
                case 43 -> padId = varint(in, tag, "pad_id");
                case 44 -> { in.expectWireType(tag, WireReader.LENGTH_DELIMITED, "unk_surface"); unkSurface = in.readString("unk_surface"); }
                default -> in.skip(tag);
            }
        }
    }

    private void readNormalizerSpec(WireReader in) {
        while (in.hasMore()) {
            int tag = in.readTag();
            switch (tag >>> 3) {
                case 1 -> { in.expectWireType(tag, WireReader.LENGTH_DELIMITED, "name"); normalizerName = in.readString("name"); }
                case 2 -> { in.expectWireType(tag, WireReader.LENGTH_DELIMITED, "precompiled_charsmap"); charsmapBytes = in.readMessage("precompiled_charsmap").remaining(); }
                case 3 -> addDummyPrefix = varint(in, tag, "add_dummy_prefix") != 0;
                case 4 -> removeExtraWhitespaces = varint(in, tag, "remove_extra_whitespaces") != 0;
                case 5 -> escapeWhitespaces = varint(in, tag, "escape_whitespaces") != 0;
                default -> in.skip(tag);
            }
        }
    }

    /** An int32/enum/bool field: protobuf sends negative int32 as 10-byte varints, truncation restores them. */
    private static int varint(WireReader in, int tag, String name) {
        in.expectWireType(tag, WireReader.VARINT, name);
        return (int) in.readVarint();
    }

    private Vocabulary toVocabulary() {
        int n = pieces.size();
        if (n == 0) {
            throw new TokenizerFormatException(file, "holds no pieces: not a SentencePiece tokenizer.model");
        }
        if (modelType != MODEL_TYPE_BPE) {
            String name = modelType >= 0 && modelType < MODEL_TYPE_NAMES.length ? MODEL_TYPE_NAMES[modelType] : "unknown";
            throw new TokenizerFormatException(file, "trainer_spec.model_type is " + name + " (" + modelType
                    + "); only BPE (2) models are supported, as Llama uses");
        }
        if (charsmapBytes > 0) {
            throw new TokenizerFormatException(file, "normalizer_spec '" + normalizerName + "' has a precompiled"
                    + " character map (" + charsmapBytes + " bytes); only the identity normalizer is supported");
        }
        if (treatWhitespaceAsSuffix) {
            throw new TokenizerFormatException(file, "trainer_spec.treat_whitespace_as_suffix is set; not supported");
        }
        for (int i = 0; i < n; i++) {
            if (types[i] == PieceType.BYTE && !byteFallback) {
                throw new TokenizerFormatException(file, "piece " + i + " '" + pieces.get(i)
                        + "' is a byte piece but trainer_spec.byte_fallback is off");
            }
        }
        try {
            return new Vocabulary(pieces, java.util.Arrays.copyOf(scores, n), java.util.Arrays.copyOf(types, n),
                    unkId, bosId, eosId, true, false, addDummyPrefix, byteFallback, removeExtraWhitespaces,
                    escapeWhitespaces, padId, unkSurface);
        } catch (TokenizerFormatException e) {
            throw new TokenizerFormatException(file, e.getMessage(), e);
        }
    }
}
