package io.jlama.chat;

import java.util.List;

/** The template's syntax tree: statements ({@link Stmt}) and expressions ({@link Expr}), each with its source line. */
final class Node {
    private Node() {
    }

    // ---- expressions ----

    sealed interface Expr permits Const, Name, ListLit, TupleLit, DictLit, GetAttr, GetItem, Slice, Call, Filter, Test,
            Unary, Not, Binary, And, Or, Compare, Concat, CondExpr {
        int line();
    }

    record Const(Value value, int line) implements Expr {
    }

    record Name(String name, int line) implements Expr {
    }

    record ListLit(List<Expr> items, int line) implements Expr {
    }

    record TupleLit(List<Expr> items, int line) implements Expr {
    }

    record DictLit(List<Expr> keys, List<Expr> values, int line) implements Expr {
    }

    /** {@code obj.name}: Python attribute first, then item (jinja2's {@code getattr}). */
    record GetAttr(Expr obj, String name, int line) implements Expr {
    }

    /** {@code obj[key]}: item first, then attribute (jinja2's {@code getitem}); key may be a {@link Slice}. */
    record GetItem(Expr obj, Expr key, int line) implements Expr {
    }

    /** {@code start:stop:step} inside brackets; any part may be null. */
    record Slice(Expr start, Expr stop, Expr step, int line) implements Expr {
    }

    /** Arguments of a call, a filter or a test. */
    record CallArgs(List<Expr> positional, List<String> kwNames, List<Expr> kwValues, Expr star, Expr starStar) {
        static final CallArgs NONE = new CallArgs(List.of(), List.of(), List.of(), null, null);
    }

    record Call(Expr fn, CallArgs args, int line) implements Expr {
    }

    /** {@code target | name(args)}; the target is null in a {@code {% filter %}} block or a block {@code set}. */
    record Filter(Expr target, String name, CallArgs args, int line) implements Expr {
    }

    record Test(Expr target, String name, CallArgs args, boolean negated, int line) implements Expr {
    }

    /** Unary {@code -} or {@code +}. */
    record Unary(String op, Expr operand, int line) implements Expr {
    }

    record Not(Expr operand, int line) implements Expr {
    }

    /** Arithmetic: {@code + - * / // % **}. */
    record Binary(String op, Expr left, Expr right, int line) implements Expr {
    }

    record And(Expr left, Expr right, int line) implements Expr {
    }

    record Or(Expr left, Expr right, int line) implements Expr {
    }

    /** A Python comparison chain {@code a < b <= c}; ops are {@code == != < <= > >= in notin}. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int line) implements Expr {
    }

    /** {@code a ~ b ~ c}: string concatenation of the printed forms. */
    record Concat(List<Expr> parts, int line) implements Expr {
    }

    /** {@code then if test else otherwise}; without {@code else} the result is undefined when the test fails. */
    record CondExpr(Expr test, Expr then, Expr otherwise, int line) implements Expr {
    }

    // ---- assignment targets ----

    sealed interface Target permits NameTarget, TupleTarget, AttrTarget {
    }

    record NameTarget(String name) implements Target {
    }

    record TupleTarget(List<Target> items) implements Target {
    }

    /** {@code ns.attr}: only a namespace can be written this way. */
    record AttrTarget(String name, String attr) implements Target {
    }

    // ---- statements ----

    sealed interface Stmt permits Text, Print, If, For, Set, SetBlock, Macro, CallBlock, FilterBlock, With, Scoped, Break,
            Continue {
        int line();
    }

    record Text(String text, int line) implements Stmt {
    }

    record Print(Expr expr, int line) implements Stmt {
    }

    /** {@code if / elif... / else}: conditions and bodies pair up; {@code orElse} may be empty. */
    record If(List<Expr> conditions, List<List<Stmt>> bodies, List<Stmt> orElse, int line) implements Stmt {
    }

    record For(Target target, Expr iterable, Expr filter, boolean recursive, List<Stmt> body, List<Stmt> orElse, int line) implements Stmt {
    }

    record Set(Target target, Expr value, int line) implements Stmt {
    }

    /** {@code {% set x %}...{% endset %}}, optionally filtered ({@code {% set x | trim %}}). */
    record SetBlock(Target target, List<Filter> filters, List<Stmt> body, int line) implements Stmt {
    }

    /**
     * A macro definition. {@code defaults} lines up with the last parameters (as in Python). The flags say whether the
     * body reads {@code varargs}, {@code kwargs} or {@code caller}: jinja2 only accepts extra arguments when it does.
     */
    record Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body, boolean varargs, boolean kwargs,
                 boolean caller, int line) implements Stmt {
    }

    /** {@code {% call(params) macro(args) %}body{% endcall %}}: the body becomes the macro's {@code caller()}. */
    record CallBlock(Call call, Macro caller, int line) implements Stmt {
    }

    record FilterBlock(List<Filter> filters, List<Stmt> body, int line) implements Stmt {
    }

    record With(List<Target> targets, List<Expr> values, List<Stmt> body, int line) implements Stmt {
    }

    /** A body with its own scope: transformers' {@code {% generation %}} tag renders just its body. */
    record Scoped(List<Stmt> body, int line) implements Stmt {
    }

    record Break(int line) implements Stmt {
    }

    record Continue(int line) implements Stmt {
    }
}
