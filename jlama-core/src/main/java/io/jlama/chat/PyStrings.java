package io.jlama.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python {@code str} semantics on Java strings. Python indexes strings by code point while Java uses UTF-16 units,
 * so every length, index and slice here counts code points (an emoji is one character, as in the reference
 * renders); the fast paths skip that work for strings without surrogates. Whitespace is Python's
 * {@code str.isspace()}, which differs from {@link Character#isWhitespace} (U+00A0, U+202F, U+3000...).
 */
final class PyStrings {
    private PyStrings() {
    }

    /** Python's {@code str.isspace()} for one character. */
    static boolean isSpace(int c) {
        if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
        return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029
                || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** The characters Python's {@code str.splitlines()} breaks on ({@code \r\n} counts as one break). */
    static boolean isLineBreak(int c) {
        return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x85
                || c == 0x2028 || c == 0x2029;
    }

    static boolean isIdentStart(char c) {
        return c == '_' || (c < 128 ? Character.isLetter(c) : Character.isUnicodeIdentifierStart(c));
    }

    static boolean isIdentPart(char c) {
        return c == '_' || (c < 128 ? Character.isLetterOrDigit(c) : Character.isUnicodeIdentifierPart(c) && !Character.isIdentifierIgnorable(c));
    }

    private static boolean simple(String s) {
        for (int i = 0; i < s.length(); i++) if (Character.isSurrogate(s.charAt(i))) return false;
        return true;
    }

    static int length(String s) {
        return simple(s) ? s.length() : s.codePointCount(0, s.length());
    }

    /** The UTF-16 offset of code point index {@code cp} (0..length). */
    static int offset(String s, int cp) {
        return simple(s) ? cp : s.offsetByCodePoints(0, cp);
    }

    /** Code point index of a UTF-16 offset. */
    static int cpIndex(String s, int offset) {
        return simple(s) ? offset : s.codePointCount(0, offset);
    }

    static int[] codePoints(String s) {
        return s.codePoints().toArray();
    }

    /** {@code s[i]} with Python's negative indexes; null when out of range. */
    static String charAt(String s, long i) {
        int n = length(s);
        if (i < 0) i += n;
        if (i < 0 || i >= n) return null;
        int a = offset(s, (int) i);
        return s.substring(a, a + Character.charCount(s.codePointAt(a)));
    }

    // ---- stripping ----

    private static boolean inSet(int c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0 || (Character.isSupplementaryCodePoint(c) && chars.contains(Character.toString(c)));
    }

    static String strip(String s, String chars) {
        return lstrip(rstrip(s, chars), chars);
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int c = s.codePointAt(i);
            if (!inSet(c, chars)) break;
            i += Character.charCount(c);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0) {
            int c = s.codePointBefore(j);
            if (!inSet(c, chars)) break;
            j -= Character.charCount(c);
        }
        return s.substring(0, j);
    }

    static String rstrip(String s) {
        return rstrip(s, null);
    }

    // ---- splitting ----

    /** {@code s.split(sep, maxsplit)}; a null separator splits on runs of whitespace and drops empty parts. */
    static List<String> split(String s, String sep, long maxsplit, int maxParts) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxsplit >= 0 && out.size() >= maxsplit) {
                    out.add(s.substring(i)); // Python keeps the remainder's trailing whitespace
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                checkParts(out, maxParts);
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw EvalError.value("empty separator");
        int i = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int j = s.indexOf(sep, i);
            if (j < 0) break;
            out.add(s.substring(i, j));
            checkParts(out, maxParts);
            i = j + sep.length();
        }
        out.add(s.substring(i));
        return out;
    }

    /** {@code s.rsplit(sep, maxsplit)}. */
    static List<String> rsplit(String s, String sep, long maxsplit, int maxParts) {
        if (maxsplit < 0) return split(s, sep, -1, maxParts);
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && isSpace(s.charAt(j - 1))) j--;
                if (j <= 0) break;
                if (out.size() >= maxsplit) {
                    out.add(s.substring(0, j)); // ... and rsplit its leading whitespace
                    break;
                }
                int i = j;
                while (i > 0 && !isSpace(s.charAt(i - 1))) i--;
                out.add(s.substring(i, j));
                checkParts(out, maxParts);
                j = i;
            }
        } else {
            if (sep.isEmpty()) throw EvalError.value("empty separator");
            int j = s.length();
            while (out.size() < maxsplit) {
                int i = s.lastIndexOf(sep, j - sep.length());
                if (i < 0 || j - sep.length() < 0) break;
                out.add(s.substring(i + sep.length(), j));
                checkParts(out, maxParts);
                j = i;
            }
            out.add(s.substring(0, j));
        }
        java.util.Collections.reverse(out);
        return out;
    }

    private static void checkParts(List<String> parts, int maxParts) {
        if (parts.size() > maxParts) throw EvalError.limit("split into more than " + maxParts + " parts");
    }

    static List<String> splitlines(String s, boolean keepends, int maxParts) {
        List<String> out = new ArrayList<>();
        int i = 0, n = s.length();
        while (i < n) {
            int j = i;
            while (j < n && !isLineBreak(s.charAt(j))) j++;
            int eol = j;
            if (j < n) {
                eol = (s.charAt(j) == '\r' && j + 1 < n && s.charAt(j + 1) == '\n') ? j + 2 : j + 1;
            }
            out.add(s.substring(i, keepends ? eol : j));
            checkParts(out, maxParts);
            i = eol;
        }
        return out;
    }

    // ---- case ----

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    private static boolean cased(int c) {
        return Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
    }

    /** Python's {@code str.title()}: a cased character after an uncased one is title-cased, the rest lower-cased. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (cased(c)) {
                appendCase(sb, c, !prevCased);
                prevCased = true;
            } else {
                sb.appendCodePoint(c);
                prevCased = false;
            }
        }
        return sb.toString();
    }

    private static void appendCase(StringBuilder sb, int c, boolean titleCase) {
        if (titleCase) {
            String up = Character.toString(c).toUpperCase(Locale.ROOT);
            // Title case maps digraphs like "ǆ" to "ǅ"; the upper-case string covers expansions like "ß" -> "SS"
            if (up.codePointCount(0, up.length()) == 1) sb.appendCodePoint(Character.toTitleCase(c));
            else sb.append(up.charAt(0)).append(lower(up.substring(1)));
        } else {
            sb.append(lower(Character.toString(c)));
        }
    }

    /** Python's {@code str.capitalize()}: first character title-cased, the rest lower-cased. */
    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int c = s.codePointAt(0);
        StringBuilder sb = new StringBuilder(s.length());
        appendCase(sb, c, true);
        sb.append(lower(s.substring(Character.charCount(c))));
        return sb.toString();
    }

    static String swapcase(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (Character.isUpperCase(c)) sb.append(lower(Character.toString(c)));
            else if (Character.isLowerCase(c)) sb.append(upper(Character.toString(c)));
            else sb.appendCodePoint(c);
        });
        return sb.toString();
    }

    static boolean isLowerStr(String s) {
        boolean anyCased = false;
        for (int c : codePoints(s)) {
            if (Character.isUpperCase(c) || Character.isTitleCase(c)) return false;
            if (Character.isLowerCase(c)) anyCased = true;
        }
        return anyCased;
    }

    static boolean isUpperStr(String s) {
        boolean anyCased = false;
        for (int c : codePoints(s)) {
            if (Character.isLowerCase(c) || Character.isTitleCase(c)) return false;
            if (Character.isUpperCase(c)) anyCased = true;
        }
        return anyCased;
    }

    // ---- searching ----

    /** Python {@code find} with optional code point bounds; returns a code point index or -1. */
    static long find(String s, String sub, Long start, Long end, boolean reverse) {
        int n = length(s);
        int[] b = bounds(n, start, end);
        if (b[0] > b[1]) return -1;
        int a = offset(s, b[0]), z = offset(s, b[1]);
        String region = s.substring(a, z);
        int idx = reverse ? region.lastIndexOf(sub) : region.indexOf(sub);
        return idx < 0 ? -1 : b[0] + cpIndex(region, idx);
    }

    static long count(String s, String sub, Long start, Long end) {
        int n = length(s);
        int[] b = bounds(n, start, end);
        if (b[0] > b[1]) return 0;
        String region = s.substring(offset(s, b[0]), offset(s, b[1]));
        if (sub.isEmpty()) return length(region) + 1;
        long c = 0;
        for (int i = region.indexOf(sub); i >= 0; i = region.indexOf(sub, i + sub.length())) c++;
        return c;
    }

    /** Python's slice-bound clamping of optional start/end against length n. */
    static int[] bounds(int n, Long start, Long end) {
        long a = start == null ? 0 : start < 0 ? Math.max(0, start + n) : Math.min(start, n);
        long z = end == null ? n : end < 0 ? Math.max(0, end + n) : Math.min(end, n);
        return new int[]{(int) a, (int) z};
    }

    /** {@code s.replace(old, new, count)}; an empty {@code old} inserts {@code new} around every character. */
    static String replace(String s, String old, String rep, long count, long maxChars) {
        if (count < 0) count = Long.MAX_VALUE;
        StringBuilder sb = new StringBuilder();
        if (old.isEmpty()) {
            long done = 0;
            for (int i = 0; i <= s.length(); ) {
                if (done < count) {
                    sb.append(rep);
                    done++;
                }
                if (i == s.length()) break;
                int c = s.codePointAt(i);
                sb.appendCodePoint(c);
                i += Character.charCount(c);
                if (sb.length() > maxChars) throw tooLong(maxChars);
            }
            return sb.toString();
        }
        int i = 0;
        long done = 0;
        while (done < count) {
            int j = s.indexOf(old, i);
            if (j < 0) break;
            sb.append(s, i, j).append(rep);
            if (sb.length() > maxChars) throw tooLong(maxChars);
            i = j + old.length();
            done++;
        }
        sb.append(s, i, s.length());
        if (sb.length() > maxChars) throw tooLong(maxChars);
        return sb.toString();
    }

    static EvalError tooLong(long maxChars) {
        return EvalError.limit("string longer than the limit of " + maxChars + " characters");
    }

    // ---- padding ----

    static String pad(String s, long width, String fill, char align) {
        int n = length(s);
        if (width <= n) return s;
        int total = (int) (width - n);
        int left = switch (align) {
            case '<' -> 0;
            case '>' -> total;
            // Python's str.center puts the extra character on the left when the string length is odd... and width even
            default -> total / 2 + (int) (total & width & 1);
        };
        return fill.repeat(left) + s + fill.repeat(total - left);
    }

    static String zfill(String s, long width) {
        int n = length(s);
        if (width <= n) return s;
        String zeros = "0".repeat((int) (width - n));
        if (!s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) return s.charAt(0) + zeros + s.substring(1);
        return zeros + s;
    }

    // ---- character classes (Python's str.isX: non-empty and every character qualifies) ----

    interface CharTest {
        boolean test(int c);
    }

    static boolean all(String s, CharTest t) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            if (!t.test(c)) return false;
            i += Character.charCount(c);
        }
        return true;
    }

    static boolean isAlpha(int c) {
        return Character.isLetter(c);
    }

    static boolean isDecimal(int c) {
        return Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER;
    }

    static boolean isDigit(int c) {
        return Character.isDigit(c) || (Character.getType(c) == Character.OTHER_NUMBER && Character.getNumericValue(c) >= 0 && Character.getNumericValue(c) <= 9);
    }

    static boolean isNumeric(int c) {
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    static boolean isAlnum(int c) {
        return isAlpha(c) || isNumeric(c);
    }

    /** Python's {@code str.isprintable()} for one character (used by repr). */
    static boolean isPrintable(int c) {
        if (c == ' ') return true;
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }
}
