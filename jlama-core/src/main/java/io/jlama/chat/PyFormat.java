package io.jlama.chat;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;

/**
 * How Python turns values into text: {@code str()} (what {@code {{ x }}} prints), {@code repr()} (what a value
 * looks like inside a printed list or dict, and the {@code string} filter on containers: Apriel renders
 * {@code tool|string}), and the shortest round-tripping float repr ({@code 1.0}, {@code 1e-05}, {@code 1e+16}).
 */
final class PyFormat {
    private PyFormat() {
    }

    /** Short enough for any message: reprs in error texts are cut to this length. */
    private static final int BRIEF = 200;

    /**
     * Python {@code str(v)}; Undefined prints as nothing. A container's repr fails with a LIMIT error once it passes
     * {@code maxChars}, so a list holding the same 9 MB string a million times never gets built.
     */
    static String str(Value v, long maxChars) {
        return switch (v) {
            case Value.Str s -> s.value();
            case Value.Undefined u -> "";
            default -> repr(v, maxChars);
        };
    }

    static String repr(Value v, long maxChars) {
        Repr r = new Repr(maxChars, false);
        r.write(v);
        return r.sb.toString();
    }

    /** The {@code pprint} filter: repr with dict keys sorted, as Python's pprint does (without its line wrapping). */
    static String pprint(Value v, long maxChars) {
        Repr r = new Repr(maxChars, true);
        r.write(v);
        return r.sb.toString();
    }

    /** A repr for error messages and other short texts: at most about 200 characters. */
    static String brief(Value v) {
        Repr r = new Repr(BRIEF, false);
        try {
            r.write(v);
            return r.sb.toString();
        } catch (EvalError tooLong) {
            return r.sb.substring(0, BRIEF) + "...";
        }
    }

    /** One repr in progress: the output, the namespaces being printed (to stop cycles) and the size bound. */
    private static final class Repr {
        final StringBuilder sb = new StringBuilder();
        final IdentityHashMap<Object, Boolean> active = new IdentityHashMap<>();
        final long max;
        final boolean sortDicts;

        Repr(long max, boolean sortDicts) {
            this.max = max;
            this.sortDicts = sortDicts;
        }

        void write(Value v) {
            switch (v) {
                case Value.Str s -> quote(s.value(), sb, s.safe());
                case Value.Int i -> sb.append(i.value());
                case Value.Flt f -> sb.append(floatRepr(f.value()));
                case Value.Bool b -> sb.append(b.value() ? "True" : "False");
                case Value.None n -> sb.append("None");
                case Value.Undefined u -> sb.append("Undefined");
                case Value.ListV l -> {
                    sb.append(l.tuple() ? '(' : '[');
                    List<Value> items = l.items();
                    for (int i = 0; i < items.size(); i++) {
                        if (i > 0) sb.append(", ");
                        write(items.get(i));
                    }
                    if (l.tuple() && items.size() == 1) sb.append(',');
                    sb.append(l.tuple() ? ')' : ']');
                }
                case Value.Dict d -> {
                    List<Value[]> entries = new java.util.ArrayList<>();
                    for (Value[] e : d.entries()) entries.add(e);
                    if (sortDicts) entries.sort((x, y) -> safeCompare(x[0], y[0]));
                    sb.append('{');
                    for (int i = 0; i < entries.size(); i++) {
                        if (i > 0) sb.append(", ");
                        write(entries.get(i)[0]);
                        sb.append(": ");
                        write(entries.get(i)[1]);
                    }
                    sb.append('}');
                }
                case Value.Namespace ns -> {
                    // a namespace can hold itself ({% set ns.me = ns %}); Python prints the repeat as {...}
                    if (active.put(ns, Boolean.TRUE) != null) {
                        sb.append("<Namespace {...}>");
                        return;
                    }
                    sb.append("<Namespace {");
                    boolean first = true;
                    for (var e : ns.attrs.entrySet()) {
                        if (!first) sb.append(", ");
                        first = false;
                        quote(e.getKey(), sb, false);
                        sb.append(": ");
                        write(e.getValue());
                    }
                    sb.append("}>");
                    active.remove(ns);
                }
                case Value.Range r -> {
                    sb.append("range(").append(r.start()).append(", ").append(r.stop());
                    if (r.step() != 1) sb.append(", ").append(r.step());
                    sb.append(')');
                }
                case Value.Iter it -> {
                    if (it.reusable()) {
                        // dict views print their contents: dict_items([('a', 1)])
                        sb.append(it.typeName()).append('(');
                        write(Value.ListV.of(it.peekAll()));
                        sb.append(')');
                    } else {
                        sb.append("<").append(it.typeName()).append(" object>");
                    }
                }
                case Value.Callable c -> sb.append(c.describe());
                case Value.Obj o -> sb.append(o.describe());
            }
            if (sb.length() > max) throw PyStrings.tooLong(max);
        }
    }

    /** Orders keys of mixed types the way pprint's safe key does: by value when comparable, else by type name. */
    private static int safeCompare(Value a, Value b) {
        try {
            return Operators.compare(a, b, "<");
        } catch (EvalError e) {
            int byType = a.typeName().compareTo(b.typeName());
            return byType != 0 ? byType : brief(a).compareTo(brief(b));
        }
    }

    /** Python's repr of a string: single quotes unless the text has ' and no ", escapes for the unprintable. */
    static void quote(String s, StringBuilder sb, boolean markup) {
        if (markup) sb.append("Markup(");
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(q);
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (c == q || c == '\\') sb.append('\\').appendCodePoint(c);
            else if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (c < 0x20 || c == 0x7F) sb.append(String.format("\\x%02x", c));
            else if (c < 0x7F || PyStrings.isPrintable(c)) sb.appendCodePoint(c);
            else if (c <= 0xFF) sb.append(String.format("\\x%02x", c));
            else if (c <= 0xFFFF) sb.append(String.format("\\u%04x", c));
            else sb.append(String.format("\\U%08x", c));
        }
        sb.append(q);
        if (markup) sb.append(')');
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        quote(s, sb, false);
        return sb.toString();
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that round-trip (Java's {@link Double#toString} finds the
     * same digits since JDK 19), laid out as Python does: positional for exponents -4..15, else {@code 1e+16}.
     */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exp = digits.length() - bd.scale(); // value = 0.DIGITS * 10^exp
        StringBuilder sb = new StringBuilder();
        if (d < 0) sb.append('-');
        if (exp > -4 && exp <= 16) {
            if (exp <= 0) {
                sb.append("0.").append("0".repeat(-exp)).append(digits);
            } else if (exp >= digits.length()) {
                sb.append(digits).append("0".repeat(exp - digits.length())).append(".0");
            } else {
                sb.append(digits, 0, exp).append('.').append(digits, exp, digits.length());
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) sb.append('.').append(digits, 1, digits.length());
            int e = exp - 1;
            sb.append('e').append(e < 0 ? '-' : '+');
            if (Math.abs(e) < 10) sb.append('0');
            sb.append(Math.abs(e));
        }
        return sb.toString();
    }

    // ---- printf-style formatting: "%s" % x and the format filter ----

    /** Python's {@code fmt % args}; {@code args} is a tuple's items, one value, or a dict for {@code %(name)s}. */
    static String percent(String fmt, Value args, long maxChars) {
        List<Value> positional = args instanceof Value.ListV l && l.tuple() ? l.items() : List.of(args);
        Value.Dict named = args instanceof Value.Dict d ? d : null;
        StringBuilder sb = new StringBuilder();
        int argi = 0;
        int n = fmt.length();
        for (int i = 0; i < n; i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (++i >= n) throw EvalError.value("incomplete format");
            Value arg = null;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (close < 0 || named == null) throw EvalError.type("format requires a mapping");
                Value got = named.get(fmt.substring(i + 1, close));
                if (got == null) throw new EvalError(TemplateException.Kind.RUNTIME, "KeyError: " + quote(fmt.substring(i + 1, close)));
                arg = got;
                i = close + 1;
            }
            StringBuilder flags = new StringBuilder();
            while (i < n && "-+ #0".indexOf(fmt.charAt(i)) >= 0) flags.append(fmt.charAt(i++));
            long width = -1, prec = -1;
            int s = i;
            while (i < n && Character.isDigit(fmt.charAt(i))) i++;
            if (i > s) width = parseBounded(fmt.substring(s, i));
            if (i < n && fmt.charAt(i) == '.') {
                s = ++i;
                while (i < n && Character.isDigit(fmt.charAt(i))) i++;
                prec = i > s ? parseBounded(fmt.substring(s, i)) : 0;
            }
            if (i >= n) throw EvalError.value("incomplete format");
            checkWidth(width, maxChars);
            char conv = fmt.charAt(i);
            if (conv == '%') {
                sb.append('%');
                continue;
            }
            if (arg == null) {
                if (argi >= positional.size()) throw EvalError.type("not enough arguments for format string");
                arg = positional.get(argi++);
            }
            String body = switch (conv) {
                case 's' -> str(arg, maxChars);
                case 'r', 'a' -> repr(arg, maxChars);
                case 'd', 'i', 'u' -> Long.toString(Operators.toLongForFormat(arg, conv));
                case 'x' -> Long.toHexString(Operators.toLongForFormat(arg, conv));
                case 'X' -> Long.toHexString(Operators.toLongForFormat(arg, conv)).toUpperCase(Locale.ROOT);
                case 'o' -> Long.toOctalString(Operators.toLongForFormat(arg, conv));
                case 'f', 'F', 'e', 'E', 'g', 'G' -> formatFloat(Operators.toDouble(arg), conv, prec < 0 ? 6 : (int) prec);
                case 'c' -> arg instanceof Value.Str cs ? cs.value() : codePoint(Operators.toLongForFormat(arg, conv));
                default -> throw EvalError.value("unsupported format character '" + conv + "'");
            };
            if ((conv == 's' || conv == 'r') && prec >= 0 && PyStrings.length(body) > prec) body = body.substring(0, PyStrings.offset(body, (int) prec));
            String f = flags.toString();
            if ("diufFeEgGxXo".indexOf(conv) >= 0 && !body.startsWith("-")) {
                if (f.contains("+")) body = "+" + body;
                else if (f.contains(" ")) body = " " + body;
            }
            if (width > 0) {
                if (f.contains("-")) body = PyStrings.pad(body, width, " ", '<');
                else if (f.contains("0") && "diufFeEgGxXo".indexOf(conv) >= 0) body = PyStrings.zfill(body, width);
                else body = PyStrings.pad(body, width, " ", '>');
            }
            sb.append(body);
            if (sb.length() > maxChars) throw PyStrings.tooLong(maxChars);
        }
        if (named == null && argi < positional.size()) throw EvalError.type("not all arguments converted during string formatting");
        return sb.toString();
    }

    static String codePoint(long c) {
        if (c < 0 || c > Character.MAX_CODE_POINT) throw EvalError.runtime("OverflowError: %c arg not in range(0x110000)");
        return Character.toString((int) c);
    }

    private static long parseBounded(String digits) {
        return digits.length() > 15 ? Long.MAX_VALUE / 2 : Long.parseLong(digits);
    }

    /** Digits beyond this precision are refused: nobody needs them and building them costs time. */
    static final int MAX_PRECISION = 1000;

    static void checkWidth(long width, long maxChars) {
        if (width > maxChars) throw PyStrings.tooLong(maxChars);
    }

    /** Fixed, exponent and general float formats ({@code %.2f}, {@code {:.3e}}...), rounded half-even on the exact value. */
    static String formatFloat(double d, char conv, int prec) {
        if (prec > MAX_PRECISION) throw EvalError.limit("float format precision above " + MAX_PRECISION);
        if (Double.isNaN(d)) return Character.isUpperCase(conv) ? "NAN" : "nan";
        if (Double.isInfinite(d)) return (d < 0 ? "-" : "") + (Character.isUpperCase(conv) ? "INF" : "inf");
        switch (conv) {
            case 'f', 'F' -> {
                String r = new BigDecimal(d).setScale(prec, RoundingMode.HALF_EVEN).toPlainString();
                // BigDecimal has no negative zero; Python keeps the sign ('%.1f' % -0.04 is '-0.0')
                return (d < 0 || 1 / d < 0) && !r.startsWith("-") ? "-" + r : r;
            }
            case 'e', 'E' -> {
                String r = expFormat(d, prec);
                return conv == 'E' ? r.toUpperCase(Locale.ROOT) : r;
            }
            default -> {
                int p = prec == 0 ? 1 : prec;
                if (d == 0) return (1 / d < 0) ? "-0" : "0";
                BigDecimal rounded = new BigDecimal(d).round(new java.math.MathContext(p, RoundingMode.HALF_EVEN));
                int exp = rounded.precision() - rounded.scale() - 1;
                String r;
                if (exp < -4 || exp >= p) {
                    r = expFormat(d, p - 1);
                    int e = r.indexOf('e');
                    String mant = r.substring(0, e);
                    if (mant.contains(".")) mant = mant.replaceAll("0+$", "").replaceAll("\\.$", "");
                    r = mant + r.substring(e);
                } else {
                    r = rounded.setScale(Math.max(0, p - 1 - exp), RoundingMode.HALF_EVEN).toPlainString();
                    if (r.contains(".")) r = r.replaceAll("0+$", "").replaceAll("\\.$", "");
                }
                return conv == 'G' ? r.toUpperCase(Locale.ROOT) : r;
            }
        }
    }

    private static String expFormat(double d, int prec) {
        if (d == 0) return (1 / d < 0 ? "-" : "") + (prec > 0 ? "0." + "0".repeat(prec) : "0") + "e+00";
        BigDecimal bd = new BigDecimal(d).round(new java.math.MathContext(prec + 1, RoundingMode.HALF_EVEN));
        String digits = bd.unscaledValue().abs().toString();
        while (digits.length() < prec + 1) digits += "0";
        digits = digits.substring(0, prec + 1);
        int exp = bd.precision() - bd.scale() - 1;
        StringBuilder sb = new StringBuilder();
        if (bd.signum() < 0) sb.append('-');
        sb.append(digits.charAt(0));
        if (prec > 0) sb.append('.').append(digits, 1, digits.length());
        sb.append('e').append(exp < 0 ? '-' : '+');
        if (Math.abs(exp) < 10) sb.append('0');
        sb.append(Math.abs(exp));
        return sb.toString();
    }
}
