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
}
