package io.jlama.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits template source into text and tag tokens, applying jinja2's whitespace control the way transformers
 * configures it ({@code trim_blocks=True}, {@code lstrip_blocks=True}, {@code keep_trailing_newline=False}):
 * <ul>
 * <li>{@code {%-}, {@code {{-}, {@code {#-} strip all whitespace before the tag; {@code -%}}, {@code -}}},
 * {@code -#}} strip all whitespace after it;</li>
 * <li>trim_blocks: one newline right after {@code %}} or {@code #}} is dropped (not after {@code }}}), unless the tag
 * ends with {@code +%}};</li>
 * <li>lstrip_blocks: spaces and tabs between the start of a line and {@code {%} or {@code {#} are dropped, unless the
 * tag starts with {@code {%+}. "Start of a line" includes the position right after a tag whose own trimming ended on
 * a newline, which is how jinja2 decides it;</li>
 * <li>line endings are normalised to {@code \n} and a single trailing newline is dropped (see {@link #normalize}).</li>
 * </ul>
 * Inside a tag the expression is tokenised too; a closing delimiter only counts outside brackets, so
 * {@code {{ {'a': {'b': 1}} }}} works.
 */
final class Lexer {
    enum Type { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Type type, String text, Value value, int line) {
        boolean is(Type t, String s) {
            return type == t && text.equals(s);
        }

        boolean isOp(String s) {
            return type == Type.OP && text.equals(s);
        }

        boolean isName(String s) {
            return type == Type.NAME && text.equals(s);
        }

        String describe() {
            return switch (type) {
                case EOF -> "end of template";
                case VAR_END -> "end of print statement";
                case BLOCK_END -> "end of statement block";
                case TEXT -> "template data";
                default -> "'" + text + "'";
            };
        }
    }

    private static final String[] OPERATORS = {"**", "//", "==", "!=", ">=", "<=", "+", "-", "*", "/", "%", "~", "[", "]",
            "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};

    private final String src;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private int line = 1;
    /** True when the last thing consumed ended a line, so lstrip_blocks may strip the next text's indentation. */
    private boolean lineStarting = true;

    private Lexer(String src) {
        this.src = src;
    }

    static List<Token> tokenize(String source) {
        Lexer lx = new Lexer(normalize(source));
        lx.run();
        return lx.out;
    }

    /**
     * jinja2 normalises {@code \r\n} and {@code \r} to {@code \n} (other Unicode line separators stay as they are)
     * and, with keep_trailing_newline=False, drops one final line break.
     */
    static String normalize(String s) {
        String r = s.indexOf('\r') < 0 ? s : s.replace("\r\n", "\n").replace('\r', '\n');
        return r.endsWith("\n") ? r.substring(0, r.length() - 1) : r;
    }

    private EvalError error(String msg) {
        return EvalError.syntax(msg, line);
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int start = nextTagStart(pos);
            if (start < 0) {
                emitText(src.substring(pos));
                pos = n;
                break;
            }
            char kind = src.charAt(start + 1);
            int afterOpen = start + 2;
            char mod = afterOpen < n ? src.charAt(afterOpen) : 0;
            boolean stripBefore = mod == '-';
            boolean keepIndent = mod == '+' && kind != '{'; // {{+ is a unary plus, not a modifier
            if (stripBefore || keepIndent) afterOpen++;

            String text = src.substring(pos, start);
            if (stripBefore) {
                text = PyStrings.rstrip(text);
            } else if (!keepIndent && kind != '{') {
                text = lstripBlock(text);
            }
            emitText(text);
            line += countNewlines(pos, start);
            pos = afterOpen;

            switch (kind) {
                case '#' -> comment();
                case '%' -> {
                    if (!rawBlock()) tag(Type.BLOCK_BEGIN, Type.BLOCK_END, "%}");
                }
                default -> tag(Type.VAR_BEGIN, Type.VAR_END, "}}");
            }
        }
        out.add(new Token(Type.EOF, "", null, line));
    }

    /** lstrip_blocks: drop the indentation before a block or comment tag that starts its line. */
    private String lstripBlock(String text) {
        int lineStart = text.lastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) return text;
        for (int i = lineStart; i < text.length(); i++) {
            if (!PyStrings.isSpace(text.charAt(i))) return text;
        }
        return text.substring(0, lineStart);
    }

    private int nextTagStart(int from) {
        int n = src.length();
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < n; i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    private void emitText(String text) {
        if (!text.isEmpty()) out.add(new Token(Type.TEXT, text, null, line));
    }

    private int countNewlines(int from, int to) {
        int c = 0;
        for (int i = from; i < to; i++) if (src.charAt(i) == '\n') c++;
        return c;
    }

    /** After a closing delimiter: {@code -} strips all whitespace; otherwise trim_blocks drops one newline. */
    private void afterClose(boolean strip, boolean trimNewline) {
        int n = src.length();
        int from = pos;
        if (strip) {
            while (pos < n && PyStrings.isSpace(src.charAt(pos))) pos++;
        } else if (trimNewline && pos < n && src.charAt(pos) == '\n') {
            pos++;
        }
        line += countNewlines(from, pos);
        // jinja2 looks at whether the whole closing match ended with a newline; a bare "}}" or "%}" does not
        lineStarting = pos > from && src.charAt(pos - 1) == '\n';
    }

    private void comment() {
        int end = src.indexOf("#}", pos);
        if (end < 0) throw error("missing end of comment tag");
        boolean strip = end > pos && src.charAt(end - 1) == '-';
        line += countNewlines(pos, end);
        pos = end + 2;
        afterClose(strip, true);
    }

    /** {@code {% raw %}...{% endraw %}}: the content is text, never interpreted. Returns false when not a raw tag. */
    private boolean rawBlock() {
        int p = skipSpaces(pos);
        if (!src.startsWith("raw", p) || (p + 3 < src.length() && PyStrings.isIdentPart(src.charAt(p + 3)))) return false;
        p = skipSpaces(p + 3);
        boolean strip;
        if (src.startsWith("-%}", p)) {
            strip = true;
            p += 3;
        } else if (src.startsWith("%}", p)) {
            strip = false;
            p += 2;
        } else {
            return false;
        }
        line += countNewlines(pos, p);
        pos = p;
        afterClose(strip, true);
        // find {%[-+]? endraw [-+]?%}
        int search = pos;
        while (true) {
            int t = src.indexOf("{%", search);
            if (t < 0) throw error("missing end of raw directive");
            int q = t + 2;
            char mod = q < src.length() ? src.charAt(q) : 0;
            if (mod == '-' || mod == '+') q++;
            q = skipSpaces(q);
            if (src.startsWith("endraw", q)) {
                int r = skipSpaces(q + 6);
                boolean endStrip = src.startsWith("-%}", r);
                boolean endKeep = src.startsWith("+%}", r);
                if (endStrip || endKeep || src.startsWith("%}", r)) {
                    String body = src.substring(pos, t);
                    body = mod == '-' ? PyStrings.rstrip(body) : mod == '+' ? body : lstripBlock(body);
                    emitText(body);
                    line += countNewlines(pos, r);
                    pos = r + (endStrip || endKeep ? 3 : 2);
                    afterClose(endStrip, !endKeep);
                    return true;
                }
            }
            search = t + 2;
        }
    }

    private int skipSpaces(int p) {
        while (p < src.length() && PyStrings.isSpace(src.charAt(p))) p++;
        return p; // newlines in the skipped range are counted by the caller
    }

    /** Tokenises the expression inside a tag up to its closing delimiter (outside any brackets). */
    private void tag(Type begin, Type end, String close) {
        out.add(new Token(begin, begin == Type.VAR_BEGIN ? "{{" : "{%", null, line));
        int depth = 0;
        int n = src.length();
        while (true) {
            while (pos < n && PyStrings.isSpace(src.charAt(pos))) {
                if (src.charAt(pos) == '\n') line++;
                pos++;
            }
            if (pos >= n) throw error("unexpected end of template, expected '" + close + "'");
            if (depth == 0) {
                if (src.startsWith("-" + close, pos)) {
                    out.add(new Token(end, close, null, line));
                    pos += 3;
                    afterClose(true, false);
                    return;
                }
                if (end == Type.BLOCK_END && src.startsWith("+" + close, pos)) {
                    out.add(new Token(end, close, null, line));
                    pos += 3;
                    afterClose(false, false);
                    return;
                }
                if (src.startsWith(close, pos)) {
                    out.add(new Token(end, close, null, line));
                    pos += 2;
                    afterClose(false, end == Type.BLOCK_END);
                    return;
                }
            }
            char c = src.charAt(pos);
            if (c == '\'' || c == '"') {
                string(c);
            } else if (c >= '0' && c <= '9') {
                number();
            } else if (PyStrings.isIdentStart(c)) {
                int s = pos;
                while (pos < n && PyStrings.isIdentPart(src.charAt(pos))) pos++;
                out.add(new Token(Type.NAME, src.substring(s, pos), null, line));
            } else {
                String op = null;
                for (String o : OPERATORS) {
                    if (src.startsWith(o, pos)) {
                        op = o;
                        break;
                    }
                }
                if (op == null) throw error("unexpected char '" + c + "'");
                if (op.equals("(") || op.equals("[") || op.equals("{")) depth++;
                else if (op.equals(")") || op.equals("]") || op.equals("}")) {
                    if (depth == 0) throw error("unexpected '" + op + "'");
                    depth--;
                }
                out.add(new Token(Type.OP, op, null, line));
                pos += op.length();
            }
        }
    }

    private void number() {
        int n = src.length();
        int s = pos;
        if (src.charAt(pos) == '0' && pos + 1 < n && "xXoObB".indexOf(src.charAt(pos + 1)) >= 0) {
            char k = Character.toLowerCase(src.charAt(pos + 1));
            int radix = k == 'x' ? 16 : k == 'o' ? 8 : 2;
            pos += 2;
            int ds = pos;
            while (pos < n && (Character.digit(src.charAt(pos), radix) >= 0 || src.charAt(pos) == '_')) pos++;
            String digits = src.substring(ds, pos).replace("_", "");
            if (digits.isEmpty()) throw error("invalid number literal");
            out.add(new Token(Type.INT, src.substring(s, pos), parseInt(digits, radix), line));
            return;
        }
        digits();
        boolean isFloat = false;
        if (pos + 1 < n && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            pos++;
            digits();
            isFloat = true;
        }
        if (pos < n && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int e = pos + 1;
            if (e < n && (src.charAt(e) == '+' || src.charAt(e) == '-')) e++;
            if (e < n && Character.isDigit(src.charAt(e))) {
                pos = e;
                digits();
                isFloat = true;
            }
        }
        String text = src.substring(s, pos);
        String clean = text.replace("_", "");
        if (isFloat) out.add(new Token(Type.FLOAT, text, new Value.Flt(Double.parseDouble(clean)), line));
        else out.add(new Token(Type.INT, text, parseInt(clean, 10), line));
    }

    private Value parseInt(String digits, int radix) {
        try {
            return Value.Int.of(Long.parseLong(digits, radix));
        } catch (NumberFormatException e) {
            throw error("integer literal too large: " + digits);
        }
    }

    private void digits() {
        int n = src.length();
        while (pos < n && (Character.isDigit(src.charAt(pos)) || (src.charAt(pos) == '_' && pos + 1 < n && Character.isDigit(src.charAt(pos + 1))))) pos++;
    }

    /** A quoted string with Python's escapes (jinja2 decodes them with {@code unicode-escape}). */
    private void string(char quote) {
        int n = src.length();
        int startLine = line;
        StringBuilder sb = new StringBuilder();
        int p = pos + 1;
        while (true) {
            if (p >= n) {
                line = startLine;
                throw error("unexpected end of string");
            }
            char c = src.charAt(p);
            if (c == quote) break;
            if (c == '\n') line++;
            if (c != '\\' || p + 1 >= n) {
                sb.append(c);
                p++;
                continue;
            }
            char e = src.charAt(p + 1);
            p += 2;
            switch (e) {
                case '\n' -> line++; // line continuation
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000b');
                case 'x' -> p = hexEscape(sb, p, 2);
                case 'u' -> p = hexEscape(sb, p, 4);
                case 'U' -> p = hexEscape(sb, p, 8);
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int k = 0; k < 2 && p < n && src.charAt(p) >= '0' && src.charAt(p) <= '7'; k++) v = v * 8 + (src.charAt(p++) - '0');
                        sb.appendCodePoint(v);
                    } else {
                        sb.append('\\').append(e); // unknown escapes stay as written, as in Python
                    }
                }
            }
        }
        out.add(new Token(Type.STRING, src.substring(pos, p + 1), Value.Str.of(sb.toString()), startLine));
        pos = p + 1;
    }

    private int hexEscape(StringBuilder sb, int p, int len) {
        if (p + len > src.length()) throw error("truncated \\x/\\u escape in string");
        int v;
        try {
            v = Integer.parseUnsignedInt(src.substring(p, p + len), 16);
        } catch (NumberFormatException ex) {
            throw error("truncated \\x/\\u escape in string");
        }
        if (v > 0x10FFFF) throw error("illegal Unicode character in string");
        sb.appendCodePoint(v);
        return p + len;
    }
}
