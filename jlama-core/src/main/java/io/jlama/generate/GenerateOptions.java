package io.jlama.generate;

/**
 * Options of one generation.
 *
 * @param maxTokens   stop after this many generated tokens
 * @param temperature 0 is greedy decoding (the only mode until the sampler chain lands)
 * @param stopAtEog   stop at the model's end-of-generation tokens (EOS, EOT)
 */
public record GenerateOptions(int maxTokens, float temperature, boolean stopAtEog) {
    public GenerateOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        if (temperature != 0f) {
            throw new IllegalArgumentException("temperature " + temperature + " is not supported yet: only greedy decoding (temperature 0)");
        }
    }

    public static GenerateOptions greedy(int maxTokens) {
        return new GenerateOptions(maxTokens, 0f, true);
    }

    public GenerateOptions withStopAtEog(boolean stop) {
        return new GenerateOptions(maxTokens, temperature, stop);
    }
}
