package io.jlama.chat;

import java.util.List;

/**
 * The {@code loop} variable inside a for loop: index/index0, revindex/revindex0, first/last, length, depth/depth0,
 * previtem/nextitem (undefined at the ends), {@code cycle(...)}, {@code changed(...)}, and for a
 * {@code recursive} loop, {@code loop(children)} renders the body again one level deeper.
 */
final class LoopContext implements Value.Obj, Value.Callable {
    private final Interpreter in;
    private final Node.For loop;
    private final Interpreter.Scope scope;
    private final List<Value> items;
    private final int depth;
    int index0;
    private List<Value> lastChanged;

    LoopContext(Interpreter in, Node.For loop, Interpreter.Scope scope, List<Value> items, int depth) {
        this.in = in;
        this.loop = loop;
        this.scope = scope;
        this.items = items;
        this.depth = depth;
    }

    @Override
    public Value attr(String name) {
        int n = items.size();
        return switch (name) {
            case "index" -> Value.Int.of(index0 + 1L);
            case "index0" -> Value.Int.of(index0);
            case "revindex" -> Value.Int.of(n - index0);
            case "revindex0" -> Value.Int.of(n - index0 - 1L);
            case "first" -> Value.Bool.of(index0 == 0);
            case "last" -> Value.Bool.of(index0 == n - 1);
            case "length" -> Value.Int.of(n);
            case "depth" -> Value.Int.of(depth);
            case "depth0" -> Value.Int.of(depth - 1L);
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Value.Undefined("there is no previous item");
            case "nextitem" -> index0 < n - 1 ? items.get(index0 + 1) : new Value.Undefined("there is no next item");
            case "cycle" -> new Globals.Builtin("cycle", Args.Sig.varargs("cycle"), (i, a, raw) -> {
                if (raw.positional.isEmpty()) throw EvalError.type("no items for cycling given");
                return raw.positional.get(index0 % raw.positional.size());
            });
            case "changed" -> new Globals.Builtin("changed", Args.Sig.varargs("changed"), (i, a, raw) -> {
                List<Value> now = raw.positional;
                boolean changed = lastChanged == null || !Operators.eq(new Value.ListV(lastChanged, true), new Value.ListV(now, true));
                lastChanged = now;
                return Value.Bool.of(changed);
            });
            default -> null;
        };
    }

    /** {@code loop(children)} in a recursive loop. */
    @Override
    public Value call(Interpreter interpreter, Args args) {
        if (!loop.recursive()) throw EvalError.type("Tried to call non recursive loop.  Maybe you forgot the 'recursive' modifier.");
        if (args.positional.size() != 1) throw EvalError.type("loop() takes exactly one argument");
        if (depth >= in.limits().maxDepth()) throw EvalError.limit("recursive loop nested deeper than " + in.limits().maxDepth());
        Interpreter.Out out = in.new Out();
        in.runLoop(loop, args.positional.get(0), scope, out, depth + 1);
        return Value.Str.of(out.toString());
    }

    @Override
    public String describe() {
        return "<LoopContext " + (index0 + 1) + "/" + items.size() + ">";
    }

    @Override
    public String typeName() {
        return "LoopContext";
    }

    @Override
    public boolean truthy() {
        return true;
    }
}
