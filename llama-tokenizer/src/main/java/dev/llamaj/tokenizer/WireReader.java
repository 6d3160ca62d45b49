package dev.llamaj.tokenizer;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Reads the protobuf wire format (varints, fixed 32/64-bit values, length-delimited fields) from a
 * byte range. Just enough for sentencepiece's {@code ModelProto}; every failure names the file,
 * the byte offset and what was expected.
 */
final class WireReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final Path file;
    private final byte[] data;
    private final int end;
    private final String context;
    private int pos;
    private int lastTagOffset;

    WireReader(Path file, byte[] data, int start, int end, String context) {
        this.file = file;
        this.data = data;
        this.pos = start;
        this.end = end;
        this.context = context;
    }

    /** Bytes left in this reader's range. */
    int remaining() {
        return end - pos;
    }

    boolean hasMore() {
        return pos < end;
    }

    /** Reads a tag; returns it whole (field number {@code tag >>> 3}, wire type {@code tag & 7}). */
    int readTag() {
        lastTagOffset = pos;
        long tag = readVarint();
        int wireType = (int) (tag & 7);
        long field = tag >>> 3;
        if (field == 0 || field > 0x1FFFFFFFL) {
            throw error(lastTagOffset, "field number " + field + " is not a valid protobuf field number");
        }
        if (wireType != VARINT && wireType != FIXED64 && wireType != LENGTH_DELIMITED && wireType != FIXED32) {
            throw error(lastTagOffset, "wire type " + wireType + " of field " + field
                    + " is not one of 0, 1, 2, 5: not a protobuf message, so not a SentencePiece tokenizer.model");
        }
        return (int) tag;
    }

    long readVarint() {
        int start = pos;
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw error(start, "varint runs past the end" + truncatedHint());
            }
            byte b = data[pos++];
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw error(start, "varint longer than 10 bytes");
    }

    int readFixed32() {
        need(4, "a 4-byte value");
        int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8 | (data[pos + 2] & 0xFF) << 16
                | (data[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    float readFloat() {
        return Float.intBitsToFloat(readFixed32());
    }

    /** Reads a length prefix and returns a reader over those bytes, skipping past them here. */
    WireReader readMessage(String name) {
        int length = readLength();
        WireReader sub = new WireReader(file, data, pos, pos + length, name);
        pos += length;
        return sub;
    }

    String readString(String name) {
        int start = pos;
        int length = readLength();
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, pos, length)).toString();
            pos += length;
            return s;
        } catch (CharacterCodingException e) {
            throw error(start, name + " is not valid UTF-8");
        }
    }

    int readLength() {
        int start = pos;
        long length = readVarint();
        if (length < 0 || length > end - pos) {
            throw error(start, "length-delimited field claims " + length + " bytes but only " + (end - pos)
                    + " remain" + truncatedHint());
        }
        return (int) length;
    }

    /** Skips the value of a field of the given wire type. */
    void skip(int tag) {
        switch (tag & 7) {
            case VARINT -> readVarint();
            case FIXED64 -> { need(8, "an 8-byte value"); pos += 8; }
            case LENGTH_DELIMITED -> {
                int length = readLength(); // before reading pos: readLength advances it
                pos += length;
            }
            case FIXED32 -> { need(4, "a 4-byte value"); pos += 4; }
            default -> throw error(lastTagOffset, "unexpected wire type " + (tag & 7));
        }
    }

    /** Fails unless {@code tag} has the wire type {@code expected}. */
    void expectWireType(int tag, int expected, String name) {
        if ((tag & 7) != expected) {
            throw error(lastTagOffset, name + " (field " + (tag >>> 3) + ") has wire type " + (tag & 7)
                    + ", expected " + expected);
        }
    }

    private void need(int n, String what) {
        if (end - pos < n) {
            throw error(pos, "expected " + what + " but only " + (end - pos) + " bytes remain" + truncatedHint());
        }
    }

    private String truncatedHint() {
        return end == data.length ? " (file truncated?)" : " (message overruns its length)";
    }

    TokenizerFormatException error(int offset, String message) {
        return new TokenizerFormatException(file, "at byte offset " + offset + " in " + context + ": " + message);
    }
}
