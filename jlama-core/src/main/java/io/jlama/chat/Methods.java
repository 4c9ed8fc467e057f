package io.jlama.chat;

import io.jlama.chat.Args.Sig;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.jlama.chat.Args.Sig.REQUIRED;

/**
 * The Python methods templates may call on values: an explicit whitelist per type. Anything else is not there
 * (an Undefined), and the mutating list/dict methods raise SecurityError as in jinja2's immutable sandbox (Kimi-K2's
 * {@code ids.append(...)} fails under transformers, so it must fail here too).
 */
final class Methods {
    private Methods() {
    }

    @FunctionalInterface
    interface Impl {
        Value apply(Interpreter in, Value self, Value[] a, Args raw);
    }

    record Method(Sig sig, Impl impl) {
    }

    /** A method bound to its receiver: what {@code 'a,b'.split} evaluates to before the call. */
    record BoundMethod(Value self, String name, Method method) implements Value.Callable {
        @Override
        public Value call(Interpreter in, Args args) {
            return method.impl().apply(in, self, method.sig().bind(args), args);
        }

        @Override
        public String describe() {
            return "<built-in method " + name + " of " + self.typeName() + " object>";
        }

        @Override
        public String typeName() {
            return "builtin_function_or_method";
        }
    }

    private static final Map<String, Method> STR = new HashMap<>();
    private static final Map<String, Method> LIST = new HashMap<>();
    private static final Map<String, Method> TUPLE = new HashMap<>();
    private static final Map<String, Method> DICT = new HashMap<>();
    private static final Set<String> LIST_MUTATORS = Set.of("append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear");
    private static final Set<String> DICT_MUTATORS = Set.of("pop", "popitem", "setdefault", "update", "clear");
    private static final Value NONE = Value.None.NONE;

    /** The bound method {@code name} of {@code obj}, or null when it has none. */
    static Value bind(Value obj, String name) {
        Map<String, Method> table = switch (obj) {
            case Value.Str s -> STR;
            case Value.ListV l -> {
                if (!l.tuple() && LIST_MUTATORS.contains(name)) throw unsafe(obj, name);
                yield l.tuple() ? TUPLE : LIST;
            }
            case Value.Dict d -> {
                if (DICT_MUTATORS.contains(name)) throw unsafe(obj, name);
                yield DICT;
            }
            default -> null;
        };
        if (table == null) return null;
        Method m = table.get(name);
        return m == null ? null : new BoundMethod(obj, name, m);
    }

    private static EvalError unsafe(Value obj, String name) {
        return EvalError.security("access to attribute '" + name + "' of '" + obj.typeName() + "' object is unsafe.");
    }

    private static void str(String name, Sig sig, Impl impl) {
        STR.put(name, new Method(sig, impl));
    }

    private static String s(Value self) {
        return ((Value.Str) self).value();
    }

    /** A result string that keeps the receiver's Markup-ness (markupsafe wraps these methods). */
    private static Value.Str like(Value self, String text) {
        return new Value.Str(text, ((Value.Str) self).safe());
    }

    static String arg(Value v, String fn) {
        if (v instanceof Value.Str s) return s.value();
        if (v instanceof Value.Undefined u) throw u.error();
        throw EvalError.type(fn + "() argument must be str, not " + v.typeName());
    }

    private static String optArg(Value v, String fn) {
        return v instanceof Value.None ? null : arg(v, fn);
    }

    static long intArg(Value v, String fn) {
        Long l = Operators.asLong(v);
        if (l != null) return l;
        if (v instanceof Value.Undefined u) throw u.error();
        throw EvalError.type("'" + v.typeName() + "' object cannot be interpreted as an integer (in " + fn + "())");
    }

    private static Long optInt(Value v, String fn) {
        return v instanceof Value.None ? null : intArg(v, fn);
    }

    private static Value strList(List<String> parts) {
        List<Value> out = new ArrayList<>(parts.size());
        for (String p : parts) out.add(Value.Str.of(p));
        return Value.ListV.of(out);
    }

    private static boolean affix(Value self, Value[] a, boolean prefix, String fn) {
        String text = s(self);
        int n = PyStrings.length(text);
        int[] b = PyStrings.bounds(n, optInt(a[1], fn), optInt(a[2], fn));
        if (b[0] > b[1]) return false;
        String region = text.substring(PyStrings.offset(text, b[0]), PyStrings.offset(text, b[1]));
        List<Value> options = a[0] instanceof Value.ListV l && l.tuple() ? l.items() : List.of(a[0]);
        for (Value o : options) {
            if (!(o instanceof Value.Str)) {
                throw EvalError.type(fn + " first arg must be str or a tuple of str, not " + o.typeName());
            }
            String p = ((Value.Str) o).value();
            if (prefix ? region.startsWith(p) : region.endsWith(p)) return true;
        }
        return false;
    }

    private static Value.Bool bool(boolean b) {
        return Value.Bool.of(b);
    }

    static {
        Sig affixSig = Sig.of("startswith", "prefix", REQUIRED, "start", NONE, "end", NONE);
        str("startswith", affixSig, (in, self, a, r) -> bool(affix(self, a, true, "startswith")));
        str("endswith", Sig.of("endswith", "suffix", REQUIRED, "start", NONE, "end", NONE), (in, self, a, r) -> bool(affix(self, a, false, "endswith")));
        str("strip", Sig.of("strip", "chars", NONE), (in, self, a, r) -> like(self, PyStrings.strip(s(self), optArg(a[0], "strip"))));
        str("lstrip", Sig.of("lstrip", "chars", NONE), (in, self, a, r) -> like(self, PyStrings.lstrip(s(self), optArg(a[0], "lstrip"))));
        str("rstrip", Sig.of("rstrip", "chars", NONE), (in, self, a, r) -> like(self, PyStrings.rstrip(s(self), optArg(a[0], "rstrip"))));
        str("split", Sig.of("split", "sep", NONE, "maxsplit", Value.Int.of(-1)),
                (in, self, a, r) -> strList(PyStrings.split(s(self), optArg(a[0], "split"), intArg(a[1], "split"), in.limits().maxItems())));
        str("rsplit", Sig.of("rsplit", "sep", NONE, "maxsplit", Value.Int.of(-1)),
                (in, self, a, r) -> strList(PyStrings.rsplit(s(self), optArg(a[0], "rsplit"), intArg(a[1], "rsplit"), in.limits().maxItems())));
        str("splitlines", Sig.of("splitlines", "keepends", Value.Bool.FALSE), (in, self, a, r) -> strList(PyStrings.splitlines(s(self), a[0].truthy(), in.limits().maxItems())));
        str("upper", Sig.of("upper"), (in, self, a, r) -> like(self, PyStrings.upper(s(self))));
        str("lower", Sig.of("lower"), (in, self, a, r) -> like(self, PyStrings.lower(s(self))));
        str("casefold", Sig.of("casefold"), (in, self, a, r) -> Value.Str.of(PyStrings.lower(s(self))));
        str("title", Sig.of("title"), (in, self, a, r) -> like(self, PyStrings.title(s(self))));
        str("capitalize", Sig.of("capitalize"), (in, self, a, r) -> like(self, PyStrings.capitalize(s(self))));
        str("swapcase", Sig.of("swapcase"), (in, self, a, r) -> like(self, PyStrings.swapcase(s(self))));
        str("replace", Sig.of("replace", "old", REQUIRED, "new", REQUIRED, "count", Value.Int.of(-1)),
                (in, self, a, r) -> like(self, PyStrings.replace(s(self), arg(a[0], "replace"), arg(a[1], "replace"), intArg(a[2], "replace"), in.maxChars())));
        Sig findSig = Sig.of("find", "sub", REQUIRED, "start", NONE, "end", NONE);
        str("find", findSig, (in, self, a, r) -> Value.Int.of(PyStrings.find(s(self), arg(a[0], "find"), optInt(a[1], "find"), optInt(a[2], "find"), false)));
        str("rfind", findSig, (in, self, a, r) -> Value.Int.of(PyStrings.find(s(self), arg(a[0], "rfind"), optInt(a[1], "rfind"), optInt(a[2], "rfind"), true)));
        str("index", findSig, (in, self, a, r) -> found(PyStrings.find(s(self), arg(a[0], "index"), optInt(a[1], "index"), optInt(a[2], "index"), false)));
        str("rindex", findSig, (in, self, a, r) -> found(PyStrings.find(s(self), arg(a[0], "rindex"), optInt(a[1], "rindex"), optInt(a[2], "rindex"), true)));
        str("count", findSig, (in, self, a, r) -> Value.Int.of(PyStrings.count(s(self), arg(a[0], "count"), optInt(a[1], "count"), optInt(a[2], "count"))));
        str("format", Sig.varargs("format"), (in, self, a, r) -> in.checkedStr(StrFormat.format(in, s(self), r.positional, r.keywords)));
        str("join", Sig.of("join", "iterable", REQUIRED), (in, self, a, r) -> {
            List<Value> items = in.iterate(a[0]);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < items.size(); i++) {
                if (!(items.get(i) instanceof Value.Str item)) {
                    throw EvalError.type("sequence item " + i + ": expected str instance, " + items.get(i).typeName() + " found");
                }
                if (i > 0) sb.append(s(self));
                sb.append(item.value());
                in.checkLength(sb.length());
            }
            return like(self, sb.toString());
        });
        Sig padSig = Sig.of("center", "width", REQUIRED, "fillchar", Value.Str.of(" "));
        str("center", padSig, (in, self, a, r) -> like(self, pad(in, self, a, '^')));
        str("ljust", padSig, (in, self, a, r) -> like(self, pad(in, self, a, '<')));
        str("rjust", padSig, (in, self, a, r) -> like(self, pad(in, self, a, '>')));
        str("zfill", Sig.of("zfill", "width", REQUIRED), (in, self, a, r) -> {
            long w = intArg(a[0], "zfill");
            in.checkLength(w);
            return like(self, PyStrings.zfill(s(self), w));
        });
        str("isalpha", Sig.of("isalpha"), (in, self, a, r) -> bool(PyStrings.all(s(self), PyStrings::isAlpha)));
        str("isdigit", Sig.of("isdigit"), (in, self, a, r) -> bool(PyStrings.all(s(self), PyStrings::isDigit)));
        str("isdecimal", Sig.of("isdecimal"), (in, self, a, r) -> bool(PyStrings.all(s(self), PyStrings::isDecimal)));
        str("isnumeric", Sig.of("isnumeric"), (in, self, a, r) -> bool(PyStrings.all(s(self), PyStrings::isNumeric)));
        str("isalnum", Sig.of("isalnum"), (in, self, a, r) -> bool(PyStrings.all(s(self), PyStrings::isAlnum)));
        str("isspace", Sig.of("isspace"), (in, self, a, r) -> bool(PyStrings.all(s(self), PyStrings::isSpace)));
        str("islower", Sig.of("islower"), (in, self, a, r) -> bool(PyStrings.isLowerStr(s(self))));
        str("isupper", Sig.of("isupper"), (in, self, a, r) -> bool(PyStrings.isUpperStr(s(self))));
        str("istitle", Sig.of("istitle"), (in, self, a, r) -> bool(!s(self).isEmpty() && PyStrings.title(s(self)).equals(s(self))
                && !PyStrings.lower(s(self)).equals(PyStrings.upper(s(self)))));
        str("partition", Sig.of("partition", "sep", REQUIRED), (in, self, a, r) -> partition(self, arg(a[0], "partition"), false));
        str("rpartition", Sig.of("rpartition", "sep", REQUIRED), (in, self, a, r) -> partition(self, arg(a[0], "rpartition"), true));
        str("removeprefix", Sig.of("removeprefix", "prefix", REQUIRED), (in, self, a, r) -> {
            String p = arg(a[0], "removeprefix");
            return s(self).startsWith(p) ? like(self, s(self).substring(p.length())) : self;
        });
        str("removesuffix", Sig.of("removesuffix", "suffix", REQUIRED), (in, self, a, r) -> {
            String p = arg(a[0], "removesuffix");
            return s(self).endsWith(p) && !p.isEmpty() ? like(self, s(self).substring(0, s(self).length() - p.length())) : self;
        });

        // list and tuple: the read-only methods
        Method index = new Method(Sig.of("index", "value", REQUIRED), (in, self, a, r) -> {
            List<Value> items = ((Value.ListV) self).items();
            for (int i = 0; i < items.size(); i++) if (Operators.eq(items.get(i), a[0])) return Value.Int.of(i);
            throw EvalError.value(PyFormat.brief(a[0]) + " is not in list");
        });
        Method count = new Method(Sig.of("count", "value", REQUIRED), (in, self, a, r) -> {
            long c = 0;
            for (Value v : ((Value.ListV) self).items()) if (Operators.eq(v, a[0])) c++;
            return Value.Int.of(c);
        });
        LIST.put("index", index);
        LIST.put("count", count);
        LIST.put("copy", new Method(Sig.of("copy"), (in, self, a, r) -> self));
        TUPLE.put("index", index);
        TUPLE.put("count", count);

        // dict: lookups and views
        DICT.put("get", new Method(Sig.of("get", "key", REQUIRED, "default", NONE), (in, self, a, r) -> {
            Value v = ((Value.Dict) self).get(a[0]);
            return v == null ? a[1] : v;
        }));
        DICT.put("items", new Method(Sig.of("items"), (in, self, a, r) -> Value.Iter.view(((Value.Dict) self).items(), "dict_items")));
        DICT.put("keys", new Method(Sig.of("keys"), (in, self, a, r) -> Value.Iter.view(((Value.Dict) self).keys(), "dict_keys")));
        DICT.put("values", new Method(Sig.of("values"), (in, self, a, r) -> Value.Iter.view(((Value.Dict) self).values(), "dict_values")));
        DICT.put("copy", new Method(Sig.of("copy"), (in, self, a, r) -> self));
    }

    private static Value found(long idx) {
        if (idx < 0) throw EvalError.value("substring not found");
        return Value.Int.of(idx);
    }

    private static String pad(Interpreter in, Value self, Value[] a, char align) {
        long w = intArg(a[0], "center");
        String fill = arg(a[1], "center");
        if (PyStrings.length(fill) != 1) throw EvalError.type("The fill character must be exactly one character long");
        in.checkLength(w);
        return PyStrings.pad(s(self), w, fill, align);
    }

    private static Value partition(Value self, String sep, boolean reverse) {
        if (sep.isEmpty()) throw EvalError.value("empty separator");
        String text = s(self);
        int i = reverse ? text.lastIndexOf(sep) : text.indexOf(sep);
        if (i < 0) {
            return reverse ? Value.ListV.tuple(Value.Str.EMPTY, Value.Str.EMPTY, Value.Str.of(text))
                    : Value.ListV.tuple(Value.Str.of(text), Value.Str.EMPTY, Value.Str.EMPTY);
        }
        return Value.ListV.tuple(Value.Str.of(text.substring(0, i)), Value.Str.of(sep), Value.Str.of(text.substring(i + sep.length())));
    }
}
