package io.jlama.gguf;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * GGUF strings are UTF-8, but real vocabularies sometimes hold byte pieces that are not valid UTF-8 on their own.
 * Such bytes are decoded losslessly: each byte that is not part of a valid UTF-8 sequence becomes the lone low
 * surrogate {@code U+DC00 + byte} (as Python's "surrogateescape" does). Valid UTF-8 never decodes to a lone
 * surrogate, so the mapping is unambiguous and {@link #encode} gives back the exact bytes of the file.
 */
final class GgufStrings {
    private GgufStrings() {
    }

    private static final int ESCAPE_BASE = 0xDC00;

    /** A decoder to be reused for many {@link #decode} calls (not thread-safe). */
    static CharsetDecoder newDecoder() {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    static String decode(byte[] b, CharsetDecoder decoder) {
        boolean ascii = true;
        for (byte x : b) {
            if (x < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) return new String(b, StandardCharsets.ISO_8859_1);
        decoder.reset();
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer out = CharBuffer.allocate(b.length); // UTF-8 never yields more chars than bytes; an escape is 1:1
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            if (r.isUnderflow()) break;
            if (!r.isError()) throw new AssertionError(r);
            out.put((char) (ESCAPE_BASE | (in.get() & 0xFF))); // escape the first bad byte, decode on from the next
        }
        decoder.flush(out);
        return out.flip().toString();
    }

    /** The bytes of a string as written to a file: UTF-8, with escaped bytes (see the class comment) restored. */
    static byte[] encode(String s) {
        int n = s.length();
        byte[] out = new byte[n * 3];
        int o = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                out[o++] = (byte) c;
            } else if (c < 0x800) {
                out[o++] = (byte) (0xC0 | c >> 6);
                out[o++] = (byte) (0x80 | c & 0x3F);
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                out[o++] = (byte) (0xF0 | cp >> 18);
                out[o++] = (byte) (0x80 | cp >> 12 & 0x3F);
                out[o++] = (byte) (0x80 | cp >> 6 & 0x3F);
                out[o++] = (byte) (0x80 | cp & 0x3F);
            } else if (c >= ESCAPE_BASE + 0x80 && c <= ESCAPE_BASE + 0xFF) {
                out[o++] = (byte) c; // an escaped raw byte
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("string has an unpaired surrogate U+" + Integer.toHexString(c).toUpperCase() + " at index " + i);
            } else {
                out[o++] = (byte) (0xE0 | c >> 12);
                out[o++] = (byte) (0x80 | c >> 6 & 0x3F);
                out[o++] = (byte) (0x80 | c & 0x3F);
            }
        }
        return o == out.length ? out : java.util.Arrays.copyOf(out, o);
    }

    /**
     * A name read from a file, made safe for a one-line message: control characters, line separators and lone
     * surrogates are escaped as \\uXXXX, and very long names are cut.
     */
    static String printable(String s) {
        final int max = 120;
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 24);
        int i = 0;
        for (; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            int t = Character.getType(c);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else if (Character.isISOControl(c) || Character.isSurrogate(c) || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR) {
                sb.append(String.format("\\u%04X", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (i < s.length()) sb.append("...(").append(s.length()).append(" chars)");
        return sb.toString();
    }
}
