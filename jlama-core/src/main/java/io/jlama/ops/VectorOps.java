package io.jlama.ops;

import io.jlama.tensor.VectorSupport;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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

        /**
         * e^x in lanes from plain IEEE lane operations, so that the result does not depend on whether C2 has compiled
         * the code: the Vector API's own EXP is an intrinsic stub (up to 1 ulp off) once compiled but
         * {@code Math.exp} per lane before, which made the first forward pass in a JVM differ in the last bits from
         * later ones. x = n ln2 + r with |r| <= ln2/2 (Cody-Waite, two-part ln2, fma), e^r by its degree-7 Taylor
         * polynomial (truncation error < 7e-9 relative), times 2^n built in the exponent bits. x is clamped to
         * [-87.3, 88.3], where 2^n stays a normal float: e^x there is within about 2 ulp of the true value; beyond it
         * the result saturates near 1.2e-38 or 2.1e38, which is all SiLU needs.
         */
        static FloatVector exp(FloatVector x) {
            x = x.max(-87.3f).min(88.3f);
            // round(x log2 e) by the 1.5 * 2^23 trick: exact integer values for |v| < 2^22
            FloatVector n = x.mul(1.44269504f).add(12582912f).sub(12582912f);
            // ln2 = 0.693145751953125 (exact with 12 trailing zero bits, so n * it is exact) + 1.42860682e-6
            FloatVector r = n.fma(FloatVector.broadcast(F, -0.693145751953125f), x);
            r = n.fma(FloatVector.broadcast(F, -1.42860682e-6f), r);
            FloatVector p = r.fma(1f / 5040f, 1f / 720f);
            p = p.fma(r, FloatVector.broadcast(F, 1f / 120f));
            p = p.fma(r, FloatVector.broadcast(F, 1f / 24f));
            p = p.fma(r, FloatVector.broadcast(F, 1f / 6f));
            p = p.fma(r, FloatVector.broadcast(F, 0.5f));
            p = p.fma(r, FloatVector.broadcast(F, 1f));
            p = p.fma(r, FloatVector.broadcast(F, 1f));
            IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
            return p.mul(bits.reinterpretAsFloats());
        }

        static void swiglu(float[] gate, float[] up, int off, int n) {
            int i = 0;
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector g = FloatVector.fromArray(F, gate, off + i);
                FloatVector silu = g.div(exp(g.neg()).add(1f));
                silu.mul(FloatVector.fromArray(F, up, off + i)).intoArray(gate, off + i);
            }
            for (; i < n; i++) gate[off + i] = Activations.silu(gate[off + i]) * up[off + i];
        }
    }
}
