package io.jlama.generate;

/** A request needs more positions than the session's context holds. */
public class ContextOverflowException extends IllegalArgumentException {
    public ContextOverflowException(int position, int tokens, int contextLength) {
        super("prompt does not fit: " + position + " tokens in context + " + tokens + " new tokens > context length " + contextLength
                + " (use a larger --ctx-size or a shorter prompt)");
    }
}
