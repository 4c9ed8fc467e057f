package io.jlama.chat;

import io.jlama.chat.Lexer.Token;
import io.jlama.chat.Lexer.Type;
import io.jlama.chat.Node.*;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;

/**
 * Recursive-descent parser from tokens to {@link Node}s, with jinja2's grammar and precedence. From loosest to
 * tightest: conditional expression, {@code or}, {@code and}, {@code not}, comparisons (chained, with {@code in} and
 * {@code not in}), {@code + -}, {@code ~}, {@code * / // %}, {@code **} (left-associative, as in jinja2), unary
 * {@code - +}, then postfix {@code .attr [item] (call)} and finally filters and tests, which bind tighter than any
 * operator: {@code not x|length == 1} is {@code not ((x|length) == 1)} and {@code -x|abs} is {@code (-x)|abs}.
 */
final class Parser {
    private static final java.util.Set<String> UNSUPPORTED_TAGS = java.util.Set.of("include", "import", "from", "extends", "block");

    private final List<Token> tokens;
    private final int maxDepth;
    private int pos;
    private int depth;
    private int loopDepth;
    /** Names read inside the macro bodies being parsed, innermost last: decides varargs/kwargs/caller support. */
    private final Deque<java.util.Set<String>> macroNames = new ArrayDeque<>();

    private Parser(List<Token> tokens, int maxDepth) {
        this.tokens = tokens;
        this.maxDepth = maxDepth;
    }

    static List<Stmt> parse(String source, int maxDepth) {
        Parser p = new Parser(Lexer.tokenize(source), maxDepth);
        List<Stmt> body = p.subparse();
        Token t = p.peek();
        if (t.type() != Type.EOF) throw p.error("unexpected " + t.describe(), t);
        return body;
    }

    // ---- token stream ----

    private Token peek() {
        return tokens.get(pos);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(pos + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(pos);
        if (t.type() != Type.EOF) pos++;
        return t;
    }

    private EvalError error(String msg, Token at) {
        return EvalError.syntax(msg, at.line());
    }

    private Token expectOp(String op) {
        Token t = next();
        if (!t.isOp(op)) throw error("expected '" + op + "', got " + t.describe(), t);
        return t;
    }

    private Token expect(Type type) {
        Token t = next();
        if (t.type() != type) {
            String want = switch (type) {
                case BLOCK_END -> "end of statement block";
                case VAR_END -> "end of print statement";
                case NAME -> "a name";
                default -> type.name();
            };
            throw error("expected " + want + ", got " + t.describe(), t);
        }
        return t;
    }

    private Token expectName(String name) {
        Token t = next();
        if (!t.isName(name)) throw error("expected '" + name + "', got " + t.describe(), t);
        return t;
    }

    private boolean skipOp(String op) {
        if (peek().isOp(op)) {
            pos++;
            return true;
        }
        return false;
    }

    private boolean skipName(String name) {
        if (peek().isName(name)) {
            pos++;
            return true;
        }
        return false;
    }

    private void enter(Token at) {
        if (++depth > maxDepth) throw error("template nesting deeper than the limit of " + maxDepth, at);
    }

    // ---- statements ----

    /** Parses until end of input or a block tag named in {@code endTags}; stops with that tag's name as next token. */
    private List<Stmt> subparse(String... endTags) {
        List<Stmt> body = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.type()) {
                case EOF -> {
                    if (endTags.length > 0) throw error("unexpected end of template, expected '" + String.join("' or '", endTags) + "'", t);
                    return body;
                }
                case TEXT -> {
                    next();
                    body.add(new Text(t.text(), t.line()));
                }
                case VAR_BEGIN -> {
                    next();
                    Expr e = parseTuple(true, false);
                    expect(Type.VAR_END);
                    body.add(new Print(e, t.line()));
                }
                case BLOCK_BEGIN -> {
                    next();
                    Token name = peek();
                    if (name.type() != Type.NAME) throw error("tag name expected", name);
                    for (String end : endTags) {
                        if (name.text().equals(end)) return body;
                    }
                    body.add(statement());
                }
                default -> throw error("unexpected " + t.describe(), t);
            }
        }
    }

    private Stmt statement() {
        Token t = next();
        enter(t);
        try {
            return switch (t.text()) {
                case "if" -> parseIf(t);
                case "for" -> parseFor(t);
                case "set" -> parseSet(t);
                case "macro" -> parseMacro(t);
                case "call" -> parseCallBlock(t);
                case "filter" -> parseFilterBlock(t);
                case "with" -> parseWith(t);
                case "generation" -> {
                    expect(Type.BLOCK_END);
                    List<Stmt> body = subparse("endgeneration");
                    endTag("endgeneration");
                    yield new Scoped(body, t.line());
                }
                case "break", "continue" -> {
                    if (loopDepth == 0) throw error("'" + t.text() + "' outside of a loop", t);
                    expect(Type.BLOCK_END);
                    yield t.text().equals("break") ? new Break(t.line()) : new Continue(t.line());
                }
                default -> {
                    if (UNSUPPORTED_TAGS.contains(t.text())) {
                        throw error("'" + t.text() + "' is not supported: a chat template renders on its own, with no access to other files", t);
                    }
                    throw error("encountered unknown tag '" + t.text() + "'", t);
                }
            };
        } finally {
            depth--;
        }
    }

    /** Consumes {@code {% endNAME %}} after a subparse stopped on it. */
    private void endTag(String name) {
        expectName(name);
        expect(Type.BLOCK_END);
    }

    private Stmt parseIf(Token t) {
        List<Expr> conds = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        conds.add(parseTuple(false, false));
        expect(Type.BLOCK_END);
        while (true) {
            bodies.add(subparse("elif", "else", "endif"));
            Token tag = next();
            if (tag.text().equals("elif")) {
                conds.add(parseTuple(false, false));
                expect(Type.BLOCK_END);
            } else if (tag.text().equals("else")) {
                expect(Type.BLOCK_END);
                List<Stmt> orElse = subparse("endif");
                endTag("endif");
                return new If(conds, bodies, orElse, t.line());
            } else {
                expect(Type.BLOCK_END);
                return new If(conds, bodies, List.of(), t.line());
            }
        }
    }

    private Stmt parseFor(Token t) {
        Target target = parseAssignTarget(false, "in");
        expectName("in");
        Expr iter = parseTuple(false, false, "recursive");
        Expr filter = null;
        if (skipName("if")) filter = parseExpression(true);
        boolean recursive = skipName("recursive");
        expect(Type.BLOCK_END);
        loopDepth++;
        List<Stmt> body;
        try {
            body = subparse("endfor", "else");
        } finally {
            loopDepth--;
        }
        List<Stmt> orElse = List.of();
        if (next().text().equals("else")) {
            expect(Type.BLOCK_END);
            orElse = subparse("endfor");
            next();
        }
        expect(Type.BLOCK_END);
        return new For(target, iter, filter, recursive, body, orElse, t.line());
    }

    private Stmt parseSet(Token t) {
        Target target = parseAssignTarget(true);
        if (skipOp("=")) {
            Expr value = parseTuple(true, false);
            expect(Type.BLOCK_END);
            return new Set(target, value, t.line());
        }
        List<Filter> filters = parseFilterChain();
        expect(Type.BLOCK_END);
        List<Stmt> body = subparse("endset");
        endTag("endset");
        return new SetBlock(target, filters, body, t.line());
    }

    private List<Filter> parseFilterChain() {
        List<Filter> filters = new ArrayList<>();
        while (skipOp("|")) filters.add(parseFilter(null));
        return filters;
    }

    /** A parenthesised parameter list; defaults line up with the trailing parameters, as in Python. */
    private void parseParams(List<String> params, List<Expr> defaults) {
        expectOp("(");
        while (!peek().isOp(")")) {
            if (!params.isEmpty()) expectOp(",");
            if (peek().isOp(")")) break;
            Token p = expect(Type.NAME);
            params.add(p.text());
            if (skipOp("=")) defaults.add(parseExpression(true));
            else if (!defaults.isEmpty()) throw error("non-default argument follows default argument", p);
        }
        expectOp(")");
    }

    /** A macro or caller body and the names it reads (which decide whether it takes varargs, kwargs, caller). */
    private record Body(List<Stmt> stmts, java.util.Set<String> names) {
    }

    private Body parseBody(String endTag) {
        macroNames.push(new HashSet<>());
        int savedLoop = loopDepth;
        loopDepth = 0; // break/continue cannot cross a macro boundary
        List<Stmt> stmts;
        java.util.Set<String> used;
        try {
            stmts = subparse(endTag);
        } finally {
            loopDepth = savedLoop;
            used = macroNames.pop();
            if (!macroNames.isEmpty()) macroNames.peek().addAll(used); // an inner macro's reads are the outer's too
        }
        endTag(endTag);
        return new Body(stmts, used);
    }

    private Stmt parseMacro(Token t) {
        Token name = expect(Type.NAME);
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        parseParams(params, defaults);
        expect(Type.BLOCK_END);
        Body body = parseBody("endmacro");
        return new Macro(name.text(), params, defaults, body.stmts(), body.names().contains("varargs"), body.names().contains("kwargs"),
                body.names().contains("caller"), t.line());
    }

    private Stmt parseCallBlock(Token t) {
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (peek().isOp("(")) parseParams(params, defaults); // {% call(item) macro(...) %}
        Expr call = parseExpression(true);
        if (!(call instanceof Call c)) throw error("expected a call after 'call'", t);
        expect(Type.BLOCK_END);
        Body body = parseBody("endcall");
        Macro caller = new Macro("caller", params, defaults, body.stmts(), body.names().contains("varargs"), body.names().contains("kwargs"),
                false, t.line());
        return new CallBlock(c, caller, t.line());
    }

    private Stmt parseFilterBlock(Token t) {
        List<Filter> filters = new ArrayList<>();
        do {
            filters.add(parseFilter(null));
        } while (skipOp("|"));
        expect(Type.BLOCK_END);
        List<Stmt> body = subparse("endfilter");
        endTag("endfilter");
        return new FilterBlock(filters, body, t.line());
    }

    private Stmt parseWith(Token t) {
        List<Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (peek().type() != Type.BLOCK_END) {
            if (!targets.isEmpty()) expectOp(",");
            targets.add(parseAssignTarget(false));
            expectOp("=");
            values.add(parseExpression(true));
        }
        expect(Type.BLOCK_END);
        List<Stmt> body = subparse("endwith");
        endTag("endwith");
        return new With(targets, values, body, t.line());
    }

    /** A name, a tuple of names ({@code a, b} or {@code (a, b)}), or with {@code withNamespace} {@code ns.attr}. */
    private Target parseAssignTarget(boolean withNamespace, String... endNames) {
        Token t = peek();
        if (withNamespace && t.type() == Type.NAME && peek(1).isOp(".") && peek(2).type() == Type.NAME) {
            pos += 3;
            return new AttrTarget(t.text(), tokens.get(pos - 1).text());
        }
        List<Target> items = new ArrayList<>();
        boolean tuple = false;
        while (true) {
            if (!items.isEmpty()) {
                if (!skipOp(",")) break;
                tuple = true;
                Token n = peek();
                if (n.type() != Type.NAME && !n.isOp("(")) break;
                boolean end = false;
                for (String e : endNames) end |= n.isName(e);
                if (end) break;
            }
            items.add(singleTarget());
        }
        return tuple ? new TupleTarget(items) : items.get(0);
    }

    private Target singleTarget() {
        Token t = next();
        if (t.isOp("(")) {
            Target inner = parseAssignTarget(false);
            expectOp(")");
            return inner instanceof TupleTarget ? inner : new TupleTarget(List.of(inner));
        }
        if (t.type() != Type.NAME) throw error("can't assign to " + t.describe(), t);
        switch (t.text()) {
            case "true", "false", "none", "True", "False", "None" -> throw error("can't assign to '" + t.text() + "'", t);
            default -> {
            }
        }
        return new NameTarget(t.text());
    }

    // ---- expressions ----

    private Expr parseExpression(boolean withCondExpr) {
        return withCondExpr ? parseCondExpr() : parseOr();
    }

    /**
     * A comma-separated list becomes a tuple ({@code {{ a, b }}}, {@code {% set x = 1, 2 %}}); one item without a
     * comma is just that expression. Stops at the end of the tag, a closing bracket or one of {@code endNames}.
     */
    private Expr parseTuple(boolean withCondExpr, boolean explicitParens, String... endNames) {
        Token start = peek();
        List<Expr> items = new ArrayList<>();
        boolean tuple = false;
        while (true) {
            if (!items.isEmpty()) expectOp(",");
            if (isTupleEnd(endNames)) break;
            items.add(parseExpression(withCondExpr));
            if (peek().isOp(",")) tuple = true;
            else break;
        }
        if (!tuple) {
            if (!items.isEmpty()) return items.get(0);
            if (!explicitParens) throw error("expected an expression, got " + peek().describe(), peek());
        }
        return new TupleLit(items, start.line());
    }

    private boolean isTupleEnd(String... endNames) {
        Token t = peek();
        if (t.type() == Type.VAR_END || t.type() == Type.BLOCK_END || t.type() == Type.EOF || t.isOp(")")) return true;
        for (String e : endNames) if (t.isName(e)) return true;
        return false;
    }

    private Expr parseCondExpr() {
        Expr e = parseOr();
        while (peek().isName("if")) {
            Token t = next();
            Expr test = parseOr();
            Expr otherwise = skipName("else") ? parseCondExpr() : null;
            e = new CondExpr(test, e, otherwise, t.line());
        }
        return e;
    }

    private Expr parseOr() {
        Expr e = parseAnd();
        while (peek().isName("or")) {
            Token t = next();
            e = new Or(e, parseAnd(), t.line());
        }
        return e;
    }

    private Expr parseAnd() {
        Expr e = parseNot();
        while (peek().isName("and")) {
            Token t = next();
            e = new And(e, parseNot(), t.line());
        }
        return e;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            Token t = next();
            enter(t);
            try {
                return new Not(parseNot(), t.line());
            } finally {
                depth--;
            }
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        Token start = peek();
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.type() == Type.OP && switch (t.text()) {
                case "==", "!=", "<", "<=", ">", ">=" -> true;
                default -> false;
            }) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek(1).isName("in")) {
                pos += 2;
                ops.add("notin");
            } else {
                break;
            }
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Compare(first, ops, rest, start.line());
    }

    private Expr parseMath1() {
        Expr e = parseConcat();
        while (peek().isOp("+") || peek().isOp("-")) {
            Token t = next();
            e = new Binary(t.text(), e, parseConcat(), t.line());
        }
        return e;
    }

    private Expr parseConcat() {
        Token start = peek();
        Expr e = parseMath2();
        if (!peek().isOp("~")) return e;
        List<Expr> parts = new ArrayList<>();
        parts.add(e);
        while (skipOp("~")) parts.add(parseMath2());
        return new Concat(parts, start.line());
    }

    private Expr parseMath2() {
        Expr e = parsePow();
        while (true) {
            Token t = peek();
            if (t.isOp("*") || t.isOp("/") || t.isOp("//") || t.isOp("%")) {
                next();
                e = new Binary(t.text(), e, parsePow(), t.line());
            } else {
                return e;
            }
        }
    }

    private Expr parsePow() {
        Expr e = parseUnary(true);
        while (peek().isOp("**")) {
            Token t = next();
            e = new Binary("**", e, parseUnary(true), t.line());
        }
        return e;
    }

    private Expr parseUnary(boolean withFilter) {
        Token t = peek();
        enter(t);
        try {
            Expr e;
            if (t.isOp("-") || t.isOp("+")) {
                next();
                e = new Unary(t.text(), parseUnary(false), t.line());
            } else {
                e = parsePrimary();
            }
            e = parsePostfix(e);
            if (withFilter) e = parseFilterExpr(e);
            return e;
        } finally {
            depth--;
        }
    }

    private Expr parsePrimary() {
        Token t = next();
        switch (t.type()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Const(Value.Bool.TRUE, t.line());
                    case "false", "False" -> new Const(Value.Bool.FALSE, t.line());
                    case "none", "None" -> new Const(Value.None.NONE, t.line());
                    default -> {
                        if (!macroNames.isEmpty()) macroNames.peek().add(t.text());
                        yield new Name(t.text(), t.line());
                    }
                };
            }
            case STRING -> {
                // adjacent literals concatenate, as in Python: {{ 'a' 'b' }}
                StringBuilder sb = new StringBuilder(((Value.Str) t.value()).value());
                while (peek().type() == Type.STRING) sb.append(((Value.Str) next().value()).value());
                return new Const(Value.Str.of(sb.toString()), t.line());
            }
            case INT, FLOAT -> {
                return new Const(t.value(), t.line());
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        Expr e = parseTuple(true, true);
                        expectOp(")");
                        return e;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            if (!items.isEmpty()) expectOp(",");
                            if (peek().isOp("]")) break;
                            items.add(parseExpression(true));
                        }
                        expectOp("]");
                        return new ListLit(items, t.line());
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            if (!keys.isEmpty()) expectOp(",");
                            if (peek().isOp("}")) break;
                            keys.add(parseExpression(true));
                            expectOp(":");
                            values.add(parseExpression(true));
                        }
                        expectOp("}");
                        return new DictLit(keys, values, t.line());
                    }
                    default -> {
                    }
                }
            }
            default -> {
            }
        }
        throw error("unexpected " + t.describe(), t);
    }

    private Expr parsePostfix(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp(".") || t.isOp("[")) e = parseSubscript(e);
            else if (t.isOp("(")) e = parseCall(e);
            else return e;
        }
    }

    private Expr parseFilterExpr(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                next();
                e = parseFilter(e);
            } else if (t.isName("is")) {
                next();
                e = parseTest(e, t);
            } else if (t.isOp("(")) {
                e = parseCall(e);
            } else {
                return e;
            }
        }
    }

    private Expr parseSubscript(Expr e) {
        Token t = next();
        if (t.isOp(".")) {
            Token a = next();
            if (a.type() == Type.NAME) return new GetAttr(e, a.text(), a.line());
            if (a.type() == Type.INT) return new GetItem(e, new Const(a.value(), a.line()), a.line());
            throw error("expected name or number after '.'", a);
        }
        List<Expr> args = new ArrayList<>();
        while (!peek().isOp("]")) {
            if (!args.isEmpty()) expectOp(",");
            args.add(parseSubscribed());
        }
        expectOp("]");
        Expr key = args.size() == 1 ? args.get(0) : new TupleLit(args, t.line());
        return new GetItem(e, key, t.line());
    }

    private Expr parseSubscribed() {
        Token t = peek();
        Expr start = null;
        if (!t.isOp(":")) {
            start = parseExpression(true);
            if (!peek().isOp(":")) return start;
        }
        next(); // ':'
        Expr stop = null, step = null;
        if (!peek().isOp("]") && !peek().isOp(",") && !peek().isOp(":")) stop = parseExpression(true);
        if (skipOp(":")) {
            if (!peek().isOp("]") && !peek().isOp(",")) step = parseExpression(true);
        }
        return new Slice(start, stop, step, t.line());
    }

    private Expr parseCall(Expr fn) {
        Token t = peek();
        return new Call(fn, parseCallArgs(), t.line());
    }

    private CallArgs parseCallArgs() {
        Token open = expectOp("(");
        List<Expr> positional = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        Expr star = null, starStar = null;
        boolean first = true;
        while (!peek().isOp(")")) {
            if (!first) {
                expectOp(",");
                if (peek().isOp(")")) break;
            }
            first = false;
            if (skipOp("*")) {
                star = parseExpression(true);
            } else if (skipOp("**")) {
                starStar = parseExpression(true);
            } else if (peek().type() == Type.NAME && peek(1).isOp("=")) {
                String name = next().text();
                next();
                if (kwNames.contains(name)) throw error("keyword argument repeated: " + name, open);
                kwNames.add(name);
                kwValues.add(parseExpression(true));
            } else {
                if (!kwNames.isEmpty() || starStar != null) throw error("invalid syntax for function call expression", peek());
                positional.add(parseExpression(true));
            }
        }
        expectOp(")");
        return new CallArgs(positional, kwNames, kwValues, star, starStar);
    }

    private Filter parseFilter(Expr target) {
        Token name = expect(Type.NAME);
        String full = name.text();
        while (peek().isOp(".") && peek(1).type() == Type.NAME) {
            pos++;
            full += "." + next().text();
        }
        CallArgs args = peek().isOp("(") ? parseCallArgs() : CallArgs.NONE;
        return new Filter(target, full, args, name.line());
    }

    private Expr parseTest(Expr target, Token is) {
        boolean negated = skipName("not");
        Token name = expect(Type.NAME);
        String full = name.text();
        while (peek().isOp(".") && peek(1).type() == Type.NAME) {
            pos++;
            full += "." + next().text();
        }
        CallArgs args = CallArgs.NONE;
        Token t = peek();
        if (t.isOp("(")) {
            args = parseCallArgs();
        } else if ((t.type() == Type.NAME || t.type() == Type.STRING || t.type() == Type.INT || t.type() == Type.FLOAT
                || t.isOp("[") || t.isOp("{") || t.isOp("(")) && !t.isName("else") && !t.isName("or") && !t.isName("and")) {
            // "x is divisibleby 3", "x is sameas none": a test takes one bare argument
            Expr arg = parsePostfix(parsePrimary());
            args = new CallArgs(List.of(arg), List.of(), List.of(), null, null);
        }
        return new Test(target, full, args, negated, is.line());
    }
}
