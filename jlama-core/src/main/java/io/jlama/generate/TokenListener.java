package io.jlama.generate;

/** Receives generated tokens as they come. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param token the token id
     * @param text  the text it completes: may be empty while a multi-byte character is still incomplete
     */
    void onToken(int token, String text);
}
