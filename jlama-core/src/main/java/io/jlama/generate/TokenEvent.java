package io.jlama.generate;

import io.jlama.sampling.TokenChoice;

import java.util.List;

/**
 * One generated token as it streams out.
 *
 * @param id      the token id, or -1 for text flushed at the end (bytes held back for a stop string or an incomplete
 *                character)
 * @param text    the text this token completes: may be empty while a multi-byte character or a possible stop
 *                string is held back
 * @param logprob the natural log-probability of the token under the model's distribution (raw logits, before the
 *                sampler's penalties and temperature), NaN for the final flush
 * @param top     the most likely alternatives with their log-probabilities (empty unless asked for)
 */
public record TokenEvent(int id, String text, float logprob, List<TokenChoice.Alternative> top) {
}
