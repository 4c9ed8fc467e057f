package io.jlama.cli;

import io.jlama.generate.GenerateOptions;
import io.jlama.sampling.SamplerOptions;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** The sampling and stopping flags of {@code generate} and {@code chat}, with llama.cpp's defaults. */
final class SamplingOptions {
    private static final SamplerOptions D = SamplerOptions.defaults();

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", description = "tokens to generate at most (default: ${DEFAULT-VALUE})")
    int maxTokens = 256;

    @Option(names = "--temperature", paramLabel = "T", description = "sampling temperature; 0 is greedy decoding (default: ${DEFAULT-VALUE})")
    float temperature = D.temperature();

    @Option(names = "--top-k", paramLabel = "K", description = "keep the K most likely tokens; 0 = off (default: ${DEFAULT-VALUE})")
    int topK = D.topK();

    @Option(names = "--top-p", paramLabel = "P", description = "nucleus sampling; 1 = off (default: ${DEFAULT-VALUE})")
    float topP = D.topP();

    @Option(names = "--min-p", paramLabel = "P", description = "keep tokens at least P times as likely as the best; 0 = off (default: ${DEFAULT-VALUE})")
    float minP = D.minP();

    @Option(names = "--typical-p", paramLabel = "P", description = "locally typical sampling; 1 = off (default: ${DEFAULT-VALUE})")
    float typicalP = D.typicalP();

    @Option(names = "--repeat-penalty", paramLabel = "X", description = "penalize repeated tokens; 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty = D.repeatPenalty();

    @Option(names = "--repeat-last-n", paramLabel = "N", description = "window of the penalties; 0 = off, -1 = context (default: ${DEFAULT-VALUE})")
    int repeatLastN = D.repeatLastN();

    @Option(names = "--presence-penalty", paramLabel = "X", description = "subtracted from tokens present in the window (default: ${DEFAULT-VALUE})")
    float presencePenalty = D.presencePenalty();

    @Option(names = "--frequency-penalty", paramLabel = "X", description = "subtracted per occurrence in the window (default: ${DEFAULT-VALUE})")
    float frequencyPenalty = D.frequencyPenalty();

    @Option(names = "--seed", paramLabel = "S", description = "random seed; -1 = random (default: -1)")
    long seed = -1;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop before this text (repeatable)")
    List<String> stop = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "do not stop at the model's end-of-generation tokens")
    boolean ignoreEos;

    @Option(names = "--top-logprobs", paramLabel = "K", description = "with --json: each token's log-probability and its K most likely alternatives")
    int topLogprobs;

    GenerateOptions toGenerateOptions() {
        SamplerOptions s = SamplerOptions.defaults().toBuilder()
                .temperature(temperature).topK(topK).topP(topP).minP(minP).typicalP(typicalP)
                .repeatPenalty(repeatPenalty).repeatLastN(repeatLastN).presencePenalty(presencePenalty)
                .frequencyPenalty(frequencyPenalty).seed(seed < 0 ? SamplerOptions.RANDOM_SEED : seed).build();
        return new GenerateOptions(maxTokens, s, !ignoreEos, stop, topLogprobs);
    }
}
