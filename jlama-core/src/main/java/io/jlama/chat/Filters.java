package io.jlama.chat;

import io.jlama.chat.Args.Sig;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static io.jlama.chat.Args.Sig.REQUIRED;

/**
 * jinja2's built-in filters (and transformers' {@code tojson}), each registered by name with its Python signature.
 * The behaviour on edge inputs follows jinja2 3.1 because templates lean on it: an undefined input prints as empty
 * through the string filters but fails {@code int}, {@code indent} and {@code tojson}; {@code select}-style filters
 * treat None as empty; {@code map}/{@code select}/{@code items}/{@code unique} return one-shot generators.
 */
final class Filters {
    private Filters() {
    }

    @FunctionalInterface
    interface Impl {
        Value apply(Interpreter in, Value v, Value[] a, Args raw);
    }

    record Filter(Sig sig, Impl impl) {
    }

    private static final Map<String, Filter> FILTERS = new HashMap<>();
    private static final Value NONE = Value.None.NONE;
    private static final Value FALSE = Value.Bool.FALSE;

    static boolean exists(String name) {
        return FILTERS.containsKey(name);
    }

    static Value apply(Interpreter in, String name, Value input, Args args) {
        Filter f = FILTERS.get(name);
        if (f == null) throw EvalError.runtime("TemplateAssertionError: No filter named '" + name + "'.");
        return f.impl().apply(in, input, f.sig().bind(args), args);
    }

    private static void def(String name, Sig sig, Impl impl) {
        FILTERS.put(name, new Filter(sig, impl));
    }

    private static Sig sig(String name, Object... spec) {
        return Sig.of(name, spec);
    }

    /** jinja2's soft_str: strings (and Markup) unchanged, everything else through Python's str(). */
    static Value.Str softStr(Interpreter in, Value v) {
        return v instanceof Value.Str s ? s : Value.Str.of(in.str(v));
    }

    static String escapeHtml(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            String rep = switch (s.charAt(i)) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '\'' -> "&#39;";
                case '"' -> "&#34;";
                default -> null;
            };
            if (rep != null && sb == null) sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            if (sb != null) {
                if (rep != null) sb.append(rep);
                else sb.append(s.charAt(i));
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static Value.Str escape(Interpreter in, Value v) {
        if (v instanceof Value.Str s && s.safe()) return s;
        return new Value.Str(escapeHtml(in.str(v)), true);
    }

    /** Python's len(). */
    static long length(Value v) {
        return switch (v) {
            case Value.Str s -> PyStrings.length(s.value());
            case Value.ListV l -> l.items().size();
            case Value.Dict d -> d.size();
            case Value.Range r -> r.length();
            case Value.Iter it when it.reusable() -> it.peekAll().size();
            case Value.Namespace ns -> throw EvalError.type("object of type 'Namespace' has no len()");
            case Value.Undefined u -> 0;
            default -> throw EvalError.type("object of type '" + v.typeName() + "' has no len()");
        };
    }

    /**
     * jinja2's attribute getter for {@code map(attribute=)}, {@code sort(attribute=)}...: dotted paths, numeric parts
     * as indexes, each step an item lookup first.
     */
    static Value attrPath(Value item, String path) {
        Value v = item;
        for (String part : path.split("\\.", -1)) {
            Value key = !part.isEmpty() && part.chars().allMatch(Character::isDigit) ? Value.Int.of(Long.parseLong(part)) : Value.Str.of(part);
            v = Access.getitem(v, key);
        }
        return v;
    }

    /** Python's case-insensitive sort key of jinja2 ({@code ignore_case}): strings lower-cased, the rest as is. */
    private static Value fold(Value v, boolean caseSensitive) {
        return !caseSensitive && v instanceof Value.Str s ? Value.Str.of(PyStrings.lower(s.value())) : v;
    }

    private static final Comparator<Value> PY_ORDER = (x, y) -> Operators.compare(x, y, "<");

    private static List<Value> sorted(Interpreter in, List<Value> items, java.util.function.Function<Value, Value> key, boolean reverse) {
        List<Value[]> keyed = new ArrayList<>(items.size());
        for (Value v : items) {
            in.tick();
            keyed.add(new Value[]{key.apply(v), v});
        }
        Comparator<Value[]> cmp = (x, y) -> PY_ORDER.compare(x[0], y[0]);
        // Python's sorted(reverse=True) keeps equal items in their original order
        keyed.sort(reverse ? cmp.reversed() : cmp);
        List<Value> out = new ArrayList<>(keyed.size());
        for (Value[] kv : keyed) out.add(kv[1]);
        return out;
    }

    private static final Pattern PY_FLOAT = Pattern.compile("[+-]?((\\d(_?\\d)*)?\\.?\\d(_?\\d)*([eE][+-]?\\d(_?\\d)*)?|\\d(_?\\d)*\\.|inf|infinity|nan)",
            Pattern.CASE_INSENSITIVE);

    /** Python's float(str), or null when it would raise ValueError. */
    static Double parseFloat(String s) {
        String t = PyStrings.strip(s, null);
        if (!PY_FLOAT.matcher(t).matches()) return null;
        String lower = t.toLowerCase(java.util.Locale.ROOT).replace("_", "");
        if (lower.endsWith("inf") || lower.endsWith("infinity")) return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        if (lower.endsWith("nan")) return Double.NaN;
        return Double.parseDouble(lower);
    }

    /** Python's int(str, base), or null when it would raise ValueError. */
    static Long parseInt(String s, long base) {
        String t = PyStrings.strip(s, null).replace("_", "");
        boolean neg = false;
        if (t.startsWith("+") || t.startsWith("-")) {
            neg = t.startsWith("-");
            t = t.substring(1);
        }
        String lower = t.toLowerCase(java.util.Locale.ROOT);
        int radix = (int) base;
        if ((base == 0 || base == 16) && lower.startsWith("0x")) {
            radix = 16;
            t = t.substring(2);
        } else if ((base == 0 || base == 8) && lower.startsWith("0o")) {
            radix = 8;
            t = t.substring(2);
        } else if ((base == 0 || base == 2) && lower.startsWith("0b")) {
            radix = 2;
            t = t.substring(2);
        } else if (base == 0) {
            radix = 10;
        }
        if (t.isEmpty() || radix < 2 || radix > 36) return null;
        try {
            long v = Long.parseLong(t, radix);
            return neg ? -v : v;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Value.Iter generator(List<Value> items) {
        return Value.Iter.generator(items);
    }

    private static Value selectOrReject(Interpreter in, Value seq, Args raw, boolean byAttr, boolean select) {
        List<Value> args = raw.positional;
        if (!seq.truthy()) return generator(List.of()); // jinja2: "if value:" — None and Undefined give nothing
        int i = 0;
        String attr = null;
        if (byAttr) {
            if (args.isEmpty()) throw EvalError.type("Missing parameter for attribute name");
            attr = Methods.arg(args.get(0), "selectattr");
            i = 1;
        }
        String test = i < args.size() ? Methods.arg(args.get(i), "select") : null;
        Args testArgs = new Args(i + 1 < args.size() ? args.subList(i + 1, args.size()) : List.of(), raw.keywords);
        List<Value> out = new ArrayList<>();
        for (Value item : in.iterate(seq)) {
            in.tick();
            Value subject = attr == null ? item : attrPath(item, attr);
            boolean ok = test == null ? subject.truthy() : Tests.apply(in, test, subject, testArgs);
            if (ok == select) out.add(item);
        }
        return generator(out);
    }

    static {
        def("abs", sig("abs"), (in, v, a, r) -> switch (v) {
            case Value.Int i -> {
                if (i.value() == Long.MIN_VALUE) throw EvalError.limit("integer overflow");
                yield Value.Int.of(Math.abs(i.value()));
            }
            case Value.Bool b -> Value.Int.of(b.value() ? 1 : 0);
            case Value.Flt f -> new Value.Flt(Math.abs(f.value()));
            default -> throw EvalError.type("bad operand type for abs(): '" + v.typeName() + "'");
        });
        def("attr", sig("attr", "name", REQUIRED), (in, v, a, r) -> {
            // a Python attribute only: methods, namespace and loop attributes, never dict items
            String name = Methods.arg(a[0], "attr");
            if (v instanceof Value.Dict || v instanceof Value.Str || v instanceof Value.ListV) {
                if (name.startsWith("_")) return Access.getattr(v, name);
                Value m = Methods.bind(v, name);
                return m != null ? m : Value.Undefined.missingAttr(v, name);
            }
            return Access.getattr(v, name);
        });
        def("batch", sig("batch", "linecount", REQUIRED, "fill_with", NONE), (in, v, a, r) -> {
            long size = Methods.intArg(a[0], "batch");
            if (size <= 0) throw EvalError.value("batch size must be positive");
            if (!(a[1] instanceof Value.None)) in.checkItems(size); // the last batch is padded up to size
            List<Value> out = new ArrayList<>();
            List<Value> cur = new ArrayList<>();
            for (Value item : in.iterate(v)) {
                cur.add(item);
                if (cur.size() == size) {
                    out.add(Value.ListV.of(cur));
                    cur = new ArrayList<>();
                }
            }
            if (!cur.isEmpty()) {
                if (!(a[1] instanceof Value.None)) while (cur.size() < size) cur.add(a[1]);
                out.add(Value.ListV.of(cur));
            }
            return generator(out);
        });
        def("capitalize", sig("capitalize"), (in, v, a, r) -> Value.Str.of(PyStrings.capitalize(softStr(in, v).value())));
        def("center", sig("center", "width", Value.Int.of(80)), (in, v, a, r) -> {
            long w = Methods.intArg(a[0], "center");
            in.checkLength(w);
            return Value.Str.of(PyStrings.pad(softStr(in, v).value(), w, " ", '^'));
        });
        Impl length = (in, v, a, r) -> Value.Int.of(length(v));
        def("length", sig("length"), length);
        def("count", sig("count"), length);
        Impl dflt = (in, v, a, r) -> (v instanceof Value.Undefined || (a[1].truthy() && !v.truthy())) ? a[0] : v;
        def("default", sig("default", "default_value", Value.Str.EMPTY, "boolean", FALSE), dflt);
        def("d", sig("d", "default_value", Value.Str.EMPTY, "boolean", FALSE), dflt);
        def("dictsort", sig("dictsort", "case_sensitive", FALSE, "by", Value.Str.of("key"), "reverse", FALSE), (in, v, a, r) -> {
            if (v instanceof Value.Undefined u) throw u.error();
            if (!(v instanceof Value.Dict d)) throw EvalError.runtime("AttributeError: '" + v.typeName() + "' object has no attribute 'items'");
            String by = Methods.arg(a[1], "dictsort");
            int pos = switch (by) {
                case "key" -> 0;
                case "value" -> 1;
                default -> throw EvalError.runtime("FilterArgumentError: You can only sort by either \"key\" or \"value\"");
            };
            boolean cs = a[0].truthy();
            return Value.ListV.of(sorted(in, d.items(), item -> fold(((Value.ListV) item).items().get(pos), cs), a[2].truthy()));
        });
        Impl esc = (in, v, a, r) -> escape(in, v);
        def("escape", sig("escape"), esc);
        def("e", sig("e"), esc);
        def("forceescape", sig("forceescape"), (in, v, a, r) -> new Value.Str(escapeHtml(in.str(v)), true));
        def("safe", sig("safe"), (in, v, a, r) -> v instanceof Value.Str s && s.safe() ? s : new Value.Str(in.str(v), true));
        def("first", sig("first"), (in, v, a, r) -> {
            if (v instanceof Value.Iter it && !it.reusable()) {
                Value x = it.next(); // takes one item, as Python's next() does
                return x != null ? x : new Value.Undefined("No first item, sequence was empty.");
            }
            List<Value> items = in.iterate(v);
            return items.isEmpty() ? new Value.Undefined("No first item, sequence was empty.") : items.get(0);
        });
        def("last", sig("last"), (in, v, a, r) -> {
            if (v instanceof Value.Iter it && !it.reusable()) throw EvalError.type("'" + v.typeName() + "' object is not reversible");
            List<Value> items = in.iterate(v);
            return items.isEmpty() ? new Value.Undefined("No last item, sequence was empty.") : items.get(items.size() - 1);
        });
        def("float", sig("float", "default", new Value.Flt(0.0)), (in, v, a, r) -> switch (v) {
            case Value.Undefined u -> throw u.error();
            case Value.Flt f -> f;
            case Value.Int i -> new Value.Flt(i.value());
            case Value.Bool b -> new Value.Flt(b.value() ? 1 : 0);
            case Value.Str s -> {
                Double d = parseFloat(s.value());
                yield d == null ? a[0] : new Value.Flt(d);
            }
            default -> a[0];
        });
        def("int", sig("int", "default", Value.Int.of(0), "base", Value.Int.of(10)), (in, v, a, r) -> switch (v) {
            case Value.Undefined u -> throw u.error();
            case Value.Int i -> i;
            case Value.Bool b -> Value.Int.of(b.value() ? 1 : 0);
            case Value.Flt f -> {
                if (Double.isNaN(f.value()) || Double.isInfinite(f.value())) throw EvalError.value("cannot convert float " + PyFormat.floatRepr(f.value()) + " to integer");
                yield Value.Int.of((long) f.value());
            }
            case Value.Str s -> {
                Long l = parseInt(s.value(), Methods.intArg(a[1], "int"));
                if (l != null) yield Value.Int.of(l);
                Double d = parseFloat(s.value()); // "42.23"|int is 42 in jinja2
                yield d != null && !d.isNaN() && !d.isInfinite() ? Value.Int.of(d.longValue()) : a[0];
            }
            default -> a[0];
        });
        def("format", Sig.varargs("format"), (in, v, a, r) -> {
            if (!r.positional.isEmpty() && !r.keywords.isEmpty()) throw EvalError.runtime("FilterArgumentError: can't handle positional and keyword arguments at the same time");
            Value args;
            if (!r.keywords.isEmpty()) {
                Value.Dict.Builder b = new Value.Dict.Builder();
                r.keywords.forEach(b::put);
                args = b.build();
            } else {
                args = new Value.ListV(r.positional, true);
            }
            return in.checkedStr(PyFormat.percent(softStr(in, v).value(), args, in.maxChars()));
        });
        def("indent", sig("indent", "width", Value.Int.of(4), "first", FALSE, "blank", FALSE), (in, v, a, r) -> {
            if (v instanceof Value.Undefined u) throw u.error();
            if (!(v instanceof Value.Str s)) throw EvalError.type("unsupported operand type(s) for +=: '" + v.typeName() + "' and 'str'");
            String ind;
            if (a[0] instanceof Value.Str w) {
                ind = w.value();
            } else {
                long w = Methods.intArg(a[0], "indent");
                in.checkLength(w);
                ind = " ".repeat((int) Math.max(0, w));
            }
            List<String> lines = PyStrings.splitlines(s.value() + "\n", false, in.limits().maxItems());
            StringBuilder sb = new StringBuilder();
            if (a[2].truthy()) {
                sb.append(String.join("\n" + ind, lines));
            } else {
                sb.append(lines.get(0));
                for (int i = 1; i < lines.size(); i++) {
                    sb.append('\n');
                    if (!lines.get(i).isEmpty()) sb.append(ind);
                    sb.append(lines.get(i));
                    in.checkLength(sb.length());
                }
            }
            if (a[1].truthy()) sb.insert(0, ind);
            return in.checkedStr(sb.toString());
        });
        def("items", sig("items"), (in, v, a, r) -> switch (v) {
            case Value.Undefined u -> generator(List.of());
            case Value.Dict d -> generator(d.items());
            default -> throw EvalError.type("Can only get item pairs from a mapping.");
        });
        def("join", sig("join", "d", Value.Str.EMPTY, "attribute", NONE), (in, v, a, r) -> {
            String sep = in.str(a[0]);
            StringBuilder sb = new StringBuilder();
            boolean first = true;
            for (Value item : in.iterate(v)) {
                if (!first) sb.append(sep);
                first = false;
                Value x = a[1] instanceof Value.None ? item : attrPath(item, in.str(a[1]));
                sb.append(in.str(x));
                in.checkLength(sb.length());
            }
            return Value.Str.of(sb.toString());
        });
        def("list", sig("list"), (in, v, a, r) -> Value.ListV.of(new ArrayList<>(in.iterate(v))));
        def("lower", sig("lower"), (in, v, a, r) -> Value.Str.of(PyStrings.lower(softStr(in, v).value())));
        def("upper", sig("upper"), (in, v, a, r) -> Value.Str.of(PyStrings.upper(softStr(in, v).value())));
        def("map", Sig.varargs("map"), (in, v, a, r) -> {
            List<Value> out = new ArrayList<>();
            if (r.positional.isEmpty()) {
                Value attr = r.keywords.get("attribute");
                if (attr == null) throw EvalError.runtime("FilterArgumentError: map requires a filter argument");
                Value fallback = r.keywords.get("default");
                String path = in.str(attr);
                for (Value item : in.iterate(v)) {
                    in.tick();
                    Value x = attrPath(item, path);
                    out.add(fallback != null && x instanceof Value.Undefined ? fallback : x);
                }
            } else {
                String name = Methods.arg(r.positional.get(0), "map");
                Args rest = new Args(r.positional.subList(1, r.positional.size()), r.keywords);
                for (Value item : in.iterate(v)) {
                    in.tick();
                    out.add(apply(in, name, item, rest));
                }
            }
            return generator(out);
        });
        Sig minmax = sig("max", "case_sensitive", FALSE, "attribute", NONE);
        def("max", minmax, (in, v, a, r) -> extreme(in, v, a, true));
        def("min", minmax, (in, v, a, r) -> extreme(in, v, a, false));
        def("pprint", sig("pprint"), (in, v, a, r) -> Value.Str.of(PyFormat.pprint(v, in.maxChars())));
        def("select", Sig.varargs("select"), (in, v, a, r) -> selectOrReject(in, v, r, false, true));
        def("reject", Sig.varargs("reject"), (in, v, a, r) -> selectOrReject(in, v, r, false, false));
        def("selectattr", Sig.varargs("selectattr"), (in, v, a, r) -> selectOrReject(in, v, r, true, true));
        def("rejectattr", Sig.varargs("rejectattr"), (in, v, a, r) -> selectOrReject(in, v, r, true, false));
        def("replace", sig("replace", "old", REQUIRED, "new", REQUIRED, "count", NONE), (in, v, a, r) -> {
            long count = a[2] instanceof Value.None ? -1 : Methods.intArg(a[2], "replace");
            return Value.Str.of(PyStrings.replace(in.str(v), in.str(a[0]), in.str(a[1]), count, in.maxChars()));
        });
        def("reverse", sig("reverse"), (in, v, a, r) -> {
            if (v instanceof Value.Str s) {
                return Value.Str.of(new StringBuilder(s.value()).reverse().toString()); // surrogate pairs stay intact
            }
            List<Value> items = new ArrayList<>(in.iterate(v));
            java.util.Collections.reverse(items);
            return new Value.Iter(items, v instanceof Value.ListV ? "list_reverseiterator" : "reversed", false);
        });
        def("round", sig("round", "precision", Value.Int.of(0), "method", Value.Str.of("common")), (in, v, a, r) -> {
            String method = Methods.arg(a[1], "round");
            long prec = Methods.intArg(a[0], "round");
            if (!method.equals("common") && !method.equals("ceil") && !method.equals("floor")) {
                throw EvalError.runtime("FilterArgumentError: method must be common, ceil or floor");
            }
            if (!Operators.isNumber(v)) throw EvalError.type("type " + v.typeName() + " doesn't define __round__ method");
            if (method.equals("common")) {
                if (!(v instanceof Value.Flt f)) return Operators.pos(v); // round(int, n) stays an int
                if (Double.isNaN(f.value()) || Double.isInfinite(f.value())) return f;
                return new Value.Flt(new BigDecimal(f.value()).setScale((int) prec, RoundingMode.HALF_EVEN).doubleValue());
            }
            double scale = Math.pow(10, prec);
            double x = Operators.toDouble(v) * scale;
            return new Value.Flt((method.equals("ceil") ? Math.ceil(x) : Math.floor(x)) / scale);
        });
        def("slice", sig("slice", "slices", REQUIRED, "fill_with", NONE), (in, v, a, r) -> {
            List<Value> seq = in.iterate(v);
            long slices = Methods.intArg(a[0], "slice");
            if (slices <= 0) throw EvalError.runtime("ZeroDivisionError: integer division or modulo by zero");
            in.checkItems(slices);
            long per = seq.size() / slices, extra = seq.size() % slices, offset = 0;
            List<Value> out = new ArrayList<>();
            for (long k = 0; k < slices; k++) {
                in.tick();
                long start = offset + k * per;
                if (k < extra) offset++;
                long end = offset + (k + 1) * per;
                List<Value> part = new ArrayList<>(seq.subList((int) start, (int) end));
                if (!(a[1] instanceof Value.None) && k >= extra) part.add(a[1]);
                out.add(Value.ListV.of(part));
            }
            return generator(out);
        });
        def("sort", sig("sort", "reverse", FALSE, "case_sensitive", FALSE, "attribute", NONE), (in, v, a, r) -> {
            boolean cs = a[1].truthy();
            List<String> attrs = a[2] instanceof Value.None ? List.of() : List.of(in.str(a[2]).split(","));
            return Value.ListV.of(sorted(in, in.iterate(v), item -> {
                if (attrs.isEmpty()) return fold(item, cs);
                if (attrs.size() == 1) return fold(attrPath(item, attrs.get(0).strip()), cs);
                Value[] parts = new Value[attrs.size()];
                for (int i = 0; i < parts.length; i++) parts[i] = fold(attrPath(item, attrs.get(i).strip()), cs);
                return Value.ListV.tuple(parts);
            }, a[0].truthy()));
        });
        def("string", sig("string"), (in, v, a, r) -> softStr(in, v));
        def("sum", sig("sum", "attribute", NONE, "start", Value.Int.of(0)), (in, v, a, r) -> {
            Value total = a[1];
            for (Value item : in.iterate(v)) {
                in.tick();
                Value x = a[0] instanceof Value.None ? item : attrPath(item, in.str(a[0]));
                total = Operators.binary(in, "+", total, x);
            }
            return total;
        });
        def("title", sig("title"), (in, v, a, r) -> Value.Str.of(jinjaTitle(softStr(in, v).value())));
        def("tojson", sig("tojson", "ensure_ascii", FALSE, "indent", NONE, "separators", NONE, "sort_keys", FALSE),
                (in, v, a, r) -> in.checkedStr(Json.dumps(in, v, a[0].truthy(), a[1], a[2], a[3].truthy())));
        def("trim", sig("trim", "chars", NONE), (in, v, a, r) -> {
            Value.Str s = softStr(in, v);
            String chars = a[0] instanceof Value.None ? null : in.str(a[0]);
            return new Value.Str(PyStrings.strip(s.value(), chars), s.safe());
        });
        def("truncate", sig("truncate", "length", Value.Int.of(255), "killwords", FALSE, "end", Value.Str.of("..."), "leeway", NONE), (in, v, a, r) -> {
            String s = softStr(in, v).value();
            long len = Methods.intArg(a[0], "truncate");
            long leeway = a[3] instanceof Value.None ? 5 : Methods.intArg(a[3], "truncate");
            String end = in.str(a[2]);
            if (len < PyStrings.length(end)) throw EvalError.runtime("AssertionError: expected length >= " + PyStrings.length(end) + ", got " + len);
            if (leeway < 0) throw EvalError.runtime("AssertionError: expected leeway >= 0, got " + leeway);
            int n = PyStrings.length(s);
            if (n <= len + leeway) return Value.Str.of(s);
            String head = s.substring(0, PyStrings.offset(s, (int) (len - PyStrings.length(end))));
            if (a[1].truthy()) return Value.Str.of(head + end);
            int sp = head.lastIndexOf(' ');
            return Value.Str.of((sp >= 0 ? head.substring(0, sp) : head) + end);
        });
        def("unique", sig("unique", "case_sensitive", FALSE, "attribute", NONE), (in, v, a, r) -> {
            boolean cs = a[0].truthy();
            HashSet<Object> seen = new HashSet<>();
            List<Value> out = new ArrayList<>();
            for (Value item : in.iterate(v)) {
                in.tick();
                Value key = fold(a[1] instanceof Value.None ? item : attrPath(item, in.str(a[1])), cs);
                if (seen.add(Value.Dict.hashKey(key))) out.add(item);
            }
            return generator(out);
        });
        def("wordcount", sig("wordcount"), (in, v, a, r) -> {
            String s = softStr(in, v).value();
            long words = 0;
            boolean inWord = false;
            for (int i = 0; i < s.length(); ) {
                int c = s.codePointAt(i);
                i += Character.charCount(c);
                boolean w = c == '_' || PyStrings.isAlnum(c);
                if (w && !inWord) words++;
                inWord = w;
            }
            return Value.Int.of(words);
        });
    }

    /** jinja2's title filter: each word (split before runs of -, whitespace or opening brackets) gets a capital. */
    private static String jinjaTitle(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean start = true;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            boolean sep = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || PyStrings.isSpace(c);
            String ch = Character.toString(c);
            if (sep) {
                sb.append(ch);
                start = true;
            } else {
                sb.append(start ? PyStrings.upper(ch) : PyStrings.lower(ch));
                start = false;
            }
        }
        return sb.toString();
    }

    private static Value extreme(Interpreter in, Value v, Value[] a, boolean max) {
        boolean cs = a[0].truthy();
        String attr = a[1] instanceof Value.None ? null : in.str(a[1]);
        Value best = null, bestKey = null;
        for (Value item : in.iterate(v)) {
            in.tick();
            Value key = fold(attr == null ? item : attrPath(item, attr), cs);
            if (best == null || (max ? Operators.compare(key, bestKey, ">") > 0 : Operators.compare(key, bestKey, "<") < 0)) {
                best = item;
                bestKey = key;
            }
        }
        return best != null ? best : new Value.Undefined("No aggregated item, sequence was empty.");
    }
}
