package io.jlama.generate;

import io.jlama.model.KvCache;

/**
 * How to load a model.
 *
 * @param threads       worker threads; 0 means one per physical core
 * @param contextLength positions each session's KV cache holds; 0 means the model's trained context, capped at
 *                      {@link #DEFAULT_MAX_CONTEXT}
 * @param batchSize     prompt tokens processed per forward step (a matrix-matrix product over the batch)
 * @param kvCacheType   F32 (default, exact) or F16 (half the memory, llama.cpp's default)
 */
public record LoadOptions(int threads, int contextLength, int batchSize, KvCache.Type kvCacheType) {
    public static final int DEFAULT_MAX_CONTEXT = 4096;
    public static final int DEFAULT_BATCH = 256;

    public LoadOptions {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        if (contextLength < 0) throw new IllegalArgumentException("context length must be >= 0, got " + contextLength);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (kvCacheType == null) kvCacheType = KvCache.Type.F32;
    }

    public LoadOptions(int threads, int contextLength, int batchSize) {
        this(threads, contextLength, batchSize, KvCache.Type.F32);
    }

    public static LoadOptions defaults() {
        return new LoadOptions(0, 0, DEFAULT_BATCH);
    }

    public LoadOptions withThreads(int t) {
        return new LoadOptions(t, contextLength, batchSize, kvCacheType);
    }

    public LoadOptions withContextLength(int n) {
        return new LoadOptions(threads, n, batchSize, kvCacheType);
    }

    public LoadOptions withBatchSize(int b) {
        return new LoadOptions(threads, contextLength, b, kvCacheType);
    }

    public LoadOptions withKvCacheType(KvCache.Type t) {
        return new LoadOptions(threads, contextLength, batchSize, t);
    }
}
