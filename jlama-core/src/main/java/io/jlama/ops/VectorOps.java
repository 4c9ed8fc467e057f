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

    /**
     * {@code out[oOff + i] = sum over p in [from, to) of w[p] * v[vOff + slot(p)*vStride + i]} for {@code i < n},
     * {@code slot(p) = p < ring ? p : p % ring} (a KV cache's ring of slots): attention's weighted sum of value rows.
     * The terms are added in order of p, each as a fused multiply-add, as {@link #axpy} from a zeroed output does, so
     * the bits are the same; the vector version keeps up to 4 vectors of sums in registers across the rows instead of
     * loading and storing the output for each.
     */
    public static void weightedSum(float[] w, int from, int to, float[] v, int vOff, int vStride, int ring, float[] out, int oOff, int n) {
        if (VectorSupport.ENABLED) Simd.weightedSum(w, from, to, v, vOff, vStride, ring, out, oOff, n);
        else weightedSumScalar(w, from, to, v, vOff, vStride, ring, out, oOff, n);
    }

    static void weightedSumScalar(float[] w, int from, int to, float[] v, int vOff, int vStride, int ring, float[] out, int oOff, int n) {
        java.util.Arrays.fill(out, oOff, oOff + n, 0f);
        for (int p = from; p < to; p++) {
            int base = vOff + (p < ring ? p : p % ring) * vStride;
            for (int i = 0; i < n; i++) out[oOff + i] = Math.fma(v[base + i], w[p], out[oOff + i]);
        }
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

        static int lanes() {
            return F.length();
        }

        static void weightedSum(float[] w, int from, int to, float[] v, int vOff, int vStride, int ring, float[] out, int oOff, int n) {
            int L = F.length(), d = 0;
            for (; d + 4 * L <= n; d += 4 * L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int p = from; p < to; p++) {
                    int base = vOff + (p < ring ? p : p % ring) * vStride + d;
                    FloatVector c = FloatVector.broadcast(F, w[p]);
                    a0 = FloatVector.fromArray(F, v, base).fma(c, a0);
                    a1 = FloatVector.fromArray(F, v, base + L).fma(c, a1);
                    a2 = FloatVector.fromArray(F, v, base + 2 * L).fma(c, a2);
                    a3 = FloatVector.fromArray(F, v, base + 3 * L).fma(c, a3);
                }
                a0.intoArray(out, oOff + d);
                a1.intoArray(out, oOff + d + L);
                a2.intoArray(out, oOff + d + 2 * L);
                a3.intoArray(out, oOff + d + 3 * L);
            }
            for (; d + L <= n; d += L) {
                FloatVector a0 = FloatVector.zero(F);
                for (int p = from; p < to; p++) {
                    a0 = FloatVector.fromArray(F, v, vOff + (p < ring ? p : p % ring) * vStride + d).fma(FloatVector.broadcast(F, w[p]), a0);
                }
                a0.intoArray(out, oOff + d);
            }
            for (; d < n; d++) {
                float a = 0f;
                for (int p = from; p < to; p++) a = Math.fma(v[vOff + (p < ring ? p : p % ring) * vStride + d], w[p], a);
                out[oOff + d] = a;
            }
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
