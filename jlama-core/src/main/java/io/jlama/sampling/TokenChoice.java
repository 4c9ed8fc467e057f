package io.jlama.sampling;

import java.util.List;

/**
 * A sampled token with its log-probability and the most likely alternatives, as the OpenAI API's
 * {@code logprobs}/{@code top_logprobs} report them.
 *
 * <p>The log-probabilities come from the softmax of the model's raw logits over the whole vocabulary, before
 * penalties, logit bias, filters and temperature: what llama.cpp's server reports by default
 * ({@code get_token_probabilities}, used unless {@code post_sampling_probs} is set). A token whose raw logit is
 * {@code -inf} has log-probability {@code -inf}; llama.cpp's server writes {@code -FLT_MAX} instead because JSON has no
 * infinity, and a JSON writer should do the same.
 *
 * @param id      the sampled token
 * @param logprob its natural log-probability
 * @param top     the {@code K} most likely tokens, most likely first (ties: lower id first); the sampled token is in
 *                it only if it is among them
 */
public record TokenChoice(int id, float logprob, List<Alternative> top) {

    public TokenChoice {
        top = List.copyOf(top);
    }

    /** One of the most likely tokens at a step. */
    public record Alternative(int id, float logprob) {
    }
}
