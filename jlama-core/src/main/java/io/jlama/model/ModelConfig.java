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
        float ropeFreqScale,
        /* rope.freq_base of the sliding-window layers ({arch}.rope.freq_base_swa, default rope.freq_base) */
        float ropeFreqBaseSwa,
        /* attention scores are (q . k) * attnScale */
        float attnScale,
        /* attention-logit soft cap, 0 = none */
        float attnSoftCap,
        /* final-logit soft cap, 0 = none */
        float finalSoftCap,
        /* sliding window: a query at p sees keys p-slidingWindow+1 .. p on the layers marked in swaLayers; 0 = none */
        int slidingWindow,
        /* per layer: whether it uses the sliding window (all false without one) */
        boolean[] swaLayers,
        /* mixture of experts: experts per layer ({arch}.expert_count), 0 = a dense feed-forward */
        int expertCount,
        /* experts used per token ({arch}.expert_used_count) */
        int expertUsedCount,
        /* hidden width of one expert ({arch}.expert_feed_forward_length, default feed_forward_length) */
        int expertFeedForwardLength,
        /* YaRN RoPE scaling ({arch}.rope.scaling.type = yarn), or null */
        Yarn yarn,
        /* cos/sin magnitude of every rotation ({arch}.rope.scaling.attn_factor, default 1; Phi-3 LongRoPE sets it) */
        float ropeAttnFactor,
        /* the context the model was trained for before RoPE scaling ({arch}.rope.scaling.original_context_length, default
           context_length): a session longer than this uses rope_factors_long, otherwise rope_factors_short */
        int ropeOrigContext) {

    /**
     * YaRN parameters as llama.cpp sets them up (llama-context.cpp, ggml_rope_ext): {@code origContext} is
     * {@code rope.scaling.original_context_length}, beta_fast/beta_slow llama.cpp's defaults (32, 1) unless the file
     * gives them, ext_factor 1, and {@code attnFactor} the YaRN magnitude correction that llama.cpp passes to the
     * rope op: get_mscale(factor) times 1/(1 + 0.1 ln factor), which the op multiplies by (1 + 0.1 ln factor) again.
     */
    public record Yarn(int origContext, float betaFast, float betaSlow, float extFactor, float attnFactor) {
    }

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
        // a model that is all experts may have no dense feed-forward width (gpt-oss)
        int nFf = a.moe() && !f.has(a.key("feed_forward_length")) ? 0 : f.getInt(a.key("feed_forward_length"), 1, MAX);
        int nCtx = f.getInt(a.key("context_length"), 1, Integer.MAX_VALUE, 4096);
        float eps = (float) f.getDouble(a.key(a.norm() == Architecture.NormKind.RMS ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon"), 1e-5);
        int nRot = f.getInt(a.key("rope.dimension_count"), 0, headDimK, headDimK);
        if (nRot % 2 != 0) throw new ModelFormatException(f.path(), "metadata key '" + a.key("rope.dimension_count") + "': " + nRot + " is odd");
        float base = (float) f.getDouble(a.key("rope.freq_base"), 10000.0);
        float scale = 1.0f;
        // llama.cpp's default is linear: a scaling factor without a type still scales
        String scalingType = f.getString(a.key("rope.scaling.type"), "linear");
        if (f.has(a.key("rope.scale_linear"))) {
            scale = 1.0f / (float) f.getDouble(a.key("rope.scale_linear"));
        }
        boolean yarnScaling = scalingType.equals("yarn");
        boolean linear = scalingType.equals("linear") || scalingType.equals("longrope");
        if ((linear || yarnScaling) && f.has(a.key("rope.scaling.factor"))) {
            double factor = f.getDouble(a.key("rope.scaling.factor"));
            if (factor > 0) scale = (float) (1.0 / factor);
        } else if (!scalingType.equals("none") && !linear && !yarnScaling) {
            throw new ModelFormatException(f.path(), "metadata key '" + a.key("rope.scaling.type") + "': '" + scalingType + "' is not supported yet (supported: none, linear, yarn, longrope)");
        }
        float ropeAttnFactor = (float) f.getDouble(a.key("rope.scaling.attn_factor"), 1.0);
        if (!(ropeAttnFactor > 0) || !Float.isFinite(ropeAttnFactor)) {
            throw new ModelFormatException(f.path(), "metadata key '" + a.key("rope.scaling.attn_factor") + "': " + ropeAttnFactor + " is not a positive number");
        }
        int ropeOrigContext = f.getInt(a.key("rope.scaling.original_context_length"), 1, Integer.MAX_VALUE, nCtx);
        Yarn yarn = null;
        if (yarnScaling) { // llama.cpp: llama_context constructor (yarn_ext_factor, yarn_attn_factor), hparams yarn keys
            if (f.has(a.key("rope.scaling.yarn_log_multiplier")) && f.getDouble(a.key("rope.scaling.yarn_log_multiplier")) != 0) {
                throw new ModelFormatException(f.path(), "metadata key '" + a.key("rope.scaling.yarn_log_multiplier") + "' is not supported yet");
            }
            float betaFast = (float) f.getDouble(a.key("rope.scaling.yarn_beta_fast"), 32.0);
            float betaSlow = (float) f.getDouble(a.key("rope.scaling.yarn_beta_slow"), 1.0);
            float factor = 1.0f / scale;
            float mscale = factor <= 1.0f ? 1.0f : 0.1f * 1.0f * (float) Math.log(factor) + 1.0f;
            float attnFactor = mscale * (1.0f / (1.0f + 0.1f * (float) Math.log(factor))) * ropeAttnFactor;
            yarn = new Yarn(ropeOrigContext, betaFast, betaSlow, 1.0f, attnFactor);
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
        float baseSwa = base;
        int nSwa = 0;
        boolean[] swa = new boolean[nLayer];
        if (a.swaDefaultPattern() > 0) { // llama.cpp: load_arch_hparams of gemma2/gemma3, load_swa_pattern
            nSwa = f.getInt(a.key("attention.sliding_window"), 0, Integer.MAX_VALUE, a.swaDefaultWindow());
            if (nSwa > 0) {
                String pk = a.key("attention.sliding_window_pattern");
                if (f.has(pk) && f.metadata().get(pk).type() == io.jlama.gguf.GgufValueType.ARRAY) {
                    int[] pat = f.getIntArray(pk);
                    if (pat.length < nLayer) throw new ModelFormatException(f.path(), "metadata key '" + pk + "' has " + pat.length + " entries, need " + nLayer);
                    for (int i = 0; i < nLayer; i++) swa[i] = pat[i] != 0;
                } else {
                    int n = f.getInt(pk, 0, Integer.MAX_VALUE, a.swaDefaultPattern());
                    for (int i = 0; i < nLayer; i++) swa[i] = n == 0 || i % n < n - 1;
                }
                baseSwa = (float) f.getDouble(a.key("rope.freq_base_swa"), a.swaDefaultRopeBase() > 0 ? a.swaDefaultRopeBase() : base);
                if (!(baseSwa > 0) || !Float.isFinite(baseSwa)) throw new ModelFormatException(f.path(), "metadata key '" + a.key("rope.freq_base_swa") + "': " + baseSwa + " is not a positive number");
            }
        }
        float attnScale = (float) (1.0 / Math.sqrt(headDimK));
        if (a.attnScaleByEmbdLayers() > 0 && nLayer == a.attnScaleByEmbdLayers()) attnScale = (float) (1.0 / Math.sqrt((float) (nEmbd / nHead)));
        float attnCap = a.attnSoftCap() ? (float) f.getDouble(a.key("attn_logit_softcapping"), 50.0) : 0f;
        float finalCap = (float) f.getDouble(a.key("final_logit_softcapping"), a.attnSoftCap() ? 30.0 : 0.0);
        if (attnCap < 0 || finalCap < 0 || !Float.isFinite(attnCap) || !Float.isFinite(finalCap)) {
            throw new ModelFormatException(f.path(), "soft-capping values must be finite and non-negative (attn " + attnCap + ", final " + finalCap + ")");
        }
        // mixture of experts (llama.cpp: expert_count, expert_used_count; build_moe_ffn)
        int nExpert = f.getInt(a.key("expert_count"), 0, 65536, 0);
        int nExpertUsed = 0, nFfExp = 0;
        if (a.moe() && nExpert == 0) {
            throw new ModelFormatException(f.path(), "metadata key '" + a.key("expert_count") + "' is missing or 0: architecture '" + a.name() + "' needs experts");
        }
        if (nExpert > 0) {
            if ((a.ffn() != Architecture.FfnKind.SWIGLU && a.ffn() != Architecture.FfnKind.SWIGLU_OAI) || a.fusedGateUp()) {
                throw new ModelFormatException(f.path(), "mixture of experts is not supported for architecture '" + a.name() + "'");
            }
            nExpertUsed = f.getInt(a.key("expert_used_count"), 1, nExpert);
            nFfExp = f.getInt(a.key("expert_feed_forward_length"), 1, MAX, nFf);
        }
        return new ModelConfig(a, nVocab, nEmbd, nLayer, nHead, nHeadKv, headDimK, headDimV, nFf, nCtx, eps, nRot, base, scale,
                baseSwa, attnScale, attnCap, finalCap, nSwa, swa, nExpert, nExpertUsed, nFfExp, yarn,
                ropeAttnFactor, ropeOrigContext);
    }

    /** Whether the feed-forward is a mixture of experts. */
    public boolean moe() {
        return expertCount > 0;
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
