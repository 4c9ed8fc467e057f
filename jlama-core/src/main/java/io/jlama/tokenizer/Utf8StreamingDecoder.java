package io.jlama.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** {@link StreamingDecoder} over a tokenizer's {@link Tokenizer#tokenBytes}. */
final class Utf8StreamingDecoder implements StreamingDecoder {
    private final Tokenizer tokenizer;
    private boolean stripSpace;
    private byte[] buf = new byte[64];
    private int held; // bytes of an incomplete character at the start of buf

    /** @param stripLeadingSpace remove one space from the start of the first token's piece (llama.cpp's detokenize) */
    Utf8StreamingDecoder(Tokenizer tokenizer, boolean stripLeadingSpace) {
        this.tokenizer = tokenizer;
        this.stripSpace = stripLeadingSpace;
    }

    @Override
    public String accept(int token) {
        byte[] piece = tokenizer.tokenBytes(token);
        int from = 0;
        if (stripSpace) {
            if (piece.length > 0 && piece[0] == ' ') from = 1;
            stripSpace = false;
        }
        int n = held + piece.length - from;
        if (n > buf.length) buf = Arrays.copyOf(buf, Math.max(n, buf.length * 2));
        System.arraycopy(piece, from, buf, held, piece.length - from);
        int cut = completeLength(buf, n);
        String out = new String(buf, 0, cut, StandardCharsets.UTF_8);
        System.arraycopy(buf, cut, buf, 0, n - cut);
        held = n - cut;
        return out;
    }

    @Override
    public String finish() {
        String out = new String(buf, 0, held, StandardCharsets.UTF_8);
        held = 0;
        return out;
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
