package io.jlama.ops;

/** Softmax as ggml computes it for attention: shift by the max, exp in float, sum in double, multiply by 1/sum. */
public final class Softmax {
    private Softmax() {
    }

    /** In place over x[off .. off+n). */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) max = Math.max(max, x[i]);
        double sum = 0;
        for (int i = off; i < off + n; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = off; i < off + n; i++) x[i] *= inv;
    }

    /**
     * In place over x[off .. off+n) with an attention sink (ggml_soft_max_add_sinks): one more logit {@code sink}
     * that joins the max and the denominator but has no output.
     */
    public static void softmax(float[] x, int off, int n, float sink) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) max = Math.max(max, x[i]);
        max = Math.max(max, sink);
        double sum = 0;
        for (int i = off; i < off + n; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        sum += (float) Math.exp(sink - max);
        float inv = (float) (1.0 / sum);
        for (int i = off; i < off + n; i++) x[i] *= inv;
    }
}
