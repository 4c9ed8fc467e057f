package io.jlama.ops;

/**
 * Rotary position embedding, computed as ggml's {@code ggml_rope_ext} does: the angle of pair i at position p is
 * {@code p * base^(-2i/nRot) * freqScale / freqFactor[i]}, with the powers built by repeated float multiplication
 * like ggml's rope cache, so results agree to float rounding.
 */
public final class Rope {
    /** How dimensions are paired for rotation. */
    public enum Style {
        /** Adjacent pairs (x[2i], x[2i+1]): llama.cpp's LLAMA_ROPE_TYPE_NORM (Llama, Mistral). */
        NORM,
        /** Halves (x[i], x[i + nRot/2]): LLAMA_ROPE_TYPE_NEOX (Qwen, Gemma, Phi-3, GPT-NeoX). */
        NEOX,
        /** No rotary embedding (GPT-2 uses learned positions). */
        NONE
    }

    private final Style style;
    private final int nRot;
    private final float thetaScale;
    private final float freqScale;
    private final float[] freqFactors;
    /** YaRN (ext_factor != 0): the blend weight, the correction dims and the cos/sin magnitude; 0, 0, 0, 1 without. */
    private final float extFactor, corrLow, corrHigh, mscale;

    /**
     * @param nRot        rotated dimensions per head ({@code rope.dimension_count})
     * @param base        {@code rope.freq_base}
     * @param freqScale   1 / linear scaling factor (1 when unscaled)
     * @param freqFactors per-pair divisors from a {@code rope_freqs} tensor (Llama 3.1 scaling), or null
     */
    public Rope(Style style, int nRot, float base, float freqScale, float[] freqFactors) {
        this(style, nRot, base, freqScale, freqFactors, 0, 0f, 0f, 0f, 1f); // no YaRN: extFactor 0, attnFactor 1
    }

    /**
     * RoPE with YaRN scaling, as ggml's rope_yarn: pair i blends the interpolated angle ({@code freqScale * theta})
     * and the original one by {@code ramp(i) * extFactor}, where the ramp falls from 1 to 0 between the correction
     * dims of {@code betaFast} and {@code betaSlow} rotations over {@code origContext} positions; cos and sin are
     * multiplied by {@code attnFactor * (1 + 0.1 ln(1/freqScale))}.
     */
    public Rope(Style style, int nRot, float base, float freqScale, float[] freqFactors,
                int origContext, float betaFast, float betaSlow, float extFactor, float attnFactor) {
        if (freqFactors != null && freqFactors.length < nRot / 2) {
            throw new IllegalArgumentException("rope_freqs has " + freqFactors.length + " factors, need " + nRot / 2);
        }
        this.style = style;
        this.nRot = nRot;
        this.thetaScale = (float) Math.pow(base, -2.0 / nRot);
        this.freqScale = freqScale;
        this.freqFactors = freqFactors;
        this.extFactor = extFactor;
        // ggml_rope_yarn_corr_dims: floor/ceil of n_dims * ln(n_ctx_orig / (beta * 2 pi)) / (2 ln base), in float
        if (extFactor != 0f) {
            float start = (float) Math.floor(corrDim(nRot, origContext, betaFast, base));
            float end = (float) Math.ceil(corrDim(nRot, origContext, betaSlow, base));
            this.corrLow = Math.max(0f, start);
            this.corrHigh = Math.min(nRot - 1, end);
        } else { // the correction dims only shape the YaRN ramp
            this.corrLow = this.corrHigh = 0f;
        }
        float m = attnFactor;
        if (extFactor != 0f) m *= 1.0f + 0.1f * (float) Math.log(1.0f / freqScale);
        this.mscale = m;
    }

    private static float corrDim(int nDims, int origContext, float beta, float base) {
        float ratio = origContext / (beta * 2 * (float) Math.PI);
        return nDims * (float) Math.log(ratio) / (2 * (float) Math.log(base));
    }

    public Style style() {
        return style;
    }

    /** Fills cos/sin tables of nRot/2 entries for one position, from index {@code off}. */
    public void angles(int pos, float[] cos, float[] sin, int off) {
        float theta = pos;
        for (int i = 0; i < nRot / 2; i++) {
            float ff = freqFactors != null ? freqFactors[i] : 1.0f;
            float extrap = theta / ff;
            float t = freqScale * extrap;
            if (extFactor != 0f) { // YaRN
                float y = (i - corrLow) / Math.max(0.001f, corrHigh - corrLow);
                float mix = (1 - Math.min(1f, Math.max(0f, y))) * extFactor;
                t = t * (1 - mix) + extrap * mix;
                cos[off + i] = (float) Math.cos(t) * mscale;
                sin[off + i] = (float) Math.sin(t) * mscale;
                theta *= thetaScale;
                continue;
            }
            cos[off + i] = (float) Math.cos(t) * mscale; // mscale is rope.scaling.attn_factor here (1: exact)
            sin[off + i] = (float) Math.sin(t) * mscale;
            theta *= thetaScale;
        }
    }

    /** Rotates {@code nHeads} heads of size {@code headDim} stored from x[off], with the angles at cos/sin[cs ..]. */
    public void apply(float[] x, int off, int nHeads, int headDim, float[] cos, float[] sin, int cs) {
        if (style == Style.NONE) return;
        int half = nRot / 2;
        for (int h = 0; h < nHeads; h++) {
            int b = off + h * headDim;
            if (style == Style.NORM) {
                for (int i = 0; i < half; i++) {
                    float x0 = x[b + 2 * i], x1 = x[b + 2 * i + 1];
                    float co = cos[cs + i], si = sin[cs + i];
                    x[b + 2 * i] = x0 * co - x1 * si;
                    x[b + 2 * i + 1] = x0 * si + x1 * co;
                }
            } else {
                for (int i = 0; i < half; i++) {
                    float x0 = x[b + i], x1 = x[b + i + half];
                    float co = cos[cs + i], si = sin[cs + i];
                    x[b + i] = x0 * co - x1 * si;
                    x[b + i + half] = x0 * si + x1 * co;
                }
            }
        }
    }
}
