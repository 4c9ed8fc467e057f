package io.jlama.chat;

/**
 * An error inside the interpreter, before it knows the template line. The innermost node that sees it stamps its
 * line, and {@link ChatTemplate} turns it into a {@link TemplateException}. The Python exception name leads the
 * message (TypeError, UndefinedError...) so that a failure reads like the jinja2 one it stands for.
 */
final class EvalError extends RuntimeException {
    final TemplateException.Kind kind;
    int line;

    EvalError(TemplateException.Kind kind, String message) {
        super(message, null, false, false); // no stack trace: these are control flow for the caller, not bugs
        this.kind = kind;
    }

    static EvalError type(String msg) {
        return new EvalError(TemplateException.Kind.RUNTIME, "TypeError: " + msg);
    }

    static EvalError value(String msg) {
        return new EvalError(TemplateException.Kind.RUNTIME, "ValueError: " + msg);
    }

    static EvalError undefined(String msg) {
        return new EvalError(TemplateException.Kind.RUNTIME, "UndefinedError: " + msg);
    }

    static EvalError runtime(String msg) {
        return new EvalError(TemplateException.Kind.RUNTIME, msg);
    }

    static EvalError security(String msg) {
        return new EvalError(TemplateException.Kind.SECURITY, "SecurityError: " + msg);
    }

    static EvalError limit(String msg) {
        return new EvalError(TemplateException.Kind.LIMIT, msg);
    }

    static EvalError syntax(String msg, int line) {
        EvalError e = new EvalError(TemplateException.Kind.SYNTAX, "TemplateSyntaxError: " + msg);
        e.line = line;
        return e;
    }

    EvalError at(int line) {
        if (this.line == 0) this.line = line;
        return this;
    }

    TemplateException toException() {
        return new TemplateException(kind, line, getMessage());
    }
}
