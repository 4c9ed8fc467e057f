package io.jlama.chat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Converts the caller's JSON-like Java values into template values, copying them: the template never holds a
 * reference to a caller's object, so it can neither call its methods nor change it. Anything that is not JSON-like
 * is refused here, at the boundary.
 */
final class JavaValues {
    private static final int MAX_DEPTH = 512;

    private JavaValues() {
    }

    static Value of(Object o) {
        return of(o, 0);
    }

    private static Value of(Object o, int depth) {
        if (depth > MAX_DEPTH) throw new IllegalArgumentException("template variable nested deeper than " + MAX_DEPTH + " levels (a cycle?)");
        return switch (o) {
            case null -> Value.None.NONE;
            case Value v -> v;
            case CharSequence s -> Value.Str.of(s.toString());
            case Character c -> Value.Str.of(c.toString());
            case Boolean b -> Value.Bool.of(b);
            case Integer i -> Value.Int.of(i);
            case Long l -> Value.Int.of(l);
            case Short s -> Value.Int.of(s);
            case Byte b -> Value.Int.of(b);
            case BigInteger b -> {
                if (b.bitLength() > 63) throw new IllegalArgumentException("integer " + b + " does not fit in 64 bits");
                yield Value.Int.of(b.longValue());
            }
            case BigDecimal d -> new Value.Flt(d.doubleValue());
            case Float f -> new Value.Flt(f);
            case Double d -> new Value.Flt(d);
            case Message m -> of(m.toMap(), depth + 1);
            case Map<?, ?> m -> {
                Value.Dict.Builder b = new Value.Dict.Builder();
                for (Map.Entry<?, ?> e : m.entrySet()) b.put(of(e.getKey(), depth + 1), of(e.getValue(), depth + 1));
                yield b.build();
            }
            case Iterable<?> it -> {
                List<Value> items = new ArrayList<>();
                for (Object x : it) items.add(of(x, depth + 1));
                yield Value.ListV.of(items);
            }
            case Object[] arr -> {
                List<Value> items = new ArrayList<>(arr.length);
                for (Object x : arr) items.add(of(x, depth + 1));
                yield Value.ListV.of(items);
            }
            default -> throw new IllegalArgumentException("a template variable must be JSON-like (Map, List, String, Number, Boolean or null), not "
                    + o.getClass().getName());
        };
    }
}
