package io.jlama.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The evaluated arguments of a call: positional values and keyword values, as Python passes them. */
final class Args {
    static final Args NONE = new Args(List.of(), Map.of());

    final List<Value> positional;
    final Map<String, Value> keywords;

    Args(List<Value> positional, Map<String, Value> keywords) {
        this.positional = positional;
        this.keywords = keywords;
    }

    static Args of(Value... positional) {
        return new Args(List.of(positional), Map.of());
    }

    /** These arguments with {@code first} put in front (a filter's input, a method's receiver). */
    Args prepend(Value first) {
        List<Value> p = new ArrayList<>(positional.size() + 1);
        p.add(first);
        p.addAll(positional);
        return new Args(p, keywords);
    }

    /**
     * A Python-style signature: parameter names with defaults ({@link #REQUIRED} for none), bound the way Python
     * binds a call (positional first, then keywords; unknown keywords and missing arguments are TypeErrors).
     */
    record Sig(String function, String[] names, Value[] defaults, boolean varargs) {
        /** Marks a parameter without default. Never visible to templates. */
        static final Value REQUIRED = new Value.Undefined("required argument");

        /** {@code Sig.of("indent", "s", REQUIRED, "width", Int.of(4), ...)}: alternating names and defaults. */
        static Sig of(String function, Object... spec) {
            String[] names = new String[spec.length / 2];
            Value[] defaults = new Value[spec.length / 2];
            for (int i = 0; i < names.length; i++) {
                names[i] = (String) spec[2 * i];
                defaults[i] = (Value) spec[2 * i + 1];
            }
            return new Sig(function, names, defaults, false);
        }

        /** Like {@link #of} but also accepts extra positional and keyword arguments (read from the raw {@link Args}). */
        static Sig varargs(String function, Object... spec) {
            Sig s = of(function, spec);
            return new Sig(function, s.names, s.defaults, true);
        }

        Value[] bind(Args args) {
            Value[] out = new Value[names.length];
            int np = args.positional.size();
            if (np > names.length && !varargs) {
                throw EvalError.type(function + "() takes at most " + names.length + " argument" + (names.length == 1 ? "" : "s") + " (" + np + " given)");
            }
            for (int i = 0; i < Math.min(np, names.length); i++) out[i] = args.positional.get(i);
            for (Map.Entry<String, Value> kw : args.keywords.entrySet()) {
                int idx = indexOf(kw.getKey());
                if (idx < 0 && varargs) continue; // *args, **kwargs: the implementation reads them raw
                if (idx < 0) throw EvalError.type(function + "() got an unexpected keyword argument '" + kw.getKey() + "'");
                if (out[idx] != null) throw EvalError.type(function + "() got multiple values for argument '" + kw.getKey() + "'");
                out[idx] = kw.getValue();
            }
            for (int i = 0; i < out.length; i++) {
                if (out[i] == null) {
                    if (defaults[i] == REQUIRED) throw EvalError.type(function + "() missing required argument '" + names[i] + "'");
                    out[i] = defaults[i];
                }
            }
            return out;
        }

        private int indexOf(String name) {
            for (int i = 0; i < names.length; i++) if (names[i].equals(name)) return i;
            return -1;
        }
    }

    /** Positional arguments beyond the first {@code n} (for varargs signatures). */
    List<Value> extra(int n) {
        return positional.size() > n ? positional.subList(n, positional.size()) : List.of();
    }

    static Map<String, Value> kw() {
        return new LinkedHashMap<>();
    }
}
