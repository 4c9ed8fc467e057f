package io.jlama.chat;

import io.jlama.chat.Node.*;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks the syntax tree and writes the output. One instance renders once: it carries the step, time and depth
 * budget of that render ({@link TemplateLimits}).
 *
 * <p>Scoping follows jinja2: a {@code for} body gets a fresh scope per iteration (a {@code set} inside a loop is
 * invisible after it, and even in the next iteration, which is why templates use {@code namespace()}); macros,
 * call blocks, filter blocks, block {@code set}s and {@code with} get their own scope too; {@code if} does not.
 * Macros close over the scope they were defined in and read it at call time, so a top-level macro sees top-level
 * variables as they are when it is called.
 */
final class Interpreter {
    /** jinja2's sandbox refuses {@code range()} of more than this many items. */
    static final long MAX_RANGE = 100_000;

    enum Flow { NORMAL, BREAK, CONTINUE }

    /** A chain of variable maps; lookups walk outwards, writes go to the innermost. */
    static final class Scope {
        final Scope parent;
        private final HashMap<String, Value> vars = new HashMap<>(8);

        Scope(Scope parent) {
            this.parent = parent;
        }

        Value lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Value v = s.vars.get(name);
                if (v != null) return v;
            }
            return null;
        }

        void set(String name, Value v) {
            vars.put(name, v);
        }
    }

    /** Output with the size bound applied on every write. */
    final class Out {
        private final StringBuilder sb = new StringBuilder();

        void append(String s) {
            checkLength((long) sb.length() + s.length());
            sb.append(s);
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }

    private final TemplateLimits limits;
    private final Clock clock;
    private final long deadline;
    private long steps;
    private int callDepth;

    Interpreter(TemplateLimits limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
        this.deadline = System.nanoTime() + limits.maxTime().toNanos();
    }

    TemplateLimits limits() {
        return limits;
    }

    Clock clock() {
        return clock;
    }

    String render(List<Stmt> body, Map<String, Value> variables) {
        Scope globals = new Scope(null);
        Globals.install(globals);
        variables.forEach(globals::set);
        Scope root = new Scope(globals);
        Out out = new Out();
        exec(body, root, out);
        return out.toString();
    }

    // ---- budget ----

    void tick() {
        if (++steps > limits.maxSteps()) throw EvalError.limit("render took more than " + limits.maxSteps() + " steps");
        if ((steps & 1023) == 0 && System.nanoTime() > deadline) {
            throw EvalError.limit("render took longer than " + limits.maxTime().toMillis() + " ms");
        }
    }

    long maxChars() {
        return limits.maxOutputChars();
    }

    void checkLength(long chars) {
        if (chars > limits.maxOutputChars()) throw PyStrings.tooLong(limits.maxOutputChars());
    }

    void checkItems(long n) {
        if (n > limits.maxItems()) throw EvalError.limit("collection larger than the limit of " + limits.maxItems() + " items");
    }

    /** Python's str() of a value, bounded by the output limit (a container's repr could be huge). */
    String str(Value v) {
        return PyFormat.str(v, limits.maxOutputChars());
    }

    Value.Str checkedStr(String s) {
        checkLength(s.length());
        return Value.Str.of(s);
    }

    /** Python iteration: lists, string characters, dict keys, ranges, generators; undefined iterates as empty. */
    List<Value> iterate(Value v) {
        switch (v) {
            case Value.ListV l -> {
                return l.items();
            }
            case Value.Str s -> {
                String text = s.value();
                checkItems(text.length());
                List<Value> out = new ArrayList<>(text.length());
                for (int i = 0; i < text.length(); ) {
                    int c = text.codePointAt(i);
                    i += Character.charCount(c);
                    out.add(new Value.Str(Character.toString(c), s.safe()));
                }
                return out;
            }
            case Value.Dict d -> {
                return d.keys();
            }
            case Value.Range r -> {
                long n = r.length();
                checkItems(n);
                List<Value> out = new ArrayList<>((int) n);
                for (long i = 0; i < n; i++) {
                    tick();
                    out.add(Value.Int.of(r.at(i)));
                }
                return out;
            }
            case Value.Iter it -> {
                return it.drain();
            }
            case Value.Undefined u -> {
                return List.of();
            }
            default -> throw EvalError.type("'" + v.typeName() + "' object is not iterable");
        }
    }

    // ---- statements ----

    Flow exec(List<Stmt> body, Scope scope, Out out) {
        for (Stmt s : body) {
            Flow f = exec(s, scope, out);
            if (f != Flow.NORMAL) return f;
        }
        return Flow.NORMAL;
    }

    private Flow exec(Stmt stmt, Scope scope, Out out) {
        tick();
        try {
            switch (stmt) {
                case Text t -> out.append(t.text());
                case Print p -> out.append(str(eval(p.expr(), scope)));
                case If i -> {
                    for (int k = 0; k < i.conditions().size(); k++) {
                        if (eval(i.conditions().get(k), scope).truthy()) return exec(i.bodies().get(k), scope, out);
                    }
                    return exec(i.orElse(), scope, out);
                }
                case For f -> runLoop(f, eval(f.iterable(), scope), scope, out, 1);
                case Set s -> assign(s.target(), eval(s.value(), scope), scope);
                case SetBlock s -> {
                    Out body = new Out();
                    exec(s.body(), new Scope(scope), body);
                    assign(s.target(), applyFilters(s.filters(), Value.Str.of(body.toString()), scope), scope);
                }
                case Macro m -> scope.set(m.name(), new MacroValue(m, scope));
                case CallBlock c -> {
                    Value caller = new MacroValue(c.caller(), scope);
                    out.append(str(call(c.call(), scope, caller)));
                }
                case FilterBlock f -> {
                    Out body = new Out();
                    exec(f.body(), new Scope(scope), body);
                    out.append(str(applyFilters(f.filters(), Value.Str.of(body.toString()), scope)));
                }
                case With w -> {
                    Scope inner = new Scope(scope);
                    for (int k = 0; k < w.targets().size(); k++) assign(w.targets().get(k), eval(w.values().get(k), scope), inner);
                    return exec(w.body(), inner, out);
                }
                case Scoped s -> {
                    return exec(s.body(), new Scope(scope), out);
                }
                case Break b -> {
                    return Flow.BREAK;
                }
                case Continue c -> {
                    return Flow.CONTINUE;
                }
            }
            return Flow.NORMAL;
        } catch (EvalError e) {
            throw e.at(stmt.line());
        }
    }

    private Value applyFilters(List<Filter> filters, Value v, Scope scope) {
        for (Filter f : filters) v = Filters.apply(this, f.name(), v, evalArgs(f.args(), scope, null));
        return v;
    }

    /** Runs a for loop (also re-entered by {@code loop(children)} in a recursive loop). */
    void runLoop(For f, Value iterable, Scope scope, Out out, int depth) {
        List<Value> items = iterate(iterable);
        if (f.filter() != null) {
            // "for x in xs if cond" filters first, so loop.index and loop.length count only the kept items
            List<Value> kept = new ArrayList<>();
            for (Value item : items) {
                tick();
                Scope s = new Scope(scope);
                assign(f.target(), item, s);
                if (eval(f.filter(), s).truthy()) kept.add(item);
            }
            items = kept;
        }
        if (items.isEmpty()) {
            exec(f.orElse(), new Scope(scope), out);
            return;
        }
        LoopContext loop = new LoopContext(this, f, scope, items, depth);
        for (int i = 0; i < items.size(); i++) {
            tick();
            Scope s = new Scope(scope);
            assign(f.target(), items.get(i), s);
            loop.index0 = i;
            s.set("loop", loop);
            if (exec(f.body(), s, out) == Flow.BREAK) break;
        }
    }

    void assign(Target target, Value v, Scope scope) {
        switch (target) {
            case NameTarget n -> scope.set(n.name(), v);
            case TupleTarget t -> {
                List<Value> items = iterate(v);
                if (v instanceof Value.Undefined || items.size() < t.items().size()) {
                    throw EvalError.value("not enough values to unpack (expected " + t.items().size() + ", got " + items.size() + ")");
                }
                if (items.size() > t.items().size()) throw EvalError.value("too many values to unpack (expected " + t.items().size() + ")");
                for (int i = 0; i < items.size(); i++) assign(t.items().get(i), items.get(i), scope);
            }
            case AttrTarget a -> {
                Value obj = scope.lookup(a.name());
                if (!(obj instanceof Value.Namespace ns)) {
                    throw EvalError.runtime("TemplateRuntimeError: cannot assign attribute on non-namespace object");
                }
                ns.attrs.put(a.attr(), v);
            }
        }
    }

    // ---- expressions ----

    Value eval(Expr expr, Scope scope) {
        tick();
        try {
            return switch (expr) {
                case Const c -> c.value();
                case Name n -> {
                    Value v = scope.lookup(n.name());
                    yield v != null ? v : Value.Undefined.named(n.name());
                }
                case ListLit l -> {
                    checkItems(l.items().size());
                    List<Value> items = new ArrayList<>(l.items().size());
                    for (Expr e : l.items()) items.add(eval(e, scope));
                    yield Value.ListV.of(items);
                }
                case TupleLit t -> {
                    List<Value> items = new ArrayList<>(t.items().size());
                    for (Expr e : t.items()) items.add(eval(e, scope));
                    yield new Value.ListV(java.util.Collections.unmodifiableList(items), true);
                }
                case DictLit d -> {
                    Value.Dict.Builder b = new Value.Dict.Builder();
                    for (int i = 0; i < d.keys().size(); i++) b.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
                    yield b.build();
                }
                case GetAttr g -> Access.getattr(eval(g.obj(), scope), g.name());
                case GetItem g -> {
                    Value obj = eval(g.obj(), scope);
                    if (g.key() instanceof Slice s) {
                        yield Access.slice(this, obj, evalOpt(s.start(), scope), evalOpt(s.stop(), scope), evalOpt(s.step(), scope));
                    }
                    yield Access.getitem(obj, eval(g.key(), scope));
                }
                case Slice s -> throw EvalError.runtime("TemplateSyntaxError: a slice outside brackets");
                case Call c -> call(c, scope, null);
                case Filter f -> {
                    Value input = eval(f.target(), scope);
                    yield Filters.apply(this, f.name(), input, evalArgs(f.args(), scope, null));
                }
                case Test t -> {
                    Value subject = eval(t.target(), scope);
                    boolean r = Tests.apply(this, t.name(), subject, evalArgs(t.args(), scope, null));
                    yield Value.Bool.of(r != t.negated());
                }
                case Unary u -> u.op().equals("-") ? Operators.neg(eval(u.operand(), scope)) : Operators.pos(eval(u.operand(), scope));
                case Not n -> Value.Bool.of(!eval(n.operand(), scope).truthy());
                case Binary b -> Operators.binary(this, b.op(), eval(b.left(), scope), eval(b.right(), scope));
                case And a -> {
                    Value l = eval(a.left(), scope);
                    yield l.truthy() ? eval(a.right(), scope) : l;
                }
                case Or o -> {
                    Value l = eval(o.left(), scope);
                    yield l.truthy() ? l : eval(o.right(), scope);
                }
                case Compare c -> compare(c, scope);
                case Concat c -> {
                    StringBuilder sb = new StringBuilder();
                    for (Expr e : c.parts()) {
                        sb.append(str(eval(e, scope)));
                        checkLength(sb.length());
                    }
                    yield Value.Str.of(sb.toString());
                }
                case CondExpr c -> {
                    if (eval(c.test(), scope).truthy()) yield eval(c.then(), scope);
                    yield c.otherwise() != null ? eval(c.otherwise(), scope)
                            : new Value.Undefined("the inline if-expression on line " + c.line() + " evaluated to false and no else section was defined.");
                }
            };
        } catch (EvalError e) {
            throw e.at(expr.line());
        }
    }

    private Value evalOpt(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private Value compare(Compare c, Scope scope) {
        Value left = eval(c.first(), scope);
        for (int i = 0; i < c.ops().size(); i++) {
            Value right = eval(c.rest().get(i), scope);
            String op = c.ops().get(i);
            boolean ok = switch (op) {
                case "in" -> Operators.contains(right, left);
                case "notin" -> !Operators.contains(right, left);
                default -> Operators.compareOp(op, left, right);
            };
            if (!ok) return Value.Bool.FALSE;
            left = right;
        }
        return Value.Bool.TRUE;
    }

    Args evalArgs(CallArgs a, Scope scope, Value caller) {
        if (a.positional().isEmpty() && a.kwNames().isEmpty() && a.star() == null && a.starStar() == null && caller == null) return Args.NONE;
        List<Value> pos = new ArrayList<>(a.positional().size());
        for (Expr e : a.positional()) pos.add(eval(e, scope));
        if (a.star() != null) pos.addAll(iterate(eval(a.star(), scope)));
        Map<String, Value> kw = new LinkedHashMap<>();
        for (int i = 0; i < a.kwNames().size(); i++) kw.put(a.kwNames().get(i), eval(a.kwValues().get(i), scope));
        if (a.starStar() != null) {
            Value m = eval(a.starStar(), scope);
            if (!(m instanceof Value.Dict d)) throw EvalError.type("argument after ** must be a mapping, not " + m.typeName());
            for (Value[] e : d.entries()) {
                if (!(e[0] instanceof Value.Str k)) throw EvalError.type("keywords must be strings");
                kw.put(k.value(), e[1]);
            }
        }
        if (caller != null) kw.put("caller", caller);
        return new Args(pos, kw);
    }

    private Value call(Call c, Scope scope, Value caller) {
        Value fn = eval(c.fn(), scope);
        if (fn instanceof Value.Undefined u) throw u.error();
        if (!(fn instanceof Value.Callable callable)) throw EvalError.type("'" + fn.typeName() + "' object is not callable");
        return callable.call(this, evalArgs(c.args(), scope, caller));
    }

    // ---- macros ----

    /** A macro (or a call block's {@code caller}) with the scope it was defined in. */
    final class MacroValue implements Value.Callable {
        private final Macro def;
        private final Scope closure;

        MacroValue(Macro def, Scope closure) {
            this.def = def;
            this.closure = closure;
        }

        @Override
        public Value call(Interpreter in, Args args) {
            return callMacro(def, closure, args);
        }

        @Override
        public String describe() {
            return "<Macro '" + def.name() + "'>";
        }

        @Override
        public String typeName() {
            return "Macro";
        }
    }

    private Value callMacro(Macro m, Scope closure, Args args) {
        if (++callDepth > limits.maxDepth()) {
            callDepth--;
            throw EvalError.limit("macro calls nested deeper than " + limits.maxDepth() + " (runaway recursion?)");
        }
        try {
            Scope s = new Scope(closure);
            List<String> params = m.params();
            int np = args.positional.size();
            if (np > params.size() && !m.varargs()) {
                throw EvalError.type("macro '" + m.name() + "' takes not more than " + params.size() + " argument(s)");
            }
            Value[] bound = new Value[params.size()];
            for (int i = 0; i < Math.min(np, params.size()); i++) bound[i] = args.positional.get(i);
            Value.Dict.Builder extraKw = new Value.Dict.Builder();
            for (Map.Entry<String, Value> kw : args.keywords.entrySet()) {
                int idx = params.indexOf(kw.getKey());
                if (idx >= 0) {
                    if (bound[idx] != null) throw EvalError.type("macro '" + m.name() + "' got multiple values for argument '" + kw.getKey() + "'");
                    bound[idx] = kw.getValue();
                } else if (kw.getKey().equals("caller") && m.caller()) {
                    s.set("caller", kw.getValue());
                } else if (m.kwargs()) {
                    extraKw.put(kw.getKey(), kw.getValue());
                } else {
                    throw EvalError.type("macro '" + m.name() + "' takes no keyword argument '" + kw.getKey() + "'");
                }
            }
            int firstDefault = params.size() - m.defaults().size();
            for (int i = 0; i < params.size(); i++) {
                Value v = bound[i];
                if (v == null) {
                    // defaults are evaluated in the macro's scope, so they can use earlier parameters
                    v = i >= firstDefault ? eval(m.defaults().get(i - firstDefault), s)
                            : new Value.Undefined("parameter '" + params.get(i) + "' was not provided");
                }
                s.set(params.get(i), v);
            }
            if (m.varargs()) s.set("varargs", new Value.ListV(List.copyOf(np > params.size() ? args.positional.subList(params.size(), np) : List.of()), true));
            if (m.kwargs()) s.set("kwargs", extraKw.build());
            Out out = new Out();
            exec(m.body(), s, out);
            return Value.Str.of(out.toString());
        } finally {
            callDepth--;
        }
    }
}
