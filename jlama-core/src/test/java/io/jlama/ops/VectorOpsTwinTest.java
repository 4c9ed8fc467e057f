package io.jlama.ops;

import io.jlama.tensor.VectorSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vector API routines of {@link VectorOps} against their scalar twins, on random data and awkward lengths. */
class VectorOpsTwinTest {

    /** The lane exp (plain lane operations, the same before and after JIT compilation) is within 1 ulp of Math.exp. */
    @org.junit.jupiter.api.Test
    void laneExpIsWithinAnUlp() {
        Assumptions.assumeTrue(VectorSupport.ENABLED, "Vector API not enabled");
        var species = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        Random r = new Random(7);
        float[] x = new float[species.length()], y = new float[species.length()];
        double worst = 0;
        for (int k = 0; k < 20000; k++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) ((r.nextDouble() * 2 - 1) * (k % 3 == 0 ? 87 : k % 3 == 1 ? 10 : 0.5));
            VectorOps.Simd.exp(jdk.incubator.vector.FloatVector.fromArray(species, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                double e = Math.exp(x[i]);
                worst = Math.max(worst, Math.abs(y[i] - e) / Math.ulp((float) e));
            }
        }
        assertTrue(worst <= 1.0, "max error " + worst + " ulp");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 8, 15, 16, 17, 31, 64, 100, 129, 1000})
    void vectorEqualsScalar(int n) {
        Assumptions.assumeTrue(VectorSupport.ENABLED, "Vector API not enabled");
        Random r = new Random(n);
        int off = r.nextInt(5);
        float[] a = new float[off + n + 3], b = new float[off + n + 3];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
            b[i] = (float) r.nextGaussian() * 4;
        }
        double abs = 0;
        for (int i = 0; i < n; i++) abs += Math.abs(a[off + i] * b[off + i]);
        // a reordered float sum: within a few ulps of the sum of magnitudes
        assertEquals(VectorOps.dotScalar(a, off, b, off, n), VectorOps.Simd.dot(a, off, b, off, n), 1e-6 * abs + 1e-7);

        float[] y1 = b.clone(), y2 = b.clone();
        VectorOps.axpyScalar(0.37f, a, off, y1, off, n);
        VectorOps.Simd.axpy(0.37f, a, off, y2, off, n);
        for (int i = 0; i < y1.length; i++) assertEquals(y1[i], y2[i], 1e-6f * (1 + Math.abs(y1[i])), "axpy " + i); // fma rounds once

        // attention's weighted sum of value rows over a ring of 7 slots: the same fused multiply-adds in the same
        // order, so the same bits; rows [from, to) wrap around the ring when to > 7
        int ring = 7, stride = n + 2;
        float[] v = new float[ring * stride + 1], w = new float[12];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat();
        for (int[] range : new int[][] {{0, 1}, {0, 7}, {3, 12}}) {
            float[] o1 = new float[n + 2], o2 = new float[n + 2];
            VectorOps.weightedSumScalar(w, range[0], range[1], v, 1, stride, ring, o1, 1, n);
            VectorOps.Simd.weightedSum(w, range[0], range[1], v, 1, stride, ring, o2, 1, n);
            for (int i = 0; i < o1.length; i++) assertEquals(Float.floatToRawIntBits(o1[i]), Float.floatToRawIntBits(o2[i]), "weightedSum " + i);
            float[] o3 = new float[n + 2];
            for (int p = range[0]; p < range[1]; p++) VectorOps.Simd.axpy(w[p], v, 1 + (p % ring) * stride, o3, 1, n);
            if (n % VectorOps.Simd.lanes() == 0) { // where axpy fuses every product too: its bits
                for (int i = 0; i < o1.length; i++) assertEquals(Float.floatToRawIntBits(o3[i]), Float.floatToRawIntBits(o2[i]), "weightedSum vs axpy " + i);
            }
        }

        float[] g1 = a.clone(), g2 = a.clone();
        Activations.swiglu(g1, b, off, n);
        VectorOps.Simd.swiglu(g2, b, off, n);
        for (int i = 0; i < g1.length; i++) {
            // the vector exp is not correctly rounded: a few ulps
            assertTrue(Math.abs(g1[i] - g2[i]) <= 1e-5f * (1 + Math.abs(g1[i])), "swiglu " + i + ": " + g1[i] + " vs " + g2[i]);
        }
    }
}
