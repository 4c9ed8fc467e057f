package io.jlama.chat;

import java.time.Duration;

/**
 * Bounds on one render, so that a hostile or broken template (the template text comes from the model file) cannot
 * hang or exhaust the process. Hitting any of them stops the render with a {@link TemplateException} of kind
 * {@link TemplateException.Kind#LIMIT}.
 *
 * @param maxOutputChars  the longest text a render, a macro call, a block or a string value may produce (UTF-16
 *                        chars). Checked before a string is built, so {@code 'x' * 10**9} fails without allocating.
 * @param maxSteps        interpreter steps (a statement, an expression node, a loop iteration, an item a filter
 *                        visits); real chat templates take a few thousand per message.
 * @param maxTime         wall-clock time for one render, checked every few thousand steps.
 * @param maxDepth        nesting of macro calls (recursive macros), recursive loops, tojson input and template syntax.
 * @param maxItems        the most items a list or dict built during a render may hold (also bounds the parts of
 *                        {@code split()} and iterating over a string's characters).
 */
public record TemplateLimits(long maxOutputChars, long maxSteps, Duration maxTime, int maxDepth, int maxItems) {

    /**
     * 10 M chars of output, 50 M steps (about 2 s), 10 s, depth 100, 1 M items per collection. Depth 100 is about
     * what Python's recursion limit allows jinja2, and it fits in half the JVM's default thread stack.
     */
    public static final TemplateLimits DEFAULT = new TemplateLimits(10_000_000, 50_000_000, Duration.ofSeconds(10), 100, 1_000_000);

    public TemplateLimits {
        if (maxOutputChars <= 0 || maxSteps <= 0 || maxDepth <= 0 || maxItems <= 0) throw new IllegalArgumentException("limits must be positive");
        if (maxTime == null || maxTime.isNegative() || maxTime.isZero()) throw new IllegalArgumentException("maxTime must be positive");
    }

    public TemplateLimits withMaxOutputChars(long n) {
        return new TemplateLimits(n, maxSteps, maxTime, maxDepth, maxItems);
    }

    public TemplateLimits withMaxSteps(long n) {
        return new TemplateLimits(maxOutputChars, n, maxTime, maxDepth, maxItems);
    }

    public TemplateLimits withMaxTime(Duration d) {
        return new TemplateLimits(maxOutputChars, maxSteps, d, maxDepth, maxItems);
    }

    public TemplateLimits withMaxDepth(int n) {
        return new TemplateLimits(maxOutputChars, maxSteps, maxTime, n, maxItems);
    }

    public TemplateLimits withMaxItems(int n) {
        return new TemplateLimits(maxOutputChars, maxSteps, maxTime, maxDepth, n);
    }
}
