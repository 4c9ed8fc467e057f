package io.jlama.chat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The values a template can see. This closed set is the sandbox: a template only ever holds strings, numbers,
 * booleans, None, lists, dicts and a few interpreter objects (namespace, loop, macros, builtin functions), never a
 * Java object, so there is no reflective path to the host. Every value mirrors the Python type jinja2 would give
 * it, because chat templates are written against Python semantics (truthiness, printing, equality).
 */
sealed interface Value permits Value.Undefined, Value.None, Value.Bool, Value.Int, Value.Flt, Value.Str, Value.ListV,
        Value.Dict, Value.Range, Value.Iter, Value.Namespace, Value.Callable, Value.Obj {

    /** Python's {@code type(x).__name__}, used in error messages and by {@code tojson}'s refusals. */
    String typeName();

    /** Python truthiness. */
    boolean truthy();

    // ---- scalars ----

    /**
     * jinja2's lenient {@code Undefined}: prints as empty, iterates as empty, is falsy, but any attribute access,
     * call or arithmetic on it fails with {@link #message()}.
     */
    record Undefined(String message) implements Value {
        static Undefined named(String name) {
            return new Undefined("'" + name + "' is undefined");
        }

        static Undefined missingAttr(Value owner, String attr) {
            return new Undefined(describeOwner(owner) + " has no attribute '" + attr + "'");
        }

        static Undefined missingItem(Value owner, Value key) {
            return new Undefined(describeOwner(owner) + " has no attribute " + PyFormat.brief(key));
        }

        private static String describeOwner(Value owner) {
            return owner instanceof None ? "'None'" : "'" + owner.typeName() + " object'";
        }

        @Override
        public String typeName() {
            return "Undefined";
        }

        @Override
        public boolean truthy() {
            return false;
        }

        EvalError error() {
            return EvalError.undefined(message);
        }
    }

    enum None implements Value {
        NONE;

        @Override
        public String typeName() {
            return "NoneType";
        }

        @Override
        public boolean truthy() {
            return false;
        }
    }

    enum Bool implements Value {
        FALSE, TRUE;

        static Bool of(boolean b) {
            return b ? TRUE : FALSE;
        }

        boolean value() {
            return this == TRUE;
        }

        @Override
        public String typeName() {
            return "bool";
        }

        @Override
        public boolean truthy() {
            return this == TRUE;
        }
    }

    /** Python int, held in a long; arithmetic that would overflow fails instead of growing (see {@link Operators}). */
    record Int(long value) implements Value {
        private static final Int[] SMALL = new Int[262];

        static {
            for (int i = 0; i < SMALL.length; i++) SMALL[i] = new Int(i - 5);
        }

        static Int of(long v) {
            return v >= -5 && v < 257 ? SMALL[(int) v + 5] : new Int(v);
        }

        @Override
        public String typeName() {
            return "int";
        }

        @Override
        public boolean truthy() {
            return value != 0;
        }
    }

    record Flt(double value) implements Value {
        @Override
        public String typeName() {
            return "float";
        }

        @Override
        public boolean truthy() {
            return value != 0.0;
        }
    }

    /**
     * A string. {@code safe} marks markupsafe's {@code Markup} (what the {@code safe} filter returns): adding a plain
     * string to it HTML-escapes that string, as transformers' jinja2 does (functionary v3.1 depends on it).
     */
    record Str(String value, boolean safe) implements Value {
        static final Str EMPTY = new Str("", false);

        static Str of(String s) {
            return s.isEmpty() ? EMPTY : new Str(s, false);
        }

        @Override
        public String typeName() {
            return safe ? "Markup" : "str";
        }

        @Override
        public boolean truthy() {
            return !value.isEmpty();
        }
    }

    // ---- containers (immutable: the sandbox is jinja2's ImmutableSandboxedEnvironment) ----

    /** A Python list or tuple. */
    record ListV(List<Value> items, boolean tuple) implements Value {
        static final ListV EMPTY = new ListV(List.of(), false);

        static ListV of(List<Value> items) {
            return new ListV(Collections.unmodifiableList(items), false);
        }

        static ListV tuple(Value... items) {
            return new ListV(List.of(items), true);
        }

        @Override
        public String typeName() {
            return tuple ? "tuple" : "list";
        }

        @Override
        public boolean truthy() {
            return !items.isEmpty();
        }
    }

    /**
     * A Python dict: insertion-ordered, keyed by Python equality (so {@code 1}, {@code 1.0} and {@code True} are one
     * key, and integer keys as in ByteDance-Seed-OSS work).
     */
    final class Dict implements Value {
        static final Dict EMPTY = new Dict(new LinkedHashMap<>());

        private final LinkedHashMap<Object, Value[]> entries; // hash key -> {original key, value}

        private Dict(LinkedHashMap<Object, Value[]> entries) {
            this.entries = entries;
        }

        /** Builds a dict; a later duplicate key replaces the value but keeps the first key, as in Python. */
        static final class Builder {
            private final LinkedHashMap<Object, Value[]> map = new LinkedHashMap<>();

            Builder put(Value key, Value value) {
                Object h = hashKey(key);
                Value[] old = map.get(h);
                if (old != null) old[1] = value;
                else map.put(h, new Value[]{key, value});
                return this;
            }

            Builder put(String key, Value value) {
                return put(Str.of(key), value);
            }

            int size() {
                return map.size();
            }

            Dict build() {
                return map.isEmpty() ? EMPTY : new Dict(map);
            }
        }

        /** The Java object that stands for a key's Python hash/equality class; fails for unhashable values. */
        static Object hashKey(Value key) {
            return switch (key) {
                case Str s -> s.value();
                case Int i -> i.value();
                case Bool b -> b.value() ? 1L : 0L;
                case Flt f -> f.value() == Math.rint(f.value()) && Math.abs(f.value()) < 9.2e18 ? (Object) (long) f.value() : (Object) f.value();
                case None n -> n;
                case Undefined u -> Undefined.class;
                case ListV l when l.tuple() -> {
                    List<Object> parts = new ArrayList<>(l.items().size());
                    for (Value v : l.items()) parts.add(hashKey(v));
                    yield parts;
                }
                default -> throw EvalError.type("unhashable type: '" + key.typeName() + "'");
            };
        }

        Value get(Value key) {
            Value[] e = entries.get(hashKey(key));
            return e == null ? null : e[1];
        }

        Value get(String key) {
            Value[] e = entries.get(key);
            return e == null ? null : e[1];
        }

        boolean containsKey(Value key) {
            return entries.containsKey(hashKey(key));
        }

        int size() {
            return entries.size();
        }

        List<Value> keys() {
            List<Value> out = new ArrayList<>(entries.size());
            for (Value[] e : entries.values()) out.add(e[0]);
            return out;
        }

        List<Value> values() {
            List<Value> out = new ArrayList<>(entries.size());
            for (Value[] e : entries.values()) out.add(e[1]);
            return out;
        }

        /** (key, value) tuples in insertion order. */
        List<Value> items() {
            List<Value> out = new ArrayList<>(entries.size());
            for (Value[] e : entries.values()) out.add(ListV.tuple(e[0], e[1]));
            return out;
        }

        Iterable<Value[]> entries() {
            return entries.values();
        }

        @Override
        public String typeName() {
            return "dict";
        }

        @Override
        public boolean truthy() {
            return !entries.isEmpty();
        }
    }

    /** {@code range(start, stop, step)}: lazy, so {@code range(10**9)} costs nothing until iterated. */
    record Range(long start, long stop, long step) implements Value {
        long length() {
            if (step > 0) return start < stop ? (stop - start - 1) / step + 1 : 0;
            return start > stop ? (start - stop - 1) / -step + 1 : 0;
        }

        long at(long i) {
            return start + i * step;
        }

        @Override
        public String typeName() {
            return "range";
        }

        @Override
        public boolean truthy() {
            return length() > 0;
        }
    }

    /**
     * A one-shot iterator: what jinja2's {@code map}, {@code select}, {@code items}, {@code reverse}... return
     * (generators), and Python's dict views. Iterating consumes it, like Python; it has no length and is not
     * JSON-serializable, which templates can observe ({@code tools|map(...)|tojson} raises under transformers).
     * Dict views ({@code dict_items}...) are re-iterable and have a length: {@code reusable} is true for them.
     */
    final class Iter implements Value {
        private final List<Value> items;
        private final String typeName;
        private final boolean reusable;
        private int pos;

        Iter(List<Value> items, String typeName, boolean reusable) {
            this.items = items;
            this.typeName = typeName;
            this.reusable = reusable;
        }

        static Iter generator(List<Value> items) {
            return new Iter(items, "generator", false);
        }

        static Iter view(List<Value> items, String typeName) {
            return new Iter(items, typeName, true);
        }

        boolean reusable() {
            return reusable;
        }

        /** The remaining items, consuming them unless this is a view. */
        List<Value> drain() {
            if (reusable) return items;
            List<Value> rest = items.subList(pos, items.size());
            pos = items.size();
            return rest;
        }

        /** For generators only: the next item, or null when exhausted. */
        Value next() {
            return pos < items.size() ? items.get(pos++) : null;
        }

        /** For views only: the items without consuming. */
        List<Value> peekAll() {
            return items;
        }

        @Override
        public String typeName() {
            return typeName;
        }

        @Override
        public boolean truthy() {
            return !reusable || !items.isEmpty();
        }
    }

    /** jinja2's {@code namespace()}: the one mutable value, written only by {@code {% set ns.attr = ... %}}. */
    final class Namespace implements Value {
        final Map<String, Value> attrs = new LinkedHashMap<>();

        @Override
        public String typeName() {
            return "Namespace";
        }

        @Override
        public boolean truthy() {
            return true;
        }
    }

    /** Something a template can call: a macro, a builtin global, a bound string/dict/list method. */
    non-sealed interface Callable extends Value {
        Value call(Interpreter in, Args args);

        /** How Python would print it (no addresses: renders are deterministic). */
        String describe();

        @Override
        default boolean truthy() {
            return true;
        }
    }

    /** An interpreter object with attributes: {@code loop}, {@code cycler()}, {@code joiner()}. */
    non-sealed interface Obj extends Value {
        /** The attribute, or null when it has none of that name. */
        Value attr(String name);

        String describe();

        @Override
        default boolean truthy() {
            return true;
        }
    }
}
