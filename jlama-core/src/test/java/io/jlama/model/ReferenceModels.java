package io.jlama.model;

import io.jlama.gguf.GgufFile;
import io.jlama.parallel.WorkerPool;

import java.nio.file.Path;

/** Loads a model without a tokenizer and runs token ids through it, for comparisons with llama.cpp's logits. */
final class ReferenceModels {
    private ReferenceModels() {
    }

    /** Logits at every position of {@code tokens}, evaluated as one batch of {@code batch} tokens at most. */
    static float[] allLogits(Path gguf, int[] tokens, int batch, int threads) {
        try (GgufFile f = GgufFile.open(gguf); WorkerPool pool = new WorkerPool(threads)) {
            ModelConfig c = ModelConfig.read(f, Architecture.of(f));
            Transformer tr = new Transformer(c, new Weights(f, c));
            Transformer.State s = tr.newState(Math.max(64, tokens.length), batch, threads);
            float[] out = new float[tokens.length * c.vocabSize()];
            tr.forward(s, pool, tokens, 0, tokens.length, out, true);
            return out;
        }
    }

    /** Logits at every position, feeding one token at a time (the decode path). */
    static float[] allLogitsIncremental(Path gguf, int[] tokens, int threads) {
        try (GgufFile f = GgufFile.open(gguf); WorkerPool pool = new WorkerPool(threads)) {
            ModelConfig c = ModelConfig.read(f, Architecture.of(f));
            Transformer tr = new Transformer(c, new Weights(f, c));
            Transformer.State s = tr.newState(Math.max(64, tokens.length), 1, threads);
            int v = c.vocabSize();
            float[] out = new float[tokens.length * v];
            float[] row = new float[v];
            for (int i = 0; i < tokens.length; i++) {
                tr.forward(s, pool, tokens, i, 1, row, false);
                System.arraycopy(row, 0, out, i * v, v);
            }
            return out;
        }
    }

    /** Greedy continuation of {@code prompt} for n tokens (no stop at EOS), like llamacpp-generate. */
    static int[] greedy(Path gguf, int[] prompt, int n, int threads) {
        return greedy(gguf, prompt, n, threads, KvCache.Type.F32);
    }

    static int[] greedy(Path gguf, int[] prompt, int n, int threads, KvCache.Type kv) {
        try (GgufFile f = GgufFile.open(gguf); WorkerPool pool = new WorkerPool(threads)) {
            ModelConfig c = ModelConfig.read(f, Architecture.of(f));
            Transformer tr = new Transformer(c, new Weights(f, c));
            Transformer.State s = tr.newState(prompt.length + n + 1, 64, threads, kv);
            float[] logits = new float[c.vocabSize()];
            tr.forward(s, pool, prompt, 0, prompt.length, logits, false);
            int[] out = new int[n];
            int[] one = new int[1];
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
                out[i] = best;
                one[0] = best;
                if (i + 1 < n) tr.forward(s, pool, one, 0, 1, logits, false);
            }
            return out;
        }
    }

    /** Largest absolute difference. */
    static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
