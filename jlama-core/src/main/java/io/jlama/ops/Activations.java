package io.jlama.ops;

/** Element-wise activation functions, in ggml's formulation. */
public final class Activations {
    private Activations() {
    }

    /** SiLU: x / (1 + e^-x). */
    public static float silu(float x) {
        return x / (1.0f + (float) Math.exp(-x));
    }

    /** SwiGLU in place: gate[i] = silu(gate[i]) * up[i] for i in [off, off+n). */
    public static void swiglu(float[] gate, float[] up, int off, int n) {
        for (int i = off; i < off + n; i++) gate[i] = silu(gate[i]) * up[i];
    }

    /**
     * SwiGLU-OAI in place (gpt-oss, ggml_swiglu_oai with alpha 1.702 and limit 7): with g = min(gate, 7) and
     * u = clamp(up, -7, 7), gate[i] = g / (1 + e^(-1.702 g)) * (u + 1).
     */
    public static void swigluOai(float[] gate, float[] up, int off, int n) {
        final float alpha = 1.702f, limit = 7.0f;
        for (int i = off; i < off + n; i++) {
            float g = Math.min(gate[i], limit);
            float u = Math.max(-limit, Math.min(up[i], limit));
            gate[i] = g / (1.0f + (float) Math.exp(alpha * (-g))) * (u + 1.0f);
        }
    }

    private static final float GELU_COEF_A = 0.044715f;
    private static final float SQRT_2_OVER_PI = 0.79788456080286535587989211986876f;

    /** The tanh approximation of GELU in float: 0.5x(1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2))). */
    public static float geluTanh(float x) {
        return 0.5f * x * (1.0f + (float) Math.tanh(SQRT_2_OVER_PI * x * (1.0f + GELU_COEF_A * x * x)));
    }

    /**
     * GELU as ggml's CPU backend computes it for F32 (GGML_GELU_FP16): 0 below -10, identity above 10, otherwise
     * the input rounded to f16 looks up a table of f16(geluTanh(h)) over all 65536 halves. Using the formula
     * directly would differ from llama.cpp by up to ~1e-3 relative.
     */
    public static float gelu(float x) {
        if (x <= -10.0f) return 0.0f;
        if (x >= 10.0f) return x;
        return GeluTable.T[Float.floatToFloat16(x) & 0xFFFF];
    }

    /** GELU in place over x[off .. off+n). */
    public static void gelu(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) x[i] = gelu(x[i]);
    }

    /** GEGLU in place: gate[i] = gelu(gate[i]) * up[i] for i in [off, off+n) (ggml_geglu_split). */
    public static void geglu(float[] gate, float[] up, int off, int n) {
        for (int i = off; i < off + n; i++) {
            float g = gate[i];
            gate[i] = g >= 10.0f ? g * up[i] : gelu(g) * up[i];
        }
    }

    /** Built on first use. */
    private static final class GeluTable {
        static final float[] T = new float[65536];

        static {
            for (int i = 0; i < T.length; i++) {
                float h = Float.float16ToFloat((short) i);
                T[i] = Float.float16ToFloat(Float.floatToFloat16(geluTanh(h)));
            }
        }
    }
}
