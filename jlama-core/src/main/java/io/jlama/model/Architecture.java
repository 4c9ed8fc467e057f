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
        NormKind norm,
        FfnKind ffn,
        /* q/k/v projections carry biases (attn_q.bias ...) */
        boolean qkvBias,
        /* per-head RMSNorm of Q and K (attn_q_norm / attn_k_norm), applied before RoPE */
        boolean qkNorm,
        /* one attn_qkv matrix: rows of Q, then K, then V */
        boolean fusedQkv,
        /* one ffn_up matrix of 2*n_ff rows: gate, then up */
        boolean fusedGateUp) {

    public enum NormKind { RMS, LAYER }

    public enum FfnKind {
        /** down(silu(gate(x)) * up(x)) */
        SWIGLU
    }

    private static final Map<String, Architecture> KNOWN = new LinkedHashMap<>();

    static {
        // name, RoPE pairing, norm, feed-forward, q/k/v biases, q/k norms, fused qkv, fused gate+up
        // (llama.cpp: src/models/<name>.cpp)
        add(new Architecture("llama", Rope.Style.NORM, NormKind.RMS, FfnKind.SWIGLU, false, false, false, false));
        add(new Architecture("qwen2", Rope.Style.NEOX, NormKind.RMS, FfnKind.SWIGLU, true, false, false, false));
        add(new Architecture("qwen3", Rope.Style.NEOX, NormKind.RMS, FfnKind.SWIGLU, false, true, false, false));
        add(new Architecture("phi3", Rope.Style.NEOX, NormKind.RMS, FfnKind.SWIGLU, false, false, true, true));
    }

    private static void add(Architecture a) {
        KNOWN.put(a.name, a);
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
