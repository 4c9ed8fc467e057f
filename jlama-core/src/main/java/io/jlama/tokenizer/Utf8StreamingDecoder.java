package io.jlama.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * {@link StreamingDecoder} over a tokenizer's {@link Tokenizer#tokenBytes}. Bytes go through two hold-backs: when
 * the vocabulary cleans up spaces ({@link AbstractTokenizer#cleanSpaces}), the tail that the next token could still
 * change (a trailing space, apostrophe, 'r' or 'v') waits; then an incomplete UTF-8 character at the end waits.
 */
final class Utf8StreamingDecoder implements StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean cleanSpaces;
    private boolean stripSpace;
    private byte[] raw = new byte[64]; // cleanSpaces: bytes not yet cleaned
    private int rawLen;
    private byte[] buf = new byte[64];
    private int held; // bytes of an incomplete character at the start of buf

    /**
     * @param stripLeadingSpace remove one space from the start of the first token's piece (llama.cpp's detokenize)
     * @param cleanSpaces       apply llama.cpp's clean-up of spaces before punctuation
     */
    Utf8StreamingDecoder(Tokenizer tokenizer, boolean stripLeadingSpace, boolean cleanSpaces) {
        this.tokenizer = tokenizer;
        this.stripSpace = stripLeadingSpace;
        this.cleanSpaces = cleanSpaces;
    }

    @Override
    public String accept(int token) {
        byte[] piece = tokenizer.tokenBytes(token);
        int from = 0;
        if (stripSpace) {
            if (piece.length > 0 && piece[0] == ' ') from = 1;
            stripSpace = false;
        }
        if (!cleanSpaces) return append(piece, from, piece.length - from, false);
        raw = ensure(raw, rawLen + piece.length - from);
        System.arraycopy(piece, from, raw, rawLen, piece.length - from);
        rawLen += piece.length - from;
        int cut = rawLen;
        while (cut > 0 && !AbstractTokenizer.canCutAfter(raw[cut - 1])) cut--;
        if (cut == 0) return "";
        int n = AbstractTokenizer.cleanSpaces(raw, cut); // cleans raw[0, cut) in place
        String out = append(raw, 0, n, false);
        System.arraycopy(raw, cut, raw, 0, rawLen - cut);
        rawLen -= cut;
        return out;
    }

    @Override
    public String finish() {
        int n = rawLen == 0 ? 0 : AbstractTokenizer.cleanSpaces(raw, rawLen);
        rawLen = 0;
        return append(raw, 0, n, true);
    }

    /** Adds b[off, off+len) after the held bytes; returns the complete characters (all of them when flushing). */
    private String append(byte[] b, int off, int len, boolean flush) {
        int n = held + len;
        buf = ensure(buf, n);
        System.arraycopy(b, off, buf, held, len);
        int cut = flush ? n : completeLength(buf, n);
        String out = new String(buf, 0, cut, StandardCharsets.UTF_8);
        System.arraycopy(buf, cut, buf, 0, n - cut);
        held = n - cut;
        return out;
    }

    private static byte[] ensure(byte[] b, int n) {
        return n > b.length ? Arrays.copyOf(b, Math.max(n, b.length * 2)) : b;
    }

    /**
     * The length of the prefix of b[0, n) that can be decoded now: everything except a trailing incomplete
     * character that the next bytes could still complete.
     */
    static int completeLength(byte[] b, int n) {
        for (int back = 1; back <= Math.min(4, n); back++) {
            int i = n - back;
            int c = b[i] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // continuation byte: look further back
            int need = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 1;
            if (need <= back) return n; // the last character is complete (or invalid, which waiting cannot fix)
            if (back >= 2) { // the second byte's range depends on the lead byte
                int c1 = b[i + 1] & 0xFF;
                boolean ok = switch (c) {
                    case 0xE0 -> c1 >= 0xA0;
                    case 0xED -> c1 <= 0x9F;
                    case 0xF0 -> c1 >= 0x90;
                    case 0xF4 -> c1 <= 0x8F;
                    default -> true;
                };
                if (!ok) return n;
            }
            return i;
        }
        return n;
    }
}
