package io.jlama.quantize;

import io.jlama.gguf.GgufArray;
import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufTensor;
import io.jlama.gguf.GgufFile.GgufValue;
import io.jlama.gguf.GgufValueType;
import io.jlama.tensor.GgmlType;

import java.util.List;

/**
 * llama.cpp's choice of a type per tensor for a file type ({@code llama_tensor_get_type} in its
 * {@code src/llama-quant.cpp}, without an importance matrix and without {@code --tensor-type} patterns): which
 * tensors of a _S/_M/_L mix stay at higher precision, and the fallback when a row is not a whole number of blocks.
 *
 * <p>The choice depends on the order in which tensors are visited (attention-V and FFN-down tensors are counted as
 * they come), so {@link #choose} must be called once per tensor in llama.cpp's tensor order.
 */
final class QuantMix {
    enum Category { OUTPUT, TOKEN_EMBD, ATTENTION_QKV, ATTENTION_KV_B, ATTENTION_V, ATTENTION_K, ATTENTION_Q, ATTENTION_OUTPUT, FFN_UP, FFN_GATE, FFN_DOWN, OTHER }

    /** A tensor whose row length does not fit the chosen type: the type it wanted and what it got. */
    record Fallback(GgmlType wanted, GgmlType got) {
    }

    private final QuantType ftype;
    private final boolean pure;
    private final GgmlType outputType, embdType;
    private final String arch;
    private final int nExpert, nGqa, nLayer;
    private final boolean is70B, hasTiedEmbeddings;
    private final int nAttentionWv;
    private int iAttentionWv, iFfnDown, iFfnGate, iFfnUp;
    Fallback lastFallback;

    QuantMix(QuantType ftype, boolean pure, GgmlType outputType, GgmlType embdType, GgufFile in, List<GgufTensor> tensors) {
        this.ftype = ftype;
        this.pure = pure;
        this.outputType = outputType;
        this.embdType = embdType;
        this.arch = in.architecture() == null ? "" : in.architecture();
        this.nExpert = (int) first(in, arch + ".expert_count", 0);
        long nHead = first(in, arch + ".attention.head_count", 0), nHeadKv = first(in, arch + ".attention.head_count_kv", nHead);
        this.nGqa = nHeadKv == 0 ? 0 : (int) (nHead / nHeadKv);
        this.nLayer = (int) first(in, arch + ".block_count", 0);
        // llama.cpp's model types that the mix looks at: LLM_TYPE_70B (80 layers of llama with GQA, qwen2, olmo, deci)
        this.is70B = nLayer == 80 && (arch.equals("llama") ? nHead != nHeadKv : arch.equals("qwen2") || arch.equals("olmo") || arch.equals("deci"));
        int nv = 0;
        boolean tied = true;
        for (GgufTensor t : tensors) {
            Category c = category(t.name());
            if (isAttnV(c)) nv++;
            if (c == Category.OUTPUT) tied = false;
        }
        this.nAttentionWv = nv;
        this.hasTiedEmbeddings = tied;
    }

    /** An integer key, or the first element of an integer-array key (per-layer values), or the default. */
    private static long first(GgufFile in, String key, long dflt) {
        GgufValue v = in.metadata().get(key);
        if (v == null) return dflt;
        if (v.type() != GgufValueType.ARRAY) return in.getLong(key);
        GgufArray a = (GgufArray) v.value();
        return switch (a.values()) {
            case int[] ia when ia.length > 0 -> ia[0];
            case long[] la when la.length > 0 -> la[0];
            case short[] sa when sa.length > 0 -> sa[0];
            case byte[] ba when ba.length > 0 -> ba[0];
            default -> dflt;
        };
    }

    static Category category(String name) {
        if (name.equals("output.weight")) return Category.OUTPUT;
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) return Category.TOKEN_EMBD;
        if (name.contains("attn_qkv.weight")) return Category.ATTENTION_QKV;
        if (name.contains("attn_kv_b.weight")) return Category.ATTENTION_KV_B;
        if (name.contains("attn_v.weight")) return Category.ATTENTION_V;
        if (name.contains("attn_k.weight")) return Category.ATTENTION_K;
        if (name.contains("attn_q.weight")) return Category.ATTENTION_Q;
        if (name.contains("attn_output.weight")) return Category.ATTENTION_OUTPUT;
        if (name.contains("ffn_up")) return Category.FFN_UP;
        if (name.contains("ffn_gate")) return Category.FFN_GATE;
        if (name.contains("ffn_down")) return Category.FFN_DOWN;
        return Category.OTHER;
    }

    private static boolean isAttnV(Category c) {
        return c == Category.ATTENTION_V || c == Category.ATTENTION_QKV || c == Category.ATTENTION_KV_B;
    }

    /** The type of one quantizable tensor ({@link Quantizer#allowsQuantization} is true); sets {@link #lastFallback}. */
    GgmlType choose(GgufTensor t) {
        lastFallback = null;
        Category c = category(t.name());
        // explicit overrides are applied as given, before (and without) the mix and the fallback
        if (embdType != null && c == Category.TOKEN_EMBD) return embdType;
        if (outputType != null && c == Category.OUTPUT) return outputType;
        GgmlType type = ftype.defaultType;
        if (!type.isQuantized()) return type;
        if (!pure) type = mix(type, t, c);
        return fallback(t, type);
    }

    /** Whether llama.cpp refuses this target type without an importance matrix ({@code tensor_requires_imatrix}). */
    boolean requiresImatrix(GgufTensor t, GgmlType target) {
        Category c = category(t.name());
        if (c == Category.OUTPUT || c == Category.TOKEN_EMBD) return false;
        return switch (target) {
            case IQ3_XXS, IQ2_XXS, IQ2_XS, IQ2_S, IQ1_M, IQ1_S -> true;
            case Q2_K -> ftype == QuantType.Q2_K_S;
            default -> false;
        };
    }

    private GgmlType fallback(GgufTensor t, GgmlType target) {
        long ncols = t.cols();
        if (ncols % target.blockSize == 0) return target;
        GgmlType to = switch (target) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS -> GgmlType.IQ4_NL;
            case Q2_0, Q2_K, Q3_K, TQ1_0, TQ2_0 -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> {
                if (target.blockSize <= 32) yield target;
                throw new IllegalArgumentException("tensor '" + t.name() + "': no fallback type is defined for " + target);
            }
        };
        if (ncols % to.blockSize != 0) to = GgmlType.F16;
        lastFallback = new Fallback(target, to);
        return to;
    }

    private static boolean useMoreBits(int iLayer, int nLayers) {
        return iLayer < nLayers / 8 || iLayer >= 7 * nLayers / 8 || (iLayer - nLayers / 8) % 3 == 2;
    }

    /** The layer a FFN tensor belongs to: counted for dense models, read from the name for MoE ones. */
    private int layer(int counter, String name) {
        if (Math.max(1, nExpert) <= 1) return counter;
        int il = Quantizer.layerOf(name);
        if (il == -1 && !name.startsWith("blk.-1.")) throw new IllegalArgumentException("failed to determine the layer of tensor '" + name + "'");
        if (il < 0 || il >= nLayer) throw new IllegalArgumentException("bad layer " + il + " for tensor '" + name + "': must be in [0, " + nLayer + ")");
        return il;
    }

    private GgmlType mix(GgmlType newType, GgufTensor t, Category c) {
        String name = t.name();
        QuantType f = ftype;
        boolean falcon = arch.equals("falcon");
        if (c == Category.OUTPUT || (hasTiedEmbeddings && c == Category.TOKEN_EMBD)) {
            if (outputType != null) return outputType;
            if (f == QuantType.MXFP4_MOE) return GgmlType.Q8_0;
            if (falcon || t.cols() % newType.blockSize != 0) return GgmlType.Q8_0;
            return newType != GgmlType.Q8_0 ? GgmlType.Q6_K : newType;
        }
        if (f == QuantType.MXFP4_MOE) {
            boolean expertRole = c == Category.FFN_UP || c == Category.FFN_GATE || c == Category.FFN_DOWN;
            long ne2 = t.ne().length > 2 ? t.ne()[2] : 1;
            return ne2 > 1 && (!arch.equals("bailingmoe3") || expertRole) ? GgmlType.MXFP4 : GgmlType.Q8_0;
        }
        if (c == Category.TOKEN_EMBD) {
            if (f == QuantType.TQ1_0 || f == QuantType.TQ2_0) return GgmlType.Q4_K;
            return newType;
        }
        if (isAttnV(c)) {
            if (f == QuantType.Q2_K) newType = nGqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            else if (f == QuantType.Q2_K_S && nGqa >= 4) newType = GgmlType.Q4_K;
            else if (f == QuantType.Q3_K_M) newType = iAttentionWv < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            else if (f == QuantType.Q3_K_L) newType = GgmlType.Q5_K;
            else if ((f == QuantType.IQ4_NL || f == QuantType.IQ4_XS) && nGqa >= 4) newType = GgmlType.Q5_K;
            else if ((f == QuantType.Q4_K_M || f == QuantType.Q5_K_M) && useMoreBits(iAttentionWv, nAttentionWv)) newType = GgmlType.Q6_K;
            else if (f == QuantType.Q4_K_S && iAttentionWv < 4) newType = GgmlType.Q5_K;
            if (is70B && (newType == GgmlType.Q3_K || newType == GgmlType.Q4_K)) newType = GgmlType.Q5_K;
            if (nExpert == 8) newType = GgmlType.Q8_0;
            iAttentionWv++;
            return newType;
        }
        switch (c) {
            case ATTENTION_K -> {
                if (nExpert == 8) newType = GgmlType.Q8_0;
            }
            case FFN_DOWN -> {
                int iLayer = layer(iFfnDown, name), n = nLayer;
                if (f == QuantType.Q2_K) newType = GgmlType.Q3_K;
                else if (f == QuantType.Q2_K_S) {
                    if (iLayer < n / 8) newType = GgmlType.Q4_K;
                } else if (f == QuantType.Q3_K_M) {
                    newType = iLayer < n / 16 ? GgmlType.Q5_K : !falcon || useMoreBits(iLayer, n) ? GgmlType.Q4_K : GgmlType.Q3_K;
                } else if (f == QuantType.Q3_K_L) {
                    newType = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
                } else if (f == QuantType.Q4_K_M) {
                    if (falcon) newType = iLayer < n / 16 ? GgmlType.Q6_K : useMoreBits(iLayer, n) ? GgmlType.Q5_K : GgmlType.Q4_K;
                    else if (useMoreBits(iLayer, n)) newType = GgmlType.Q6_K;
                } else if (iLayer < n / 8 && (f == QuantType.IQ4_NL || f == QuantType.IQ4_XS)) {
                    newType = GgmlType.Q5_K;
                } else if (f == QuantType.Q5_K_M && useMoreBits(iLayer, n)) {
                    newType = GgmlType.Q6_K;
                } else if (f == QuantType.Q4_K_S && !falcon && iLayer < n / 8) {
                    newType = GgmlType.Q5_K;
                }
                iFfnDown++;
            }
            case ATTENTION_OUTPUT -> {
                if (!falcon) {
                    if (nExpert == 8) {
                        if (f == QuantType.Q2_K || f == QuantType.Q3_K_S || f == QuantType.Q3_K_M || f == QuantType.IQ4_NL
                                || f == QuantType.Q4_K_S || f == QuantType.Q4_K_M || f == QuantType.IQ4_XS) {
                            newType = GgmlType.Q5_K;
                        }
                    } else {
                        if (f == QuantType.Q2_K) newType = GgmlType.Q3_K;
                        else if (f == QuantType.Q3_K_M) newType = GgmlType.Q4_K;
                        else if (f == QuantType.Q3_K_L) newType = GgmlType.Q5_K;
                    }
                } else if (f == QuantType.Q3_K_L) {
                    newType = GgmlType.Q4_K;
                }
            }
            // (llama.cpp's own ATTENTION_QKV rule is never reached: the attention-V rule above takes those tensors)
            case FFN_GATE -> {
                layer(iFfnGate, name); // validates the layer of MoE tensors, as llama.cpp does
                iFfnGate++;
            }
            case FFN_UP -> {
                layer(iFfnUp, name);
                iFfnUp++;
            }
            default -> {
            }
        }
        return newType;
    }
}
