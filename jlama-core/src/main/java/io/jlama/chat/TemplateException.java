package io.jlama.chat;

/**
 * A chat template failed to parse or to render. The message is one line: where (the template line, when known) and
 * what, e.g. {@code template line 12: TypeError: 'NoneType' object is not iterable} or, for the template's own
 * {@code raise_exception('System role not supported')}, {@code template line 3: System role not supported}.
 */
public final class TemplateException extends RuntimeException {
    /** What went wrong, for callers that treat the cases differently (a CLI exit code, a retry without tools...). */
    public enum Kind {
        /** The template is not valid Jinja (or uses a tag this renderer does not offer, such as {@code include}). */
        SYNTAX,
        /** A Python-level error while rendering: a type error, an undefined value used, a bad argument. */
        RUNTIME,
        /** The template called {@code raise_exception(message)}: it refuses these inputs. */
        RAISED,
        /** The template tried to reach something outside the sandbox ({@code __class__}, {@code list.append}...). */
        SECURITY,
        /** A {@link TemplateLimits} bound was hit: output size, steps, time or nesting depth. */
        LIMIT
    }

    private final Kind kind;
    private final int line;
    private final String detail;

    TemplateException(Kind kind, int line, String detail) {
        this(kind, line, detail, null);
    }

    TemplateException(Kind kind, int line, String detail, Throwable cause) {
        super(format(line, detail), cause);
        this.kind = kind;
        this.line = line;
        this.detail = detail;
    }

    private static String format(int line, String detail) {
        String oneLine = detail.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r");
        return line > 0 ? "template line " + line + ": " + oneLine : "template: " + oneLine;
    }

    public Kind kind() {
        return kind;
    }

    /** The 1-based template line the error happened on, or 0 when it is not tied to a line. */
    public int line() {
        return line;
    }

    /** The message without the location, e.g. the text a template passed to {@code raise_exception}. */
    public String detail() {
        return detail;
    }
}
