package io.jlama.ops;

import io.jlama.tensor.VectorSupport;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Small float-vector routines (attention, activations), each with its scalar twin. */
public final class VectorOps {
    private VectorOps() {
    }

    /** a[aOff ..+n) . b[bOff ..+n). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return VectorSupport.ENABLED ? Simd.dot(a, aOff, b, bOff, n) : dotScalar(a, aOff, b, bOff, n);
    }

    static float dotScalar(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** y[yOff ..+n) += alpha * x[xOff ..+n). */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        if (VectorSupport.ENABLED) Simd.axpy(alpha, x, xOff, y, yOff, n);
        else axpyScalar(alpha, x, xOff, y, yOff, n);
    }

    static void axpyScalar(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    /** SwiGLU in place: gate[i] = silu(gate[i]) * up[i] = gate[i] / (1 + e^-gate[i]) * up[i]. */
    public static void swiglu(float[] gate, float[] up, int off, int n) {
        if (VectorSupport.ENABLED) Simd.swiglu(gate, up, off, n);
        else Activations.swiglu(gate, up, off, n);
    }

    static final class Simd {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

        static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
            int i = 0;
            float s = 0f;
            if (n >= F.length()) {
                FloatVector acc = FloatVector.zero(F);
                for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                    acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
                }
                s = acc.reduceLanes(VectorOperators.ADD);
            }
            for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
            return s;
        }

        static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
            int i = 0;
            FloatVector va = FloatVector.broadcast(F, alpha);
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
            }
            for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
        }

        static void swiglu(float[] gate, float[] up, int off, int n) {
            int i = 0;
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector g = FloatVector.fromArray(F, gate, off + i);
                FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
                silu.mul(FloatVector.fromArray(F, up, off + i)).intoArray(gate, off + i);
            }
            for (; i < n; i++) gate[off + i] = Activations.silu(gate[off + i]) * up[off + i];
        }
    }
}
