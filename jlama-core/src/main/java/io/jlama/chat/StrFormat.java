package io.jlama.chat;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Python's {@code str.format} and format-spec mini-language ({@code '{:>8}'.format(x)}, {@code '{0[name]}'},
 * {@code '{:.2f}'}). Field lookups go through {@link Access}, so the sandbox rules hold inside format strings too.
 */
final class StrFormat {
    private StrFormat() {
    }

    static String format(Interpreter in, String fmt, List<Value> args, Map<String, Value> kwargs) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        boolean manual = false;
        int n = fmt.length();
        for (int i = 0; i < n; i++) {
            char c = fmt.charAt(i);
            if (c == '}') {
                if (i + 1 < n && fmt.charAt(i + 1) == '}') {
                    sb.append('}');
                    i++;
                    continue;
                }
                throw EvalError.value("Single '}' encountered in format string");
            }
            if (c != '{') {
                sb.append(c);
                continue;
            }
            if (i + 1 < n && fmt.charAt(i + 1) == '{') {
                sb.append('{');
                i++;
                continue;
            }
            // find the matching close brace (the spec may hold one level of nested fields)
            int depth = 1, j = i + 1;
            while (j < n && depth > 0) {
                char d = fmt.charAt(j);
                if (d == '{') depth++;
                else if (d == '}') depth--;
                if (depth > 0) j++;
            }
            if (j >= n) throw EvalError.value("expected '}' before end of string");
            String field = fmt.substring(i + 1, j);
            i = j;
            String spec = "";
            char conv = 0;
            int colon = indexOutsideBrackets(field, ':');
            if (colon >= 0) {
                spec = field.substring(colon + 1);
                field = field.substring(0, colon);
            }
            int bang = indexOutsideBrackets(field, '!');
            if (bang >= 0) {
                if (bang + 2 != field.length()) throw EvalError.value("expected ':' after conversion specifier");
                conv = field.charAt(bang + 1);
                field = field.substring(0, bang);
            }
            if (spec.indexOf('{') >= 0) spec = format(in, spec, args, kwargs);
            long max = in.maxChars();
            // the argument: auto-numbered, by index, or by name, then .attr / [key] steps
            int end = 0;
            while (end < field.length() && field.charAt(end) != '.' && field.charAt(end) != '[') end++;
            String head = field.substring(0, end);
            Value v;
            if (head.isEmpty()) {
                if (manual) throw EvalError.value("cannot switch from manual field specification to automatic field numbering");
                v = positional(args, auto++);
            } else if (head.chars().allMatch(Character::isDigit)) {
                manual = true;
                v = positional(args, Integer.parseInt(head));
            } else {
                v = kwargs.get(head);
                if (v == null) throw new EvalError(TemplateException.Kind.RUNTIME, "KeyError: " + PyFormat.quote(head));
            }
            v = walk(v, field.substring(end));
            String text = switch (conv) {
                case 0, 's' -> null;
                case 'r', 'a' -> PyFormat.repr(v, max);
                default -> throw EvalError.value("Unknown conversion specifier " + conv);
            };
            if (text != null) v = Value.Str.of(text);
            sb.append(formatValue(v, spec, max));
            in.checkLength(sb.length());
        }
        return sb.toString();
    }

    private static int indexOutsideBrackets(String s, char target) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == target && depth == 0) return i;
        }
        return -1;
    }

    private static Value positional(List<Value> args, int i) {
        if (i >= args.size()) throw new EvalError(TemplateException.Kind.RUNTIME, "IndexError: Replacement index " + i + " out of range for positional args tuple");
        return args.get(i);
    }

    private static Value walk(Value v, String path) {
        int i = 0;
        while (i < path.length()) {
            char c = path.charAt(i);
            if (c == '.') {
                int j = i + 1;
                while (j < path.length() && path.charAt(j) != '.' && path.charAt(j) != '[') j++;
                v = Access.getattr(v, path.substring(i + 1, j));
                i = j;
            } else {
                int j = path.indexOf(']', i);
                if (j < 0) throw EvalError.value("Missing ']' in format string");
                String key = path.substring(i + 1, j);
                Value k = !key.isEmpty() && key.chars().allMatch(Character::isDigit) ? Value.Int.of(Long.parseLong(key)) : Value.Str.of(key);
                v = Access.getitem(v, k);
                i = j + 1;
            }
            if (v instanceof Value.Undefined u) throw u.error();
        }
        return v;
    }

    /** {@code format(v, spec)}: fill, align, sign, zero padding, width, grouping, precision and type. */
    static String formatValue(Value v, String spec, long maxChars) {
        if (spec.isEmpty()) return PyFormat.str(v, maxChars);
        int i = 0, n = spec.length();
        char fill = ' ', align = 0;
        if (n >= 2 && "<>^=".indexOf(spec.charAt(1)) >= 0) {
            fill = spec.charAt(0);
            align = spec.charAt(1);
            i = 2;
        } else if ("<>^=".indexOf(spec.charAt(0)) >= 0) {
            align = spec.charAt(0);
            i = 1;
        }
        char sign = '-';
        if (i < n && "+- ".indexOf(spec.charAt(i)) >= 0) sign = spec.charAt(i++);
        boolean alt = false;
        if (i < n && spec.charAt(i) == '#') {
            alt = true;
            i++;
        }
        if (i < n && spec.charAt(i) == '0') {
            if (align == 0) {
                fill = '0';
                align = '=';
            }
            i++;
        }
        long width = 0;
        while (i < n && Character.isDigit(spec.charAt(i))) width = Math.min(Long.MAX_VALUE / 20, width * 10 + (spec.charAt(i++) - '0'));
        char grouping = 0;
        if (i < n && (spec.charAt(i) == ',' || spec.charAt(i) == '_')) grouping = spec.charAt(i++);
        int prec = -1;
        if (i < n && spec.charAt(i) == '.') {
            i++;
            prec = 0;
            while (i < n && Character.isDigit(spec.charAt(i))) prec = Math.min(Integer.MAX_VALUE / 20, prec * 10 + (spec.charAt(i++) - '0'));
        }
        char type = i < n ? spec.charAt(i++) : 0;
        if (i != n) throw EvalError.value("Invalid format specifier '" + spec + "'");
        PyFormat.checkWidth(width, maxChars);

        String body;
        boolean numeric = Operators.isNumber(v);
        if (v instanceof Value.Str s) {
            if (type != 0 && type != 's') throw EvalError.value("Unknown format code '" + type + "' for object of type 'str'");
            body = s.value();
            if (prec >= 0 && PyStrings.length(body) > prec) body = body.substring(0, PyStrings.offset(body, prec));
            if (align == 0) align = '<';
        } else if (numeric) {
            boolean isFloat = v instanceof Value.Flt;
            if (type == 0 && !isFloat && !(v instanceof Value.Bool && prec < 0 && grouping == 0 && sign == '-')) type = 'd';
            if (v instanceof Value.Bool && type == 0) {
                body = PyFormat.str(v, maxChars);
            } else if ("dbxXoc".indexOf(type) >= 0 && type != 0) {
                if (isFloat) throw EvalError.value("Unknown format code '" + type + "' for object of type 'float'");
                long x = Operators.asLong(v);
                long ax = Math.abs(x);
                body = switch (type) {
                    case 'b' -> (alt ? "0b" : "") + Long.toBinaryString(ax);
                    case 'x' -> (alt ? "0x" : "") + Long.toHexString(ax);
                    case 'X' -> (alt ? "0X" : "") + Long.toHexString(ax).toUpperCase(Locale.ROOT);
                    case 'o' -> (alt ? "0o" : "") + Long.toOctalString(ax);
                    case 'c' -> PyFormat.codePoint(x);
                    default -> group(Long.toString(ax), grouping);
                };
                if (x < 0) body = "-" + body;
            } else {
                double d = Operators.toDouble(v);
                String t;
                if (type == 0) {
                    t = prec < 0 ? PyFormat.floatRepr(d) : PyFormat.formatFloat(d, 'g', prec);
                } else if (type == '%') {
                    t = PyFormat.formatFloat(d * 100, 'f', prec < 0 ? 6 : prec) + "%";
                } else if ("eEfFgGn".indexOf(type) >= 0) {
                    t = PyFormat.formatFloat(d, type == 'n' ? 'g' : type, prec < 0 ? 6 : prec);
                } else {
                    throw EvalError.value("Unknown format code '" + type + "' for object of type '" + v.typeName() + "'");
                }
                if (grouping != 0 && !t.startsWith("-") && Character.isDigit(t.charAt(0))) {
                    int dot = t.indexOf('.');
                    String ip = dot < 0 ? t : t.substring(0, dot);
                    t = group(ip, grouping) + (dot < 0 ? "" : t.substring(dot));
                }
                body = t;
            }
            if (!body.startsWith("-")) {
                if (sign == '+') body = "+" + body;
                else if (sign == ' ') body = " " + body;
            }
            if (align == 0) align = '>';
        } else {
            throw EvalError.type("unsupported format string passed to " + v.typeName() + ".__format__");
        }
        int len = PyStrings.length(body);
        if (width <= len) return body;
        String f = String.valueOf(fill);
        if (align == '=') {
            int signLen = !body.isEmpty() && (body.charAt(0) == '-' || body.charAt(0) == '+' || body.charAt(0) == ' ') ? 1 : 0;
            return body.substring(0, signLen) + f.repeat((int) (width - len)) + body.substring(signLen);
        }
        if (align == '^') {
            int total = (int) (width - len), left = total / 2;
            return f.repeat(left) + body + f.repeat(total - left);
        }
        return PyStrings.pad(body, width, f, align);
    }

    private static String group(String digits, char sep) {
        if (sep == 0 || digits.length() <= 3) return digits;
        StringBuilder sb = new StringBuilder();
        int first = digits.length() % 3;
        if (first > 0) sb.append(digits, 0, first);
        for (int i = first; i < digits.length(); i += 3) {
            if (sb.length() > 0) sb.append(sep);
            sb.append(digits, i, i + 3);
        }
        return sb.toString();
    }
}
