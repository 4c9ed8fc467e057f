package io.jlama.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Python's operators on template values: arithmetic ({@code bool} counts as an int, {@code int} never silently
 * becomes a float except through {@code /}), string and list repetition, equality across numeric types, ordering,
 * and {@code in}. Errors carry the TypeError text Python would print.
 */
final class Operators {
    private Operators() {
    }

    static boolean isNumber(Value v) {
        return v instanceof Value.Int || v instanceof Value.Flt || v instanceof Value.Bool;
    }

    /** An int-like value (int or bool) as a long, or null. */
    static Long asLong(Value v) {
        return switch (v) {
            case Value.Int i -> i.value();
            case Value.Bool b -> b.value() ? 1L : 0L;
            default -> null;
        };
    }

    static double toDouble(Value v) {
        return switch (v) {
            case Value.Int i -> i.value();
            case Value.Flt f -> f.value();
            case Value.Bool b -> b.value() ? 1 : 0;
            default -> throw EvalError.type("must be real number, not " + v.typeName());
        };
    }

    static long toLongForFormat(Value v, char conv) {
        return switch (v) {
            case Value.Int i -> i.value();
            case Value.Bool b -> b.value() ? 1 : 0;
            case Value.Flt f when conv == 'd' || conv == 'i' || conv == 'u' -> (long) f.value();
            default -> throw EvalError.type("%" + conv + " format: a real number is required, not " + v.typeName());
        };
    }

    private static Value.Undefined firstUndefined(Value a, Value b) {
        if (a instanceof Value.Undefined u) return u;
        if (b instanceof Value.Undefined u) return u;
        return null;
    }

    // ---- equality and ordering ----

    static boolean eq(Value a, Value b) {
        if (a == b) return true;
        if (isNumber(a) && isNumber(b)) {
            Long x = asLong(a), y = asLong(b);
            if (x != null && y != null) return x.longValue() == y.longValue();
            return toDouble(a) == toDouble(b);
        }
        return switch (a) {
            case Value.Str s -> b instanceof Value.Str t && s.value().equals(t.value());
            case Value.ListV l -> b instanceof Value.ListV m && l.tuple() == m.tuple() && listEq(l.items(), m.items());
            case Value.Dict d -> b instanceof Value.Dict e && dictEq(d, e);
            case Value.Undefined u -> b instanceof Value.Undefined;
            case Value.Range r -> b instanceof Value.Range q && r.length() == q.length()
                    && (r.length() == 0 || (r.start() == q.start() && (r.length() == 1 || r.step() == q.step())));
            default -> false;
        };
    }

    private static boolean listEq(List<Value> a, List<Value> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) if (!eq(a.get(i), b.get(i))) return false;
        return true;
    }

    private static boolean dictEq(Value.Dict a, Value.Dict b) {
        if (a.size() != b.size()) return false;
        for (Value[] e : a.entries()) {
            Value other = b.get(e[0]);
            if (other == null || !eq(e[1], other)) return false;
        }
        return true;
    }

    /** Python's ordering; {@code op} names the operator for the error message. */
    static int compare(Value a, Value b, String op) {
        Value.Undefined u = firstUndefined(a, b);
        if (u != null) throw u.error();
        if (isNumber(a) && isNumber(b)) {
            Long x = asLong(a), y = asLong(b);
            if (x != null && y != null) return Long.compare(x, y);
            double p = toDouble(a), q = toDouble(b);
            return p < q ? -1 : p > q ? 1 : 0; // NaN compares as "neither", good enough
        }
        if (a instanceof Value.Str s && b instanceof Value.Str t) return compareCodePoints(s.value(), t.value());
        if (a instanceof Value.ListV l && b instanceof Value.ListV m && l.tuple() == m.tuple()) {
            List<Value> x = l.items(), y = m.items();
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!eq(x.get(i), y.get(i))) return compare(x.get(i), y.get(i), op);
            }
            return Integer.compare(x.size(), y.size());
        }
        throw EvalError.type("'" + op + "' not supported between instances of '" + a.typeName() + "' and '" + b.typeName() + "'");
    }

    /** Code point order (Python's), which differs from UTF-16 order above the BMP. */
    static int compareCodePoints(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int c = a.codePointAt(i), d = b.codePointAt(j);
            if (c != d) return Integer.compare(c, d);
            i += Character.charCount(c);
            j += Character.charCount(d);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    static boolean compareOp(String op, Value a, Value b) {
        return switch (op) {
            case "==" -> eq(a, b);
            case "!=" -> !eq(a, b);
            case "<" -> compare(a, b, op) < 0;
            case "<=" -> compare(a, b, op) <= 0;
            case ">" -> compare(a, b, op) > 0;
            case ">=" -> compare(a, b, op) >= 0;
            default -> throw new IllegalStateException(op);
        };
    }

    /** {@code item in container}. */
    static boolean contains(Value container, Value item) {
        switch (container) {
            case Value.Str s -> {
                if (!(item instanceof Value.Str t)) {
                    throw EvalError.type("'in <string>' requires string as left operand, not " + item.typeName());
                }
                return s.value().contains(t.value());
            }
            case Value.ListV l -> {
                for (Value v : l.items()) if (eq(v, item)) return true;
                return false;
            }
            case Value.Dict d -> {
                return d.containsKey(item);
            }
            case Value.Range r -> {
                Long x = asLong(item);
                if (x == null) return false;
                long n = r.length();
                if (n == 0) return false;
                long off = x - r.start();
                return off % r.step() == 0 && off / r.step() >= 0 && off / r.step() < n;
            }
            case Value.Iter it -> {
                if (it.reusable()) {
                    for (Value v : it.peekAll()) if (eq(v, item)) return true;
                    return false;
                }
                // a generator is consumed up to the match, as in Python
                for (Value v = it.next(); v != null; v = it.next()) {
                    if (eq(v, item)) return true;
                }
                return false;
            }
            case Value.Undefined u -> {
                return false; // iterates as empty
            }
            default -> throw EvalError.type("argument of type '" + container.typeName() + "' is not iterable");
        }
    }

    // ---- arithmetic ----

    static Value neg(Value v) {
        return switch (v) {
            case Value.Int i -> {
                if (i.value() == Long.MIN_VALUE) throw overflow();
                yield Value.Int.of(-i.value());
            }
            case Value.Bool b -> Value.Int.of(b.value() ? -1 : 0);
            case Value.Flt f -> new Value.Flt(-f.value());
            case Value.Undefined u -> throw u.error();
            default -> throw EvalError.type("bad operand type for unary -: '" + v.typeName() + "'");
        };
    }

    static Value pos(Value v) {
        return switch (v) {
            case Value.Int i -> i;
            case Value.Bool b -> Value.Int.of(b.value() ? 1 : 0);
            case Value.Flt f -> f;
            case Value.Undefined u -> throw u.error();
            default -> throw EvalError.type("bad operand type for unary +: '" + v.typeName() + "'");
        };
    }

    private static EvalError overflow() {
        return EvalError.limit("integer overflow: this renderer keeps integers within 64 bits");
    }

    private static EvalError unsupported(String op, Value a, Value b) {
        return EvalError.type("unsupported operand type(s) for " + op + ": '" + a.typeName() + "' and '" + b.typeName() + "'");
    }

    static Value binary(Interpreter in, String op, Value a, Value b) {
        Value.Undefined u = firstUndefined(a, b);
        if (u != null) throw u.error();
        if (isNumber(a) && isNumber(b)) return arith(op, a, b);
        return switch (op) {
            case "+" -> add(in, a, b);
            case "*" -> multiply(in, a, b);
            case "%" -> {
                if (a instanceof Value.Str s && s.safe()) {
                    // Markup % args escapes the string arguments (markupsafe)
                    yield new Value.Str(in.checkedStr(PyFormat.percent(s.value(), escapeArgs(b), in.maxChars())).value(), true);
                }
                if (a instanceof Value.Str s) yield in.checkedStr(PyFormat.percent(s.value(), b, in.maxChars()));
                throw unsupported(op, a, b);
            }
            default -> throw unsupported(op, a, b);
        };
    }

    private static Value escapeArgs(Value args) {
        if (args instanceof Value.Str s) return s.safe() ? s : new Value.Str(Filters.escapeHtml(s.value()), true);
        if (args instanceof Value.ListV l && l.tuple()) {
            List<Value> out = new ArrayList<>(l.items().size());
            for (Value v : l.items()) out.add(escapeArgs(v));
            return new Value.ListV(out, true);
        }
        return args;
    }

    private static Value add(Interpreter in, Value a, Value b) {
        if (a instanceof Value.Str s) {
            if (!(b instanceof Value.Str t)) throw EvalError.type("can only concatenate str (not \"" + b.typeName() + "\") to str");
            in.checkLength((long) s.value().length() + t.value().length());
            // markupsafe: Markup + str escapes the plain side, and so does str + Markup (Markup.__radd__)
            if (s.safe() && !t.safe()) return new Value.Str(s.value() + Filters.escapeHtml(t.value()), true);
            if (!s.safe() && t.safe()) return new Value.Str(Filters.escapeHtml(s.value()) + t.value(), true);
            return new Value.Str(s.value() + t.value(), s.safe());
        }
        if (a instanceof Value.ListV l) {
            if (!(b instanceof Value.ListV m) || l.tuple() != m.tuple()) {
                throw EvalError.type("can only concatenate " + a.typeName() + " (not \"" + b.typeName() + "\") to " + a.typeName());
            }
            in.checkItems((long) l.items().size() + m.items().size());
            List<Value> out = new ArrayList<>(l.items());
            out.addAll(m.items());
            return new Value.ListV(java.util.Collections.unmodifiableList(out), l.tuple());
        }
        throw unsupported("+", a, b);
    }

    private static Value multiply(Interpreter in, Value a, Value b) {
        Value seq = a, count = b;
        if (asLong(a) != null && !(b instanceof Value.Int || b instanceof Value.Bool)) {
            seq = b;
            count = a;
        }
        Long n = asLong(count);
        if (n == null) {
            if (seq instanceof Value.Str || seq instanceof Value.ListV) {
                throw EvalError.type("can't multiply sequence by non-int of type '" + count.typeName() + "'");
            }
            throw unsupported("*", a, b);
        }
        long times = Math.max(0, n);
        switch (seq) {
            case Value.Str s -> {
                in.checkLength(saturatedMultiply(times, s.value().length())); // before allocating: 'x' * 10**9 fails fast
                return new Value.Str(s.value().repeat((int) (s.value().isEmpty() ? 0 : times)), s.safe());
            }
            case Value.ListV l -> {
                long total = saturatedMultiply(times, l.items().size());
                in.checkItems(total);
                if (total == 0) return new Value.ListV(List.of(), l.tuple()); // [] * 10**9 must not loop
                List<Value> out = new ArrayList<>((int) total);
                for (long i = 0; i < times; i++) out.addAll(l.items());
                return new Value.ListV(java.util.Collections.unmodifiableList(out), l.tuple());
            }
            default -> throw unsupported("*", a, b);
        }
    }

    private static long saturatedMultiply(long a, long b) {
        return Math.multiplyHigh(a, b) != 0 || a * b < 0 ? Long.MAX_VALUE : a * b;
    }

    private static Value arith(String op, Value a, Value b) {
        Long x = asLong(a), y = asLong(b);
        if (x != null && y != null) {
            long p = x, q = y;
            try {
                return switch (op) {
                    case "+" -> Value.Int.of(Math.addExact(p, q));
                    case "-" -> Value.Int.of(Math.subtractExact(p, q));
                    case "*" -> Value.Int.of(Math.multiplyExact(p, q));
                    case "/" -> {
                        if (q == 0) throw zero("division by zero");
                        yield new Value.Flt((double) p / q);
                    }
                    case "//" -> {
                        if (q == 0) throw zero("integer division or modulo by zero");
                        yield Value.Int.of(Math.floorDiv(p, q));
                    }
                    case "%" -> {
                        if (q == 0) throw zero("integer division or modulo by zero");
                        yield Value.Int.of(Math.floorMod(p, q));
                    }
                    case "**" -> intPow(p, q);
                    default -> throw new IllegalStateException(op);
                };
            } catch (ArithmeticException e) {
                throw overflow();
            }
        }
        double p = toDouble(a), q = toDouble(b);
        return switch (op) {
            case "+" -> new Value.Flt(p + q);
            case "-" -> new Value.Flt(p - q);
            case "*" -> new Value.Flt(p * q);
            case "/" -> {
                if (q == 0) throw zero("float division by zero");
                yield new Value.Flt(p / q);
            }
            case "//" -> {
                if (q == 0) throw zero("float floor division by zero");
                yield new Value.Flt(Math.floor(p / q));
            }
            case "%" -> {
                if (q == 0) throw zero("float modulo");
                double r = p % q;
                if (r != 0 && (r < 0) != (q < 0)) r += q;
                yield new Value.Flt(r);
            }
            case "**" -> {
                if (p == 0 && q < 0) throw zero("0.0 cannot be raised to a negative power");
                yield new Value.Flt(Math.pow(p, q));
            }
            default -> throw new IllegalStateException(op);
        };
    }

    private static Value intPow(long base, long exp) {
        if (exp < 0) {
            if (base == 0) throw zero("0.0 cannot be raised to a negative power");
            return new Value.Flt(Math.pow(base, exp));
        }
        long result = 1, b = base, e = exp;
        while (e > 0) {
            if ((e & 1) == 1) result = Math.multiplyExact(result, b);
            e >>= 1;
            if (e > 0) b = Math.multiplyExact(b, b);
        }
        return Value.Int.of(result);
    }

    private static EvalError zero(String msg) {
        return EvalError.runtime("ZeroDivisionError: " + msg);
    }
}
