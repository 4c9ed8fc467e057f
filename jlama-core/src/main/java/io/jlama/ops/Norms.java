package io.jlama.ops;

/** Normalisations, computed the way ggml's CPU backend does (sums in double, scale applied before the weight). */
public final class Norms {
    private Norms() {
    }

    /** RMSNorm: out = (x / sqrt(mean(x^2) + eps)) * w, over x[off .. off+n). out may alias x. */
    public static void rmsNorm(float[] out, int outOff, float[] x, int off, float[] w, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            sum += v * v;
        }
        float mean = (float) (sum / n);
        float scale = (float) (1.0 / Math.sqrt(mean + eps));
        for (int i = 0; i < n; i++) out[outOff + i] = (x[off + i] * scale) * w[i];
    }

    /**
     * LayerNorm: out = ((x - mean) / sqrt(var + eps)) * w + b over x[off .. off+n), as ggml_norm then ggml_mul and
     * ggml_add: mean of the float sum, variance of the centred values summed in double. out may alias x.
     */
    public static void layerNorm(float[] out, int outOff, float[] x, int off, float[] w, float[] b, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[off + i];
        float mean = (float) sum / n;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            float y = x[off + i] - mean;
            sq += y * y;
        }
        float variance = (float) (sq / n);
        float scale = (float) (1.0 / Math.sqrt(variance + eps));
        for (int i = 0; i < n; i++) {
            float y = (x[off + i] - mean) * scale;
            out[outOff + i] = y * w[i] + b[i];
        }
    }
}
