package io.jlama.tokenizer;

/**
 * Decodes tokens one at a time into text. A character whose UTF-8 bytes are split across tokens is held back until
 * it is complete, so no piece ends with half a character (and no U+FFFD appears for valid text). Bytes that can
 * never become valid UTF-8 come out as U+FFFD at once. Not thread-safe.
 */
public interface StreamingDecoder {
    /** Adds one token; returns the text that is now complete (possibly ""). */
    String accept(int token);

    /** Ends the stream: returns what is still held back (an incomplete character becomes U+FFFD) and clears it. */
    String finish();
}
