package io.jlama.model;

import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufTensor;
import io.jlama.gguf.ModelFormatException;

/**
 * Hyperparameters of a transformer, read from GGUF metadata with llama.cpp's keys and defaults
 * ({@code llama_model_base::load_hparams}).
 */
public record ModelConfig(
        Architecture arch,
        int vocabSize,
        int embeddingLength,
        int blockCount,
        int headCount,
        int headCountKv,
        /* key/query head size ({arch}.attention.key_length, default embedding_length / head_count) */
        int headDimK,
        /* value head size ({arch}.attention.value_length) */
        int headDimV,
        int feedForwardLength,
        int contextLength,
        float normEps,
        int ropeDimensions,
        float ropeFreqBase,
        /* 1 / linear rope scaling factor */
        float ropeFreqScale) {

    private static final int MAX = 1 << 24;

    public static ModelConfig read(GgufFile f, Architecture a) {
        int nEmbd = f.getInt(a.key("embedding_length"), 1, MAX);
        int nLayer = f.getInt(a.key("block_count"), 1, 4096);
        int nHead = f.getInt(a.key("attention.head_count"), 1, 65536);
        int nHeadKv = f.getInt(a.key("attention.head_count_kv"), 1, nHead, nHead);
        if (nHead % nHeadKv != 0) {
            throw new ModelFormatException(f.path(), "metadata key '" + a.key("attention.head_count_kv") + "': " + nHeadKv + " does not divide head_count " + nHead);
        }
        int headDimK = f.getInt(a.key("attention.key_length"), 1, MAX, nEmbd / nHead);
        int headDimV = f.getInt(a.key("attention.value_length"), 1, MAX, nEmbd / nHead);
        int nFf = f.getInt(a.key("feed_forward_length"), 1, MAX);
        int nCtx = f.getInt(a.key("context_length"), 1, Integer.MAX_VALUE, 4096);
        float eps = (float) f.getDouble(a.key(a.norm() == Architecture.NormKind.RMS ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon"), 1e-5);
        int nRot = f.getInt(a.key("rope.dimension_count"), 0, headDimK, headDimK);
        if (nRot % 2 != 0) throw new ModelFormatException(f.path(), "metadata key '" + a.key("rope.dimension_count") + "': " + nRot + " is odd");
        float base = (float) f.getDouble(a.key("rope.freq_base"), 10000.0);
        float scale = 1.0f;
        String scalingType = f.getString(a.key("rope.scaling.type"), "none");
        if (f.has(a.key("rope.scale_linear"))) {
            scale = 1.0f / (float) f.getDouble(a.key("rope.scale_linear"));
        }
        if (scalingType.equals("linear") && f.has(a.key("rope.scaling.factor"))) {
            double factor = f.getDouble(a.key("rope.scaling.factor"));
            if (factor > 0) scale = (float) (1.0 / factor);
        } else if (!scalingType.equals("none") && !scalingType.equals("linear")) {
            throw new ModelFormatException(f.path(), "metadata key '" + a.key("rope.scaling.type") + "': '" + scalingType + "' is not supported yet (supported: none, linear)");
        }
        if (!(base > 0) || !Float.isFinite(base)) throw new ModelFormatException(f.path(), "metadata key '" + a.key("rope.freq_base") + "': " + base + " is not a positive number");
        int nVocab;
        if (f.has(a.key("vocab_size"))) {
            nVocab = f.getInt(a.key("vocab_size"), 1, MAX);
        } else {
            GgufTensor emb = f.tensor("token_embd.weight");
            if (emb != null && emb.ne().length >= 2) nVocab = (int) Math.min(MAX, emb.ne()[1]);
            else if (f.has("tokenizer.ggml.tokens")) nVocab = f.getStringArray("tokenizer.ggml.tokens").length;
            else throw new ModelFormatException(f.path(), "cannot tell the vocabulary size: no '" + a.key("vocab_size") + "' and no token_embd.weight");
        }
        return new ModelConfig(a, nVocab, nEmbd, nLayer, nHead, nHeadKv, headDimK, headDimV, nFf, nCtx, eps, nRot, base, scale);
    }

    /** Width of all query heads together. */
    public int qDim() {
        return headCount * headDimK;
    }

    /** Width of all key heads together. */
    public int kDim() {
        return headCountKv * headDimK;
    }

    /** Width of all value heads together. */
    public int vDim() {
        return headCountKv * headDimV;
    }
}
