package io.jlama.model;

import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufTensor;
import io.jlama.gguf.ModelFormatException;
import io.jlama.tensor.Tensor;
import io.jlama.tensor.Tensors;

import java.util.Arrays;

/**
 * The tensors of a model bound by llama.cpp's names, with their shapes checked against the hyperparameters.
 * Matrices stay in the mapped file; small vectors (norm weights, biases, rope factors) are copied to float arrays.
 */
public final class Weights {
    public final Tensor tokenEmbedding;
    public final float[] outputNorm;
    /** LayerNorm bias of the output norm, or null (RMSNorm). */
    public final float[] outputNormBias;
    /** Learned absolute position embeddings (GPT-2), context_length rows, or null. */
    public final Tensor positionEmbedding;
    /** The output projection; the token embedding itself when the model ties them. */
    public final Tensor output;
    /** Per-pair RoPE frequency divisors (Llama 3.1 scaling), or null. */
    public final float[] ropeFreqs;
    /** Phi-3 LongRoPE divisors for sessions longer than rope.scaling.original_context_length, and for the others; or null. */
    public final float[] ropeFactorsLong, ropeFactorsShort;
    public final Layer[] layers;

    /** One transformer block. Optional tensors are null when absent. */
    public static final class Layer {
        public float[] attnNorm, attnNormBias;
        public Tensor wq, wk, wv, wo;
        /** Fused Q/K/V projection (Phi-3), or null. */
        public Tensor wqkv;
        public float[] bq, bk, bv;
        /** Bias of the fused Q/K/V projection, or null. */
        public float[] bqkv;
        /** Biases of the attention output and the feed-forward projections (GPT-2), or null. */
        public float[] bo, bUp, bDown;
        /** Sandwich norms on the attention and feed-forward outputs (Gemma), or null. */
        public float[] postAttnNorm, postFfnNorm;
        public float[] qNorm, kNorm;
        public float[] ffnNorm, ffnNormBias;
        /** ffnGate is null when ffnUp holds gate and up stacked (Phi-3). */
        public Tensor ffnGate, ffnUp, ffnDown;
        /**
         * Mixture of experts, or null: the router (ffn_gate_inp, one row per expert) and the experts' gate, up and
         * down projections, each one tensor with all experts' rows stacked (expert e owns rows
         * [e * rowsPerExpert, (e + 1) * rowsPerExpert)).
         */
        public Tensor ffnRouter, ffnGateExps, ffnUpExps, ffnDownExps;
        /**
         * Router bias [experts] and the experts' biases, stacked as their rows: gate and up [experts * ffe],
         * down [experts * n_embd] (gpt-oss), or null.
         */
        public float[] bRouter, bGateExps, bUpExps, bDownExps;
        /** Per-head attention sink logits (gpt-oss), or null. */
        public float[] attnSinks;
    }

    public Weights(GgufFile f, ModelConfig c) {
        Binder b = new Binder(f);
        int d = c.embeddingLength();
        tokenEmbedding = b.matrix("token_embd.weight", d, c.vocabSize());
        outputNorm = b.vector("output_norm.weight", d);
        boolean ln = c.arch().norm() == Architecture.NormKind.LAYER;
        outputNormBias = ln ? b.vector("output_norm.bias", d) : null;
        positionEmbedding = c.arch().positionEmbedding() ? b.matrix("position_embd.weight", d, c.contextLength()) : null;
        output = f.tensor("output.weight") != null ? b.matrix("output.weight", d, c.vocabSize()) : tokenEmbedding;
        ropeFreqs = f.tensor("rope_freqs.weight") != null ? b.vector("rope_freqs.weight", c.ropeDimensions() / 2) : null;
        // Phi-3 LongRoPE: two sets of per-pair divisors, chosen by the session's context length (llama.cpp's get_rope_factors)
        ropeFactorsLong = f.tensor("rope_factors_long.weight") != null ? b.vector("rope_factors_long.weight", c.ropeDimensions() / 2) : null;
        ropeFactorsShort = f.tensor("rope_factors_short.weight") != null ? b.vector("rope_factors_short.weight", c.ropeDimensions() / 2) : null;
        layers = new Layer[c.blockCount()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            Layer l = new Layer();
            l.attnNorm = b.vector(p + "attn_norm.weight", d);
            if (ln) l.attnNormBias = b.vector(p + "attn_norm.bias", d);
            if (c.arch().fusedQkv()) {
                l.wqkv = b.matrix(p + "attn_qkv.weight", d, c.qDim() + c.kDim() + c.vDim());
            } else {
                l.wq = b.matrix(p + "attn_q.weight", d, c.qDim());
                l.wk = b.matrix(p + "attn_k.weight", d, c.kDim());
                l.wv = b.matrix(p + "attn_v.weight", d, c.vDim());
            }
            l.wo = b.matrix(p + "attn_output.weight", c.headCount() * c.headDimV(), d);
            if (c.arch().qkvBias() && c.arch().fusedQkv()) {
                l.bqkv = b.vector(p + "attn_qkv.bias", c.qDim() + c.kDim() + c.vDim());
            } else if (c.arch().qkvBias()) {
                l.bq = b.vector(p + "attn_q.bias", c.qDim());
                l.bk = b.vector(p + "attn_k.bias", c.kDim());
                l.bv = b.vector(p + "attn_v.bias", c.vDim());
            }
            if (c.arch().qkNorm()) {
                l.qNorm = b.vector(p + "attn_q_norm.weight", c.headDimK());
                l.kNorm = b.vector(p + "attn_k_norm.weight", c.headDimK());
            }
            if (c.arch().outputBiases() || c.arch().attnOutputBias()) l.bo = b.vector(p + "attn_output.bias", d);
            if (c.arch().attnSinks()) l.attnSinks = b.vector(p + "attn_sinks.weight", c.headCount());
            if (c.arch().postNorms()) {
                l.postAttnNorm = b.vector(p + "post_attention_norm.weight", d);
                l.postFfnNorm = b.vector(p + "post_ffw_norm.weight", d);
            }
            l.ffnNorm = b.vector(p + (c.arch().ffnNormNamedPostAttn() ? "post_attention_norm.weight" : "ffn_norm.weight"), d);
            if (ln) l.ffnNormBias = b.vector(p + "ffn_norm.bias", d);
            if (c.moe()) {
                int ne = c.expertCount(), ffe = c.expertFeedForwardLength();
                l.ffnRouter = b.matrix(p + "ffn_gate_inp.weight", d, ne);
                l.ffnGateExps = b.experts(p + "ffn_gate_exps.weight", d, ffe, ne);
                l.ffnUpExps = b.experts(p + "ffn_up_exps.weight", d, ffe, ne);
                l.ffnDownExps = b.experts(p + "ffn_down_exps.weight", ffe, d, ne);
                if (c.arch().expertBiases()) {
                    l.bRouter = b.vector(p + "ffn_gate_inp.bias", ne);
                    l.bGateExps = b.rows(p + "ffn_gate_exps.bias", ffe, ne);
                    l.bUpExps = b.rows(p + "ffn_up_exps.bias", ffe, ne);
                    l.bDownExps = b.rows(p + "ffn_down_exps.bias", d, ne);
                }
            } else if (c.arch().ffn() == Architecture.FfnKind.GELU) {
                l.ffnUp = b.matrix(p + "ffn_up.weight", d, c.feedForwardLength());
            } else if (c.arch().fusedGateUp()) {
                l.ffnUp = b.matrix(p + "ffn_up.weight", d, 2 * c.feedForwardLength());
            } else {
                l.ffnGate = b.matrix(p + "ffn_gate.weight", d, c.feedForwardLength());
                l.ffnUp = b.matrix(p + "ffn_up.weight", d, c.feedForwardLength());
            }
            if (!c.moe()) l.ffnDown = b.matrix(p + "ffn_down.weight", c.feedForwardLength(), d);
            if (c.arch().outputBiases()) {
                l.bUp = b.vector(p + "ffn_up.bias", c.feedForwardLength());
                l.bDown = b.vector(p + "ffn_down.bias", d);
            }
            layers[i] = l;
        }
    }

    /** Looks tensors up by name and checks their shapes. */
    static final class Binder {
        final GgufFile f;

        Binder(GgufFile f) {
            this.f = f;
        }

        GgufTensor get(String name) {
            GgufTensor t = f.tensor(name);
            if (t == null) throw new ModelFormatException(f.path(), "tensor '" + name + "' is missing");
            return t;
        }

        /** A matrix with rows of {@code cols} elements (ne[0]) and {@code rows} rows (ne[1]). */
        Tensor matrix(String name, int cols, int rows) {
            GgufTensor t = get(name);
            if (t.ne().length != 2 || t.ne()[0] != cols || t.ne()[1] != rows) {
                throw new ModelFormatException(f.path(), "tensor '" + name + "' has shape " + Arrays.toString(t.ne()) + ", expected [" + cols + ", " + rows + "]");
            }
            return Tensors.of(f.path(), t);
        }

        /** A 3-D expert tensor [cols, rowsPerExpert, experts], loaded as one matrix of experts * rowsPerExpert rows. */
        Tensor experts(String name, int cols, int rowsPerExpert, int experts) {
            GgufTensor t = get(name);
            long[] ne = t.ne();
            if (ne.length != 3 || ne[0] != cols || ne[1] != rowsPerExpert || ne[2] != experts) {
                throw new ModelFormatException(f.path(), "tensor '" + name + "' has shape " + Arrays.toString(ne) + ", expected [" + cols + ", " + rowsPerExpert + ", " + experts + "]");
            }
            return Tensors.of(f.path(), t);
        }

        /** A small matrix [cols, rows] copied to floats, row after row. */
        float[] rows(String name, int cols, int rows) {
            Tensor t = matrix(name, cols, rows);
            float[] v = new float[rows * cols];
            for (int r = 0; r < rows; r++) t.dequantizeRow(r, v, r * cols);
            return v;
        }

        float[] vector(String name, int n) {
            GgufTensor t = get(name);
            if (t.elementCount() != n || t.ne()[0] != n) {
                throw new ModelFormatException(f.path(), "tensor '" + name + "' has shape " + Arrays.toString(t.ne()) + ", expected [" + n + "]");
            }
            float[] v = new float[n];
            Tensors.of(f.path(), t).dequantizeRow(0, v, 0);
            return v;
        }
    }
}
