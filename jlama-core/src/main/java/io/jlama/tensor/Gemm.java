package io.jlama.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-matrix product for prompt batches, the same for every weight type: a panel of {@link #MR} weight rows is
 * dequantized once (exactly, by the type's vector dequantizer) into a per-thread float buffer, then multiplied with
 * the batch {@link #NR} tokens at a time by a register-blocked micro-kernel of MR x NR vector accumulators. Each
 * weight byte is thus decoded once per batch instead of once per token, and each loaded weight and activation vector
 * feeds several FMAs.
 *
 * <p>The results are sums of the same exact products as the per-row dot kernels, in another order: equal to them
 * within float rounding (tested).
 */
final class Gemm {
    private Gemm() {
    }

    /** Weight rows per panel. */
    static final int MR = 4;
    /** Tokens per micro-kernel call. */
    static final int NR = 4;
    /**
     * Columns per pass over the tokens: long rows (8192) are multiplied in blocks, so that the panel's block and the
     * tokens' stay closer while all tokens go by; partial sums are added to the output. The 4x4 kernel alone over 120
     * tokens, one thread: 42.5 GMAC/s over whole 8192-column rows, 47.6 in blocks of 2048 (1024: 46, 512: 39), 51 on
     * 2048-column rows (about the FMA peak: 16 per cycle); a whole Q8_0 2048 x 8192 product over 128 tokens: 40.4-42.0
     * before, 42.9-43.5 GMAC/s after (thread CPU time).
     */
    static final int KB = 2048;
    /** Batches smaller than this go through the per-row dot kernels (decoding a panel would not pay off). */
    static final int MIN_TOKENS = 4;

    private static final ThreadLocal<float[][]> PANEL = ThreadLocal.withInitial(() -> new float[1][0]);

    /** The calling thread's panel buffer with room for MR rows of {@code cols}; grown, never shrunk. */
    static float[] panel(int cols) {
        float[][] holder = PANEL.get();
        if (holder[0].length < MR * cols) holder[0] = new float[MR * cols];
        return holder[0];
    }

    /**
     * {@code out[outOff + t*outStride + r] = W[r] . x[xOff + t*xStride ..]} for {@code t < n}, {@code r0 <= r < r1},
     * with {@code x} holding float activations.
     */
    static void matmul(Tensor w, float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int r0, int r1) {
        int cols = w.cols;
        float[] panel = panel(cols);
        for (int r = r0; r < r1; r += MR) {
            int mr = Math.min(MR, r1 - r);
            for (int i = 0; i < mr; i++) w.dequantize(r + i, 0, cols, panel, i * cols);
            int t = 0;
            if (mr == MR) {
                int full = n - n % NR;
                for (int k0 = 0; k0 < cols; k0 += KB) { // K blocks: see KB
                    for (t = 0; t < full; t += NR) {
                        Simd.kernel4x4(panel, cols, k0, Math.min(cols, k0 + KB), x, xOff + t * xStride, xStride, out, outOff + t * outStride + r, outStride);
                    }
                }
            }
            for (; t < n; t++) {
                for (int i = 0; i < mr; i++) out[outOff + t * outStride + r + i] = Simd.dot(panel, i * cols, x, xOff + t * xStride, cols);
            }
        }
    }

    /** The scalar twin of {@link #matmul}: same panel, plain loops. */
    static void matmulScalar(Tensor w, float[] x, int xStride, int n, float[] out, int outStride, int r0, int r1) {
        int cols = w.cols;
        float[] row = new float[cols];
        for (int r = r0; r < r1; r++) {
            w.dequantizeScalar(r, 0, cols, row, 0);
            for (int t = 0; t < n; t++) {
                float s = 0f;
                for (int k = 0; k < cols; k++) s += row[k] * x[t * xStride + k];
                out[t * outStride + r] = s;
            }
        }
    }

    /** Vector API micro-kernels; loaded only with the module. */
    static final class Simd {
        private static final VectorSpecies<Float> F = SimdShapes.F;
        private static final int L = SimdShapes.L;

        /**
         * A 4 rows x 4 tokens tile over columns [k0, k1): 16 accumulators, reduced once, written to the output when
         * k0 is 0 and added to it after. The tokens start at {@code x[x0]}, {@code xs} apart; the first row's output
         * of the first token is {@code out[o]}, {@code os} apart per token. k1 - k0 is a multiple of L except at the
         * end of the row.
         */
        static void kernel4x4(float[] p, int cols, int k0, int k1, float[] x, int x0, int xs, float[] out, int o, int os) {
            int p0 = 0, p1 = cols, p2 = 2 * cols, p3 = 3 * cols;
            int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
            FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
            FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            int k = k0;
            for (int bound = k0 + F.loopBound(k1 - k0); k < bound; k += L) {
                FloatVector v0 = FloatVector.fromArray(F, x, x0 + k);
                FloatVector v1 = FloatVector.fromArray(F, x, x1 + k);
                FloatVector v2 = FloatVector.fromArray(F, x, x2 + k);
                FloatVector v3 = FloatVector.fromArray(F, x, x3 + k);
                FloatVector w = FloatVector.fromArray(F, p, p0 + k);
                a00 = w.fma(v0, a00);
                a01 = w.fma(v1, a01);
                a02 = w.fma(v2, a02);
                a03 = w.fma(v3, a03);
                w = FloatVector.fromArray(F, p, p1 + k);
                a10 = w.fma(v0, a10);
                a11 = w.fma(v1, a11);
                a12 = w.fma(v2, a12);
                a13 = w.fma(v3, a13);
                w = FloatVector.fromArray(F, p, p2 + k);
                a20 = w.fma(v0, a20);
                a21 = w.fma(v1, a21);
                a22 = w.fma(v2, a22);
                a23 = w.fma(v3, a23);
                w = FloatVector.fromArray(F, p, p3 + k);
                a30 = w.fma(v0, a30);
                a31 = w.fma(v1, a31);
                a32 = w.fma(v2, a32);
                a33 = w.fma(v3, a33);
            }
            float s00 = a00.reduceLanes(VectorOperators.ADD), s01 = a01.reduceLanes(VectorOperators.ADD);
            float s02 = a02.reduceLanes(VectorOperators.ADD), s03 = a03.reduceLanes(VectorOperators.ADD);
            float s10 = a10.reduceLanes(VectorOperators.ADD), s11 = a11.reduceLanes(VectorOperators.ADD);
            float s12 = a12.reduceLanes(VectorOperators.ADD), s13 = a13.reduceLanes(VectorOperators.ADD);
            float s20 = a20.reduceLanes(VectorOperators.ADD), s21 = a21.reduceLanes(VectorOperators.ADD);
            float s22 = a22.reduceLanes(VectorOperators.ADD), s23 = a23.reduceLanes(VectorOperators.ADD);
            float s30 = a30.reduceLanes(VectorOperators.ADD), s31 = a31.reduceLanes(VectorOperators.ADD);
            float s32 = a32.reduceLanes(VectorOperators.ADD), s33 = a33.reduceLanes(VectorOperators.ADD);
            for (; k < k1; k++) { // tail shorter than a vector
                float w0 = p[p0 + k], w1 = p[p1 + k], w2 = p[p2 + k], w3 = p[p3 + k];
                float v0 = x[x0 + k], v1 = x[x1 + k], v2 = x[x2 + k], v3 = x[x3 + k];
                s00 += w0 * v0; s01 += w0 * v1; s02 += w0 * v2; s03 += w0 * v3;
                s10 += w1 * v0; s11 += w1 * v1; s12 += w1 * v2; s13 += w1 * v3;
                s20 += w2 * v0; s21 += w2 * v1; s22 += w2 * v2; s23 += w2 * v3;
                s30 += w3 * v0; s31 += w3 * v1; s32 += w3 * v2; s33 += w3 * v3;
            }
            if (k0 > 0) { // a later block: add to the partial sums
                s00 += out[o]; s10 += out[o + 1]; s20 += out[o + 2]; s30 += out[o + 3];
                s01 += out[o + os]; s11 += out[o + os + 1]; s21 += out[o + os + 2]; s31 += out[o + os + 3];
                s02 += out[o + 2 * os]; s12 += out[o + 2 * os + 1]; s22 += out[o + 2 * os + 2]; s32 += out[o + 2 * os + 3];
                s03 += out[o + 3 * os]; s13 += out[o + 3 * os + 1]; s23 += out[o + 3 * os + 2]; s33 += out[o + 3 * os + 3];
            }
            out[o] = s00; out[o + 1] = s10; out[o + 2] = s20; out[o + 3] = s30;
            o += os;
            out[o] = s01; out[o + 1] = s11; out[o + 2] = s21; out[o + 3] = s31;
            o += os;
            out[o] = s02; out[o + 1] = s12; out[o + 2] = s22; out[o + 3] = s32;
            o += os;
            out[o] = s03; out[o + 1] = s13; out[o + 2] = s23; out[o + 3] = s33;
        }

        /** One panel row with one token. */
        static float dot(float[] p, int pOff, float[] x, int xOff, int cols) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int k = 0;
            for (; k + 2 * L <= cols; k += 2 * L) {
                acc0 = FloatVector.fromArray(F, p, pOff + k).fma(FloatVector.fromArray(F, x, xOff + k), acc0);
                acc1 = FloatVector.fromArray(F, p, pOff + k + L).fma(FloatVector.fromArray(F, x, xOff + k + L), acc1);
            }
            for (; k + L <= cols; k += L) {
                acc0 = FloatVector.fromArray(F, p, pOff + k).fma(FloatVector.fromArray(F, x, xOff + k), acc0);
            }
            float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
            for (; k < cols; k++) s += p[pOff + k] * x[xOff + k];
            return s;
        }
    }
}
