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
}
