package io.jlama.model;

import io.jlama.gguf.GgufFile;
import io.jlama.gguf.ModelFormatException;
import io.jlama.ops.Rope;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What distinguishes one model family from another, as data for the one generic forward pass: RoPE pairing,
 * normalisation, feed-forward kind, biases, and which tensors exist. GGUF keys and tensor names follow llama.cpp
 * ({@code src/llama-arch.cpp}). New families are added here, not as new model classes.
 */
public record Architecture(
        /* general.architecture value, also the prefix of its hyperparameter keys */
        String name,
        Rope.Style ropeStyle,
        /* RMS: x/rms * w; LAYER: (x - mean)/sd * w + b (every norm then has a .bias tensor) */
        NormKind norm,
        FfnKind ffn,
        /* q/k/v projections carry biases (attn_q.bias ..., or attn_qkv.bias when fused) */
        boolean qkvBias,
        /* per-head RMSNorm of Q and K (attn_q_norm / attn_k_norm), applied before RoPE */
        boolean qkNorm,
        /* one attn_qkv matrix: rows of Q, then K, then V */
        boolean fusedQkv,
        /* one ffn_up matrix of 2*n_ff rows: gate, then up */
        boolean fusedGateUp,
        /* attn_output.bias, ffn_up.bias and ffn_down.bias (GPT-2) */
        boolean outputBiases,
        /* learned absolute positions added to the input (position_embd.weight, context_length rows) */
        boolean positionEmbedding,
        /* input embeddings multiplied by sqrt(n_embd) (Gemma) */
        boolean scaleEmbedding,
        /* sandwich norms: post_attention_norm and post_ffw_norm on each sublayer's output before the residual add */
        boolean postNorms,
        /* cap * tanh(score / cap) on attention scores, cap from {arch}.attn_logit_softcapping (Gemma-2) */
        boolean attnSoftCap,
        /*
         * sliding-window attention: llama.cpp's default pattern n (layer il uses the window iff il % n < n - 1) when
         * the file has no {arch}.attention.sliding_window_pattern; 0 = the architecture has no sliding window
         */
        int swaDefaultPattern,
        /* the window when {arch}.attention.sliding_window is absent; 0 = no window unless the file gives one */
        int swaDefaultWindow,
        /* rope base of the window layers when {arch}.rope.freq_base_swa is absent; 0 = rope.freq_base */
        float swaDefaultRopeBase,
        /* layer count of the 27B model, whose Q scale is 1/sqrt(n_embd/n_head) instead of 1/sqrt(head_dim); 0 = none */
        int attnScaleByEmbdLayers,
        /*
         * the feed-forward is always a mixture of experts (qwen3moe); any architecture with a SwiGLU FFN also becomes
         * one when the file gives {arch}.expert_count > 0 (Mixtral is a llama file with experts)
         */
        boolean moe,
        /* per-head attention sinks (attn_sinks.weight): a logit that joins each softmax denominator (gpt-oss) */
        boolean attnSinks,
        /* attn_output.bias without the feed-forward biases of outputBiases (gpt-oss) */
        boolean attnOutputBias,
        /* the pre-FFN norm is named post_attention_norm (gpt-oss), not ffn_norm */
        boolean ffnNormNamedPostAttn,
        /*
         * expert gating: false = softmax over all router logits, then the chosen experts' probabilities renormalised
         * (Mixtral, qwen3moe); true = softmax over the chosen experts' raw logits only (llama.cpp SOFTMAX_WEIGHT,
         * gpt-oss)
         */
        boolean gatingSoftmaxChosen,
        /* router bias (ffn_gate_inp.bias) and per-expert biases of gate, up and down (ffn_*_exps.bias) (gpt-oss) */
        boolean expertBiases) {

    public enum NormKind { RMS, LAYER }

    public enum FfnKind {
        /** down(silu(gate(x)) * up(x)) */
        SWIGLU,
        /** down(gelu(gate(x)) * up(x)), tanh GELU (Gemma) */
        GEGLU,
        /** down(gelu(up(x))), no gate (GPT-2) */
        GELU,
        /**
         * down(swiglu_oai(gate(x), up(x))) (gpt-oss): with g = min(gate, 7), u = clamp(up, -7, 7),
         * g * sigmoid(1.702 g) * (u + 1)
         */
        SWIGLU_OAI
    }

    private static final Map<String, Architecture> KNOWN = new LinkedHashMap<>();

    static {
        // llama.cpp: src/models/<name>.cpp
        add(of("llama", Rope.Style.NORM).build());
        add(of("qwen2", Rope.Style.NEOX).qkvBias().build());
        add(of("qwen3", Rope.Style.NEOX).qkNorm().build());
        add(of("qwen3moe", Rope.Style.NEOX).qkNorm().moe().build());
        add(of("phi3", Rope.Style.NEOX).fusedQkv().fusedGateUp().build());
        add(of("gpt2", Rope.Style.NONE).norm(NormKind.LAYER).ffn(FfnKind.GELU).fusedQkv().qkvBias().outputBiases().positionEmbedding().build());
        add(of("gemma2", Rope.Style.NEOX).ffn(FfnKind.GEGLU).scaleEmbedding().postNorms().attnSoftCap().slidingWindow(2, 4096, 0f).attnScaleByEmbdLayers(46).build());
        add(of("gpt-oss", Rope.Style.NEOX).ffn(FfnKind.SWIGLU_OAI).qkvBias().moe().attnSinks().attnOutputBias().ffnNormNamedPostAttn()
                .gatingSoftmaxChosen().expertBiases().slidingWindow(2, 0, 0f).build()); // src/models/openai-moe.cpp
        add(of("gemma3", Rope.Style.NEOX).ffn(FfnKind.GEGLU).qkNorm().scaleEmbedding().postNorms().slidingWindow(6, 0, 10000f).attnScaleByEmbdLayers(62).build());
    }

    private static void add(Architecture a) {
        KNOWN.put(a.name, a);
    }

    private static Builder of(String name, Rope.Style rope) {
        return new Builder(name, rope);
    }

    /** Spells out an architecture: everything off (RMSNorm, SwiGLU, no biases) unless switched on. */
    private static final class Builder {
        final String name;
        final Rope.Style rope;
        NormKind norm = NormKind.RMS;
        FfnKind ffn = FfnKind.SWIGLU;
        boolean qkvBias, qkNorm, fusedQkv, fusedGateUp, outputBiases, positionEmbedding, scaleEmbedding, postNorms, attnSoftCap, moe;
        boolean attnSinks, attnOutputBias, ffnNormNamedPostAttn, gatingSoftmaxChosen, expertBiases;
        int swaPattern, swaWindow, attnScaleByEmbdLayers;
        float swaRopeBase;

        Builder(String name, Rope.Style rope) {
            this.name = name;
            this.rope = rope;
        }

        Builder norm(NormKind k) { norm = k; return this; }
        Builder ffn(FfnKind k) { ffn = k; return this; }
        Builder qkvBias() { qkvBias = true; return this; }
        Builder qkNorm() { qkNorm = true; return this; }
        Builder fusedQkv() { fusedQkv = true; return this; }
        Builder fusedGateUp() { fusedGateUp = true; return this; }
        Builder outputBiases() { outputBiases = true; return this; }
        Builder positionEmbedding() { positionEmbedding = true; return this; }
        Builder scaleEmbedding() { scaleEmbedding = true; return this; }
        Builder postNorms() { postNorms = true; return this; }
        Builder attnSoftCap() { attnSoftCap = true; return this; }
        Builder slidingWindow(int defaultPattern, int defaultWindow, float defaultRopeBase) { swaPattern = defaultPattern; swaWindow = defaultWindow; swaRopeBase = defaultRopeBase; return this; }
        Builder attnScaleByEmbdLayers(int layers) { attnScaleByEmbdLayers = layers; return this; }
        Builder moe() { moe = true; return this; }
        Builder attnSinks() { attnSinks = true; return this; }
        Builder attnOutputBias() { attnOutputBias = true; return this; }
        Builder ffnNormNamedPostAttn() { ffnNormNamedPostAttn = true; return this; }
        Builder gatingSoftmaxChosen() { gatingSoftmaxChosen = true; return this; }
        Builder expertBiases() { expertBiases = true; return this; }

        Architecture build() {
            return new Architecture(name, rope, norm, ffn, qkvBias, qkNorm, fusedQkv, fusedGateUp, outputBiases,
                    positionEmbedding, scaleEmbedding, postNorms, attnSoftCap, swaPattern, swaWindow, swaRopeBase, attnScaleByEmbdLayers, moe,
                    attnSinks, attnOutputBias, ffnNormNamedPostAttn, gatingSoftmaxChosen, expertBiases);
        }
    }

    /** The architecture named by the file's {@code general.architecture}; unknown names are a clear error. */
    public static Architecture of(GgufFile file) {
        String name = file.architecture();
        if (name == null) throw new ModelFormatException(file.path(), "metadata key 'general.architecture' is missing");
        Architecture a = KNOWN.get(name);
        if (a == null) {
            throw new ModelFormatException(file.path(), "general.architecture '" + name + "' is not supported (supported: " + String.join(", ", KNOWN.keySet()) + ")");
        }
        return a;
    }

    public static java.util.Set<String> supported() {
        return KNOWN.keySet();
    }

    /** The key for a per-architecture hyperparameter, e.g. {@code llama.embedding_length}. */
    public String key(String suffix) {
        return name + "." + suffix;
    }
}
