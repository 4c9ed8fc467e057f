package io.jlama.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Attribute and item access with jinja2's sandboxed semantics, which is where the sandbox boundary lives:
 * <ul>
 * <li>{@code x.name} looks for a Python attribute first (on our values that means the whitelisted str/dict/list
 * methods of {@link Methods}), then for an item: so {@code d.items} is the method even when {@code d} has an
 * "items" key, exactly as in jinja2;</li>
 * <li>{@code x[key]} looks for an item first, then (for a string key) an attribute;</li>
 * <li>a miss gives an Undefined that remembers why, so printing it is empty but using it fails;</li>
 * <li>names starting with an underscore are refused outright ({@code __class__}, {@code __globals__}...), and the
 * mutating methods of lists and dicts raise SecurityError, as in jinja2's ImmutableSandboxedEnvironment.</li>
 * </ul>
 */
final class Access {
    private Access() {
    }

    static Value getattr(Value obj, String name) {
        if (obj instanceof Value.Undefined u) throw u.error();
        if (name.startsWith("_")) {
            throw EvalError.security("access to attribute '" + name + "' of '" + obj.typeName() + "' object is unsafe.");
        }
        Value m = Methods.bind(obj, name);
        if (m != null) return m;
        Value v = switch (obj) {
            case Value.Dict d -> d.get(name);
            case Value.Namespace ns -> ns.attrs.get(name);
            case Value.Obj o -> o.attr(name);
            default -> null;
        };
        return v != null ? v : Value.Undefined.missingAttr(obj, name);
    }

    static Value getitem(Value obj, Value key) {
        if (obj instanceof Value.Undefined u) throw u.error();
        Value v = switch (obj) {
            case Value.Dict d -> {
                Object h;
                try {
                    h = Value.Dict.hashKey(key);
                } catch (EvalError unhashable) {
                    h = null;
                }
                yield h == null ? null : d.get(key);
            }
            case Value.ListV l -> {
                Long i = Operators.asLong(key);
                if (i == null) yield null;
                long idx = i < 0 ? i + l.items().size() : i;
                yield idx >= 0 && idx < l.items().size() ? l.items().get((int) idx) : null;
            }
            case Value.Str s -> {
                Long i = Operators.asLong(key);
                if (i == null) yield null;
                String c = PyStrings.charAt(s.value(), i);
                yield c == null ? null : new Value.Str(c, s.safe());
            }
            case Value.Range r -> {
                Long i = Operators.asLong(key);
                if (i == null) yield null;
                long idx = i < 0 ? i + r.length() : i;
                yield idx >= 0 && idx < r.length() ? Value.Int.of(r.at(idx)) : null;
            }
            default -> null;
        };
        if (v != null) return v;
        if (key instanceof Value.Str s) {
            return getattr(obj, s.value());
        }
        return Value.Undefined.missingItem(obj, key);
    }

    /** {@code obj[start:stop:step]} with Python's clamping and negative steps. */
    static Value slice(Interpreter in, Value obj, Value start, Value stop, Value step) {
        if (obj instanceof Value.Undefined u) throw u.error();
        Long a = sliceIndex(start), z = sliceIndex(stop), st = sliceIndex(step);
        long s = st == null ? 1 : st;
        if (s == 0) throw EvalError.value("slice step cannot be zero");
        switch (obj) {
            case Value.Str str -> {
                String text = str.value();
                int[] cps = text.codePoints().toArray();
                StringBuilder sb = new StringBuilder();
                for (long i : indices(cps.length, a, z, s)) sb.appendCodePoint(cps[(int) i]);
                return new Value.Str(sb.toString(), str.safe());
            }
            case Value.ListV l -> {
                List<Value> out = new ArrayList<>();
                for (long i : indices(l.items().size(), a, z, s)) out.add(l.items().get((int) i));
                return new Value.ListV(java.util.Collections.unmodifiableList(out), l.tuple());
            }
            case Value.Range r -> {
                List<Value> out = new ArrayList<>();
                for (long i : indices(r.length(), a, z, s)) {
                    in.tick();
                    out.add(Value.Int.of(r.at(i)));
                }
                return Value.ListV.of(out);
            }
            default -> {
                // jinja2 turns the TypeError of slicing a non-sequence into an undefined value
                return new Value.Undefined("'" + obj.typeName() + "' object is not subscriptable");
            }
        }
    }

    private static Long sliceIndex(Value v) {
        if (v == null || v instanceof Value.None) return null;
        if (v instanceof Value.Undefined u) throw u.error();
        Long i = Operators.asLong(v);
        if (i == null) throw EvalError.type("slice indices must be integers or None or have an __index__ method");
        return i;
    }

    /** The indices Python's {@code slice(start, stop, step).indices(n)} walks. */
    static long[] indices(long n, Long start, Long stop, long step) {
        long a, z;
        if (step > 0) {
            a = start == null ? 0 : start < 0 ? Math.max(0, start + n) : Math.min(start, n);
            z = stop == null ? n : stop < 0 ? Math.max(0, stop + n) : Math.min(stop, n);
            if (z <= a) return new long[0];
            long[] out = new long[(int) ((z - a - 1) / step + 1)];
            for (int k = 0; k < out.length; k++) out[k] = a + k * step;
            return out;
        }
        a = start == null ? n - 1 : start < 0 ? Math.max(-1, start + n) : Math.min(start, n - 1);
        z = stop == null ? -1 : stop < 0 ? Math.max(-1, stop + n) : Math.min(stop, n - 1);
        if (a <= z) return new long[0];
        long[] out = new long[(int) ((a - z - 1) / -step + 1)];
        for (int k = 0; k < out.length; k++) out[k] = a + k * step;
        return out;
    }
}
