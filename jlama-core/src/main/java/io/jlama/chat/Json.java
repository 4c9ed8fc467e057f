package io.jlama.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code tojson} filter as transformers overrides it: Python's {@code json.dumps(x, ensure_ascii=False,
 * indent=..., separators=..., sort_keys=...)}. That means no HTML escaping, {@code ", "} and {@code ": "} as default
 * separators ({@code ","} between items when indenting), non-ASCII kept as is, Python float reprs, and a TypeError
 * for anything that is not plain data (Undefined, generators from {@code map}, namespaces...).
 */
final class Json {
    private static final int MAX_DEPTH = 1000;
    private final Interpreter in;
    private final boolean ensureAscii;
    private final String indent; // null: single line
    private final String itemSep;
    private final String keySep;
    private final boolean sortKeys;
    private final StringBuilder sb = new StringBuilder();
    private int depth;

    private Json(Interpreter in, boolean ensureAscii, String indent, String itemSep, String keySep, boolean sortKeys) {
        this.in = in;
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSep = itemSep;
        this.keySep = keySep;
        this.sortKeys = sortKeys;
    }

    /**
     * @param indent     None, an int (spaces; negative means none) or a string
     * @param separators None or an (item, key) pair
     */
    static String dumps(Interpreter in, Value v, boolean ensureAscii, Value indent, Value separators, boolean sortKeys) {
        String ind = switch (indent) {
            case Value.None n -> null;
            case Value.Str s -> s.value();
            default -> {
                Long k = Operators.asLong(indent);
                if (k == null) throw EvalError.type("indent must be an int or a string, not " + indent.typeName());
                in.checkLength(k);
                yield " ".repeat((int) Math.max(0, k));
            }
        };
        String itemSep = ind == null ? ", " : ",", keySep = ": ";
        if (!(separators instanceof Value.None)) {
            List<Value> seps = in.iterate(separators);
            if (seps.size() != 2) throw EvalError.value("separators must be an (item_separator, key_separator) pair");
            itemSep = Methods.arg(seps.get(0), "tojson");
            keySep = Methods.arg(seps.get(1), "tojson");
        }
        Json j = new Json(in, ensureAscii, ind, itemSep, keySep, sortKeys);
        j.write(v);
        return j.sb.toString();
    }

    private void newline() {
        if (indent == null) return;
        sb.append('\n');
        for (int i = 0; i < depth; i++) sb.append(indent);
    }

    private void write(Value v) {
        in.tick();
        in.checkLength(sb.length());
        // values are trees (lists and dicts are immutable, namespaces are not serializable), so depth is bounded
        // by the input; this guard only keeps a pathological input off the Java stack
        if (depth > MAX_DEPTH) throw EvalError.limit("tojson nesting deeper than " + MAX_DEPTH);
        switch (v) {
            case Value.Str s -> string(s.value());
            case Value.None n -> sb.append("null");
            case Value.Bool b -> sb.append(b.value() ? "true" : "false");
            case Value.Int i -> sb.append(i.value());
            case Value.Flt f -> sb.append(floatText(f.value()));
            case Value.ListV l -> {
                if (l.items().isEmpty()) {
                    sb.append("[]");
                    return;
                }
                sb.append('[');
                depth++;
                newline();
                for (int i = 0; i < l.items().size(); i++) {
                    if (i > 0) {
                        sb.append(itemSep);
                        newline();
                    }
                    write(l.items().get(i));
                }
                depth--;
                newline();
                sb.append(']');
            }
            case Value.Dict d -> {
                if (d.size() == 0) {
                    sb.append("{}");
                    return;
                }
                List<Value[]> entries = new ArrayList<>();
                for (Value[] e : d.entries()) entries.add(e);
                if (sortKeys) entries.sort((x, y) -> Operators.compare(x[0], y[0], "<"));
                sb.append('{');
                depth++;
                newline();
                boolean first = true;
                for (Value[] e : entries) {
                    if (!first) {
                        sb.append(itemSep);
                        newline();
                    }
                    first = false;
                    string(keyText(e[0]));
                    sb.append(keySep);
                    write(e[1]);
                }
                depth--;
                newline();
                sb.append('}');
            }
            default -> throw EvalError.type("Object of type " + v.typeName() + " is not JSON serializable");
        }
    }

    /** json.dumps turns non-string keys into strings (and refuses tuples and the like). */
    private static String keyText(Value k) {
        return switch (k) {
            case Value.Str s -> s.value();
            case Value.Int i -> Long.toString(i.value());
            case Value.Bool b -> b.value() ? "true" : "false";
            case Value.None n -> "null";
            case Value.Flt f -> floatText(f.value());
            default -> throw EvalError.type("keys must be str, int, float, bool or None, not " + k.typeName());
        };
    }

    private static String floatText(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        return PyFormat.floatRepr(d);
    }

    private void string(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7E)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
