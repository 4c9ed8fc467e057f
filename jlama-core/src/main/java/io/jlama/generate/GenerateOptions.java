package io.jlama.generate;

import io.jlama.sampling.SamplerOptions;

import java.util.List;

/**
 * Options of one generation.
 *
 * @param maxTokens   stop after this many generated tokens
 * @param sampling    the sampler chain (llama.cpp's defaults; {@link SamplerOptions#greedy()} for argmax)
 * @param stopAtEog   stop at the model's end-of-generation tokens (EOS, EOT, {@code <|im_end|>}-style tokens)
 * @param stop        stop strings: generation ends before the first one, which is not part of the text
 * @param topLogprobs for each generated token, report this many most likely alternatives with their
 *                    log-probabilities (0: only the chosen token's)
 */
public record GenerateOptions(int maxTokens, SamplerOptions sampling, boolean stopAtEog, List<String> stop, int topLogprobs) {
    public GenerateOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        if (sampling == null) throw new IllegalArgumentException("sampling options are required");
        if (topLogprobs < 0) throw new IllegalArgumentException("top-logprobs must be >= 0, got " + topLogprobs);
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
    }

    /** Greedy decoding (argmax), stopping at end-of-generation tokens. */
    public static GenerateOptions greedy(int maxTokens) {
        return new GenerateOptions(maxTokens, SamplerOptions.greedy(), true, List.of(), 0);
    }

    /** llama.cpp's default sampler chain (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, random seed). */
    public static GenerateOptions sampled(int maxTokens) {
        return new GenerateOptions(maxTokens, SamplerOptions.defaults(), true, List.of(), 0);
    }

    public GenerateOptions withSampling(SamplerOptions s) {
        return new GenerateOptions(maxTokens, s, stopAtEog, stop, topLogprobs);
    }

    public GenerateOptions withStopAtEog(boolean b) {
        return new GenerateOptions(maxTokens, sampling, b, stop, topLogprobs);
    }

    public GenerateOptions withStop(List<String> s) {
        return new GenerateOptions(maxTokens, sampling, stopAtEog, s, topLogprobs);
    }

    public GenerateOptions withTopLogprobs(int k) {
        return new GenerateOptions(maxTokens, sampling, stopAtEog, stop, k);
    }

    public GenerateOptions withMaxTokens(int n) {
        return new GenerateOptions(n, sampling, stopAtEog, stop, topLogprobs);
    }
}
