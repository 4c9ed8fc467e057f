package io.jlama.ops;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** GELU as ggml's CPU backend computes it for F32: an f16 table indexed by the input rounded to f16. */
class ActivationsTest {

    static float f16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    @Test
    void geluIsTheF16TableOfTheTanhFormula() {
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < 100_000; i++) {
            float x = (float) (r.nextGaussian() * 3);
            float expected = x <= -10f ? 0f : x >= 10f ? x : f16(Activations.geluTanh(f16(x)));
            assertEquals(expected, Activations.gelu(x), 0f, "x = " + x);
        }
        assertEquals(0f, Activations.gelu(-10f), 0f);
        assertEquals(12.5f, Activations.gelu(12.5f), 0f);
        assertEquals(0f, Activations.gelu(0f), 0f);
        // the tanh approximation itself: gelu(1) = 0.841192
        assertEquals(0.841192f, Activations.geluTanh(1f), 1e-6f);
    }

    @Test
    void gegluMultipliesByUp() {
        float[] g = {-12f, -1f, 0.5f, 3f, 11f}, u = {2f, 3f, -1f, 0.5f, 2f};
        float[] expected = new float[g.length];
        for (int i = 0; i < g.length; i++) expected[i] = Activations.gelu(g[i]) * u[i];
        Activations.geglu(g, u, 0, g.length);
        for (int i = 0; i < g.length; i++) assertEquals(expected[i], g[i], 0f);
    }

    @Test
    void layerNormCentresAndScales() {
        float[] x = {1f, 2f, 3f, 4f}, w = {1f, 1f, 2f, 1f}, b = {0f, 0.5f, 0f, -1f}, out = new float[4];
        Norms.layerNorm(out, 0, x, 0, w, b, 4, 0f);
        double sd = Math.sqrt(1.25);
        float[] expected = {(float) (-1.5 / sd), (float) (-0.5 / sd) + 0.5f, (float) (0.5 / sd) * 2, (float) (1.5 / sd) - 1f};
        for (int i = 0; i < 4; i++) assertEquals(expected[i], out[i], 1e-6f);
    }
}
