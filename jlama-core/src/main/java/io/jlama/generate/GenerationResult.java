package io.jlama.generate;

import java.util.List;

/**
 * What a generation produced.
 *
 * @param promptTokens  the prompt as evaluated (BOS included when the model adds one)
 * @param tokens        the generated ids (the end-of-generation token is not included)
 * @param text          the generated text (a stop string is not included)
 * @param stopReason    why it stopped
 * @param promptSeconds time to process the prompt
 * @param decodeSeconds time to generate the tokens after the first
 * @param events        each token's log-probability and alternatives
 * @param seed          the sampler's seed (replay a random run with it)
 */
public record GenerationResult(int[] promptTokens, int[] tokens, String text, StopReason stopReason, double promptSeconds,
                               double decodeSeconds, List<TokenEvent> events, long seed) {
    public enum StopReason {
        /** The token limit was reached. */
        MAX_TOKENS,
        /** The model produced an end-of-generation token. */
        END_OF_GENERATION,
        /** A stop string was produced. */
        STOP_STRING,
        /** The context is full. */
        CONTEXT_FULL,
        /** {@link Session#cancel()} was called. */
        CANCELLED
    }

    public double promptTokensPerSecond() {
        return promptSeconds > 0 ? promptTokens.length / promptSeconds : 0;
    }

    /**
     * Tokens per second of the decode loop: each generated token after the first needs one forward step (the first
     * comes from the prompt's logits).
     */
    public double decodeTokensPerSecond() {
        int steps = Math.max(0, tokens.length - 1);
        return decodeSeconds > 0 ? steps / decodeSeconds : 0;
    }
}
