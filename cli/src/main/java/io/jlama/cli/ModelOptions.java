package io.jlama.cli;

import io.jlama.generate.LanguageModel;
import io.jlama.generate.LoadOptions;
import io.jlama.model.KvCache;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by the commands that load a model's weights. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF model file")
    Path model;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: physical cores)")
    int threads;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", description = "context length (default: the model's, at most " + LoadOptions.DEFAULT_MAX_CONTEXT + ")")
    int contextLength;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", description = "prompt tokens per forward step (default: ${DEFAULT-VALUE})")
    int batchSize = LoadOptions.DEFAULT_BATCH;

    @Option(names = "--kv-cache", paramLabel = "TYPE", description = "KV cache type: F32 (exact) or F16 (half the memory, llama.cpp's default) (default: ${DEFAULT-VALUE})")
    KvCache.Type kvCache = KvCache.Type.F32;

    LanguageModel load() {
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
        if (contextLength < 0) throw new IllegalArgumentException("--ctx-size must be >= 0, got " + contextLength);
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        return LanguageModel.load(model, new LoadOptions(threads, contextLength, batchSize, kvCache));
    }
}
