package io.jlama.chat;

import io.jlama.chat.Args.Sig;

import java.util.HashMap;
import java.util.Map;

import static io.jlama.chat.Args.Sig.REQUIRED;

/**
 * jinja2's tests ({@code x is defined}, {@code x is string}...), with Python's type model: {@code true is number}
 * holds (bool is an int), {@code 'abc' is iterable} and {@code is sequence} hold, and an undefined value counts as
 * iterable and as a sequence (it has a length and can be iterated) but not as a mapping or a string.
 */
final class Tests {
    private Tests() {
    }

    @FunctionalInterface
    interface Impl {
        boolean test(Interpreter in, Value v, Value[] a);
    }

    record Test(Sig sig, Impl impl) {
    }

    private static final Map<String, Test> TESTS = new HashMap<>();

    static boolean exists(String name) {
        return TESTS.containsKey(name);
    }

    static boolean apply(Interpreter in, String name, Value v, Args args) {
        Test t = TESTS.get(name);
        if (t == null) throw EvalError.runtime("TemplateAssertionError: No test named '" + name + "'.");
        return t.impl().test(in, v, t.sig().bind(args));
    }

    private static void def(Impl impl, Sig sig, String... names) {
        for (String n : names) TESTS.put(n, new Test(sig, impl));
    }

    private static void def(Impl impl, String... names) {
        def(impl, Sig.of(names[0]), names);
    }

    private static Sig one(String name) {
        return Sig.of(name, "other", REQUIRED);
    }

    static {
        def((in, v, a) -> v instanceof Value.Bool, "boolean");
        def((in, v, a) -> v instanceof Value.Callable, "callable");
        def((in, v, a) -> !(v instanceof Value.Undefined), "defined");
        def((in, v, a) -> v instanceof Value.Undefined, "undefined");
        def((in, v, a) -> v instanceof Value.None, "none");
        def((in, v, a) -> v == Value.Bool.TRUE, "true");
        def((in, v, a) -> v == Value.Bool.FALSE, "false");
        def((in, v, a) -> v instanceof Value.Str, "string");
        def((in, v, a) -> v instanceof Value.Dict, "mapping");
        def((in, v, a) -> Operators.isNumber(v), "number");
        def((in, v, a) -> v instanceof Value.Int, "integer");
        def((in, v, a) -> v instanceof Value.Flt, "float");
        def((in, v, a) -> v instanceof Value.Str s && s.safe(), "escaped");
        def((in, v, a) -> switch (v) {
            case Value.Str s -> true;
            case Value.ListV l -> true;
            case Value.Dict d -> true;
            case Value.Range r -> true;
            case Value.Iter it -> true;
            case Value.Undefined u -> true;
            default -> false;
        }, "iterable");
        def((in, v, a) -> switch (v) {
            case Value.Str s -> true;
            case Value.ListV l -> true;
            case Value.Dict d -> true;
            case Value.Range r -> true;
            case Value.Undefined u -> true;
            default -> false;
        }, "sequence");
        def((in, v, a) -> PyStrings.isLowerStr(in.str(v)), "lower");
        def((in, v, a) -> PyStrings.isUpperStr(in.str(v)), "upper");
        def((in, v, a) -> {
            Long x = Operators.asLong(v);
            if (x == null) throw EvalError.type("not all arguments converted during string formatting");
            return x % 2 == 0;
        }, "even");
        def((in, v, a) -> {
            Long x = Operators.asLong(v);
            if (x == null) throw EvalError.type("not all arguments converted during string formatting");
            return x % 2 != 0;
        }, "odd");
        def((in, v, a) -> {
            Value r = Operators.binary(in, "%", v, a[0]);
            return Operators.eq(r, Value.Int.of(0));
        }, Sig.of("divisibleby", "num", REQUIRED), "divisibleby");
        def((in, v, a) -> Operators.eq(v, a[0]), one("eq"), "eq", "equalto", "==");
        def((in, v, a) -> !Operators.eq(v, a[0]), one("ne"), "ne", "!=");
        def((in, v, a) -> Operators.compare(v, a[0], "<") < 0, one("lt"), "lt", "lessthan", "<");
        def((in, v, a) -> Operators.compare(v, a[0], "<=") <= 0, one("le"), "le", "<=");
        def((in, v, a) -> Operators.compare(v, a[0], ">") > 0, one("gt"), "gt", "greaterthan", ">");
        def((in, v, a) -> Operators.compare(v, a[0], ">=") >= 0, one("ge"), "ge", ">=");
        def((in, v, a) -> Operators.contains(a[0], v), Sig.of("in", "seq", REQUIRED), "in");
        def((in, v, a) -> sameAs(v, a[0]), one("sameas"), "sameas");
        def((in, v, a) -> Filters.exists(in.str(v)), "filter");
        def((in, v, a) -> exists(in.str(v)), "test");
    }

    /** Python's {@code is}: singletons and small ints compare by value, everything else by identity. */
    private static boolean sameAs(Value a, Value b) {
        if (a == b) return true;
        if (a instanceof Value.Int x && b instanceof Value.Int y) return x.value() == y.value() && x.value() >= -5 && x.value() <= 256;
        return false;
    }
}
