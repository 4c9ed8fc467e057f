package io.jlama.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Unicode facts llama.cpp's tokenizers use (its {@code unicode.cpp} / {@code unicode-data.cpp}), taken from
 * {@link Character} and {@link Normalizer} and adjusted to llama.cpp's tables where they differ:
 * <ul>
 * <li>llama.cpp's tables are Unicode 15.1: the code points that Unicode 16.0 assigned (which a JDK with Unicode 16
 * knows) count as unassigned, so they lowercase and decompose to themselves;</li>
 * <li>whitespace is the Unicode White_Space property (25 code points; not the information separators U+001C..U+001F
 * that {@link Character#isWhitespace} also accepts);</li>
 * <li>"NFD" is llama.cpp's one-to-one map: the first code point of the canonical decomposition (so "é" becomes
 * "e" and a Hangul syllable its leading consonant).</li>
 * </ul>
 * With these adjustments the categories, whitespace, lowercase and NFD maps equal llama.cpp's tables (de3ff815) for
 * every code point U+0000..U+10FFFF (compared when this was written); PreTokenizerTest keeps spot checks.
 */
final class Unicode {
    private Unicode() {
    }

    // llama.cpp's unicode_cpt_flags categories
    static final int UNDEFINED = 0x0001, NUMBER = 0x0002, LETTER = 0x0004, SEPARATOR = 0x0008, MARK = 0x0010,
            PUNCTUATION = 0x0020, SYMBOL = 0x0040, CONTROL = 0x0080, CATEGORIES = 0x00FF, WHITESPACE = 0x0100;

    static final int MAX_CODE_POINT = 0x10FFFF;

    /** The code points Unicode 16.0 assigned, as inclusive ranges: unassigned for llama.cpp (Unicode 15.1 tables). */
    private static final int[] UNICODE_16_ADDITIONS = {
            0x897, 0x897, 0x1B4E, 0x1B4F, 0x1B7F, 0x1B7F, 0x1C89, 0x1C8A, 0x2427, 0x2429, 0x31E4, 0x31E5, 0xA7CB, 0xA7CD,
            0xA7DA, 0xA7DC, 0x105C0, 0x105F3, 0x10D40, 0x10D65, 0x10D69, 0x10D85, 0x10D8E, 0x10D8F, 0x10EC2, 0x10EC4,
            0x10EFC, 0x10EFC, 0x11380, 0x11389, 0x1138B, 0x1138B, 0x1138E, 0x1138E, 0x11390, 0x113B5, 0x113B7, 0x113C0,
            0x113C2, 0x113C2, 0x113C5, 0x113C5, 0x113C7, 0x113CA, 0x113CC, 0x113D5, 0x113D7, 0x113D8, 0x113E1, 0x113E2,
            0x116D0, 0x116E3, 0x11BC0, 0x11BE1, 0x11BF0, 0x11BF9, 0x11F5A, 0x11F5A, 0x13460, 0x143FA, 0x16100, 0x16139,
            0x16D40, 0x16D79, 0x18CFF, 0x18CFF, 0x1CC00, 0x1CCF9, 0x1CD00, 0x1CEB3, 0x1E5D0, 0x1E5FA, 0x1E5FF, 0x1E5FF,
            0x1F8B2, 0x1F8BB, 0x1F8C0, 0x1F8C1, 0x1FA89, 0x1FA89, 0x1FA8F, 0x1FA8F, 0x1FABE, 0x1FABE, 0x1FAC6, 0x1FAC6,
            0x1FADC, 0x1FADC, 0x1FADF, 0x1FADF, 0x1FAE9, 0x1FAE9, 0x1FBCB, 0x1FBEF,
    };

    /** White_Space: U+0009..U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. */
    static boolean isWhitespace(int cp) {
        if (cp < 0x80) return cp == ' ' || (cp >= '\t' && cp <= '\r');
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029
                || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    private static final short[] BMP_FLAGS = new short[0x10000];

    static {
        for (int cp = 0; cp < BMP_FLAGS.length; cp++) BMP_FLAGS[cp] = (short) computeFlags(cp);
    }

    /** llama.cpp's flags of a code point: one category bit, plus {@link #WHITESPACE}. Outside Unicode: UNDEFINED. */
    static int flags(int cp) {
        if (cp >= 0 && cp < BMP_FLAGS.length) return BMP_FLAGS[cp];
        return computeFlags(cp);
    }

    private static int computeFlags(int cp) {
        if (cp < 0 || cp > MAX_CODE_POINT) return UNDEFINED;
        int f = isNewInUnicode16(cp) ? UNDEFINED : category(Character.getType(cp));
        return isWhitespace(cp) ? f | WHITESPACE : f;
    }

    private static int category(int javaType) {
        return switch (javaType) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER, Character.MODIFIER_LETTER,
                 Character.OTHER_LETTER -> LETTER;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
            case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE -> CONTROL;
            case Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION, Character.CONNECTOR_PUNCTUATION,
                 Character.OTHER_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> SYMBOL;
            default -> UNDEFINED; // UNASSIGNED
        };
    }

    static boolean isNewInUnicode16(int cp) {
        if (cp < 0x897) return false;
        int[] r = UNICODE_16_ADDITIONS;
        int lo = 0, hi = r.length / 2 - 1; // last range whose start <= cp
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (r[2 * mid] <= cp) lo = mid;
            else hi = mid - 1;
        }
        return r[2 * lo] <= cp && cp <= r[2 * lo + 1];
    }

    /** llama.cpp's {@code unicode_tolower}: the simple lowercase mapping. */
    static int toLower(int cp) {
        if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
        if (cp > MAX_CODE_POINT || isNewInUnicode16(cp)) return cp;
        return Character.toLowerCase(cp);
    }

    private static final ConcurrentHashMap<Integer, Integer> NFD_FIRST = new ConcurrentHashMap<>();

    /** llama.cpp's {@code unicode_cpts_normalize_nfd} for one code point: the first code point of its NFD. */
    static int nfdFirst(int cp) {
        if (cp < 0xC0 || cp > MAX_CODE_POINT || (cp >= 0xD800 && cp <= 0xDFFF)) return cp;
        return NFD_FIRST.computeIfAbsent(cp, c -> {
            if (isNewInUnicode16(c)) return c;
            String s = new String(Character.toChars(c));
            return Normalizer.isNormalized(s, Normalizer.Form.NFD) ? c : Normalizer.normalize(s, Normalizer.Form.NFD).codePointAt(0);
        });
    }

    // ---- UTF-8, the way llama.cpp reads and writes it ----

    /** Length of a UTF-8 sequence from its first byte, as llama.cpp's {@code unicode_len_utf8} counts it (no validation). */
    static int utf8Length(byte b) {
        int hi = (b & 0xFF) >>> 4;
        return hi < 12 ? 1 : hi < 14 ? 2 : hi == 14 ? 3 : 4;
    }

    /**
     * The code points of {@code s[from, to)} as llama.cpp's {@code unicode_cpts_from_utf8} decodes them: a byte that
     * does not start a well-formed sequence (checking only the continuation bytes' top bits) becomes U+FFFD and
     * decoding resumes at the next byte.
     */
    static int[] codePoints(byte[] s, int from, int to) {
        int[] out = new int[to - from];
        int n = 0;
        int i = from;
        while (i < to) {
            int b0 = s[i] & 0xFF;
            if (b0 < 0x80) {
                out[n++] = b0;
                i++;
                continue;
            }
            int len = b0 < 0xC0 ? 0 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : b0 < 0xF8 ? 4 : 0;
            boolean ok = len > 0 && i + len <= to;
            for (int k = 1; ok && k < len; k++) ok = (s[i + k] & 0xC0) == 0x80;
            if (!ok) {
                out[n++] = 0xFFFD;
                i++;
                continue;
            }
            int cp = switch (len) {
                case 2 -> (b0 & 0x1F) << 6 | (s[i + 1] & 0x3F);
                case 3 -> (b0 & 0x0F) << 12 | (s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
                default -> (b0 & 0x07) << 18 | (s[i + 1] & 0x3F) << 12 | (s[i + 2] & 0x3F) << 6 | (s[i + 3] & 0x3F);
            };
            out[n++] = cp;
            i += len;
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** Appends the UTF-8 bytes of a code point (up to U+1FFFFF, like llama.cpp's {@code unicode_cpt_to_utf8}); returns the new end. */
    static int putUtf8(int cp, byte[] out, int w) {
        if (cp < 0x80) {
            out[w++] = (byte) cp;
        } else if (cp < 0x800) {
            out[w++] = (byte) (0xC0 | cp >> 6);
            out[w++] = (byte) (0x80 | cp & 0x3F);
        } else if (cp < 0x10000) {
            out[w++] = (byte) (0xE0 | cp >> 12);
            out[w++] = (byte) (0x80 | cp >> 6 & 0x3F);
            out[w++] = (byte) (0x80 | cp & 0x3F);
        } else {
            out[w++] = (byte) (0xF0 | cp >> 18 & 0x07);
            out[w++] = (byte) (0x80 | cp >> 12 & 0x3F);
            out[w++] = (byte) (0x80 | cp >> 6 & 0x3F);
            out[w++] = (byte) (0x80 | cp & 0x3F);
        }
        return w;
    }

    // ---- GPT-2's byte-level alphabet ----

    /** Byte value to the code point that stands for it in byte-level BPE vocabularies (GPT-2's bytes_to_unicode). */
    private static final int[] BYTE_TO_CP = new int[256];
    /** The UTF-8 of {@link #BYTE_TO_CP}. */
    private static final byte[][] BYTE_TO_UTF8 = new byte[256][];
    /** Code point (< 324) to the byte it stands for, or -1. */
    private static final int[] CP_TO_BYTE = new int[324];

    static {
        Arrays.fill(CP_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            int cp = printable ? b : 256 + n++;
            BYTE_TO_CP[b] = cp;
            CP_TO_BYTE[cp] = b;
            BYTE_TO_UTF8[b] = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        }
    }

    /** The UTF-8 bytes of the byte-level character that stands for byte {@code b} (shared: do not modify). */
    static byte[] byteLevelUtf8(int b) {
        return BYTE_TO_UTF8[b & 0xFF];
    }

    /** The byte a byte-level code point stands for, or -1 when it stands for none. */
    static int byteOfByteLevel(int cp) {
        return cp >= 0 && cp < CP_TO_BYTE.length ? CP_TO_BYTE[cp] : -1;
    }
}
