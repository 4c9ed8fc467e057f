package io.jlama.chat;

import io.jlama.chat.Args.Sig;

import java.time.LocalDateTime;
import java.util.List;

import static io.jlama.chat.Args.Sig.REQUIRED;

/**
 * The global functions a chat template can call: jinja2's {@code range}, {@code dict}, {@code namespace},
 * {@code cycler}, {@code joiner}, and the two transformers adds, {@code raise_exception} and {@code strftime_now}
 * (which reads the render's clock, so renders can be made reproducible).
 */
final class Globals {
    private Globals() {
    }

    @FunctionalInterface
    interface Impl {
        Value apply(Interpreter in, Value[] a, Args raw);
    }

    /** A builtin function value. */
    record Builtin(String name, Sig sig, Impl impl) implements Value.Callable {
        @Override
        public Value call(Interpreter in, Args args) {
            return impl.apply(in, sig.bind(args), args);
        }

        @Override
        public String describe() {
            return "<function " + name + ">";
        }

        @Override
        public String typeName() {
            return "function";
        }
    }

    private static final Value NONE = Value.None.NONE;

    private static final List<Builtin> BUILTINS = List.of(
            new Builtin("range", Sig.of("range", "start", REQUIRED, "stop", NONE, "step", NONE), Globals::range),
            new Builtin("dict", Sig.varargs("dict"), (in, a, raw) -> {
                Value.Dict.Builder b = new Value.Dict.Builder();
                if (raw.positional.size() > 1) throw EvalError.type("dict expected at most 1 argument, got " + raw.positional.size());
                if (!raw.positional.isEmpty()) addPairs(in, b, raw.positional.get(0));
                raw.keywords.forEach(b::put);
                in.checkItems(b.size());
                return b.build();
            }),
            new Builtin("namespace", Sig.varargs("namespace"), (in, a, raw) -> {
                Value.Namespace ns = new Value.Namespace();
                if (raw.positional.size() > 1) throw EvalError.type("namespace expected at most 1 argument, got " + raw.positional.size());
                if (!raw.positional.isEmpty()) {
                    Value.Dict.Builder b = new Value.Dict.Builder();
                    addPairs(in, b, raw.positional.get(0));
                    for (Value[] e : b.build().entries()) ns.attrs.put(in.str(e[0]), e[1]);
                }
                ns.attrs.putAll(raw.keywords);
                return ns;
            }),
            new Builtin("raise_exception", Sig.of("raise_exception", "message", Value.Str.EMPTY),
                    (in, a, raw) -> {
                        throw new EvalError(TemplateException.Kind.RAISED, in.str(a[0]));
                    }),
            new Builtin("strftime_now", Sig.of("strftime_now", "format", REQUIRED),
                    (in, a, raw) -> in.checkedStr(Strftime.format(LocalDateTime.now(in.clock()), Methods.arg(a[0], "strftime_now")))),
            new Builtin("cycler", Sig.varargs("cycler"), (in, a, raw) -> new Cycler(List.copyOf(raw.positional))),
            new Builtin("joiner", Sig.of("joiner", "sep", Value.Str.of(", ")), (in, a, raw) -> new Joiner(in.str(a[0]))));

    static void install(Interpreter.Scope scope) {
        for (Builtin b : BUILTINS) scope.set(b.name(), b);
    }

    private static void addPairs(Interpreter in, Value.Dict.Builder b, Value source) {
        if (source instanceof Value.Dict d) {
            for (Value[] e : d.entries()) b.put(e[0], e[1]);
            return;
        }
        for (Value pair : in.iterate(source)) {
            List<Value> kv = in.iterate(pair);
            if (kv.size() != 2) throw EvalError.value("dictionary update sequence element has length " + kv.size() + "; 2 is required");
            b.put(kv.get(0), kv.get(1));
        }
    }

    private static Value range(Interpreter in, Value[] a, Args raw) {
        long start = 0, stop, step = 1;
        if (a[1] instanceof Value.None) {
            stop = Methods.intArg(a[0], "range");
        } else {
            start = Methods.intArg(a[0], "range");
            stop = Methods.intArg(a[1], "range");
            if (!(a[2] instanceof Value.None)) step = Methods.intArg(a[2], "range");
        }
        if (step == 0) throw EvalError.value("range() arg 3 must not be zero");
        Value.Range r = new Value.Range(start, stop, step);
        if (r.length() > Interpreter.MAX_RANGE) {
            // jinja2's sandbox has the same bound, so a template that passes transformers passes here
            throw EvalError.limit("OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (" + Interpreter.MAX_RANGE + ").");
        }
        return r;
    }

    /** jinja2's {@code cycler(a, b, ...)}: {@code next()}, {@code current}, {@code reset()}. */
    static final class Cycler implements Value.Obj {
        private final List<Value> items;
        private int pos;

        Cycler(List<Value> items) {
            if (items.isEmpty()) throw EvalError.runtime("RuntimeError: at least one item has to be provided");
            this.items = items;
        }

        @Override
        public Value attr(String name) {
            return switch (name) {
                case "current" -> items.get(pos);
                case "next" -> new Builtin("next", Sig.of("next"), (in, a, raw) -> {
                    Value v = items.get(pos);
                    pos = (pos + 1) % items.size();
                    return v;
                });
                case "reset" -> new Builtin("reset", Sig.of("reset"), (in, a, raw) -> {
                    pos = 0;
                    return NONE;
                });
                default -> null;
            };
        }

        @Override
        public String describe() {
            return "<Cycler>";
        }

        @Override
        public String typeName() {
            return "Cycler";
        }
    }

    /** jinja2's {@code joiner(sep)}: calling it returns "" the first time and {@code sep} after that. */
    static final class Joiner implements Value.Callable {
        private final String sep;
        private boolean used;

        Joiner(String sep) {
            this.sep = sep;
        }

        @Override
        public Value call(Interpreter in, Args args) {
            if (!used) {
                used = true;
                return Value.Str.EMPTY;
            }
            return Value.Str.of(sep);
        }

        @Override
        public String describe() {
            return "<Joiner>";
        }

        @Override
        public String typeName() {
            return "Joiner";
        }
    }
}
