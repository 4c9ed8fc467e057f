package io.jlama.generate;

/** Receives generated tokens as they come. Called on the generating thread. */
@FunctionalInterface
public interface TokenListener {
    void onToken(TokenEvent event);
}
