package io.jlama.tensor;

import java.util.Arrays;

/**
 * Activations quantized to Q8_0 blocks, as llama.cpp's x86 CPU backend quantizes them before multiplying with
 * Q4_0 weights: per block of 32, {@code amax = max|x|}, the scale {@code d = amax / 127} is stored as f16, and
 * {@code q = round-half-even(x * (127 / amax))}. Bit-exact with its output ({@code reference/quant/act}).
 *
 * <p>One per thread, reused: {@link #quantize} does nothing when asked for the input it quantized last, since a
 * matrix-vector product is handed out in chunks of rows, each a call with the same activations.
 */
final class Q8Activations {
    static final int QK = 32;

    private int cols = -1;
    private float[] src = new float[0];
    /** The int8 values. */
    byte[] q = new byte[0];
    /** Per block: the f16 scale, as f32. */
    float[] d = new float[0];
    /** Per block: the sum of the int8 values. */
    int[] sums = new int[0];

    /** Quantizes {@code x[off .. off+cols)} (cols a multiple of 32); returns false when it already held them. */
    boolean quantize(float[] x, int off, int cols) {
        if (cols == this.cols && Arrays.equals(src, 0, cols, x, off, off + cols)) return false;
        if (src.length < cols) {
            src = new float[cols];
            q = new byte[cols];
            d = new float[cols / QK];
            sums = new int[cols / QK];
        }
        this.cols = -1; // invalid until complete
        System.arraycopy(x, off, src, 0, cols);
        for (int b = 0, i = 0; i < cols; b++, i += QK) {
            float amax = 0f;
            for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[i + j]));
            d[b] = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
            float id = amax != 0f ? 127f / amax : 0f;
            int s = 0;
            for (int j = 0; j < QK; j++) {
                int v = (int) Math.rint(src[i + j] * id);
                q[i + j] = (byte) v;
                s += v;
            }
            sums[b] = s;
        }
        this.cols = cols;
        return true;
    }

    /** Forgets the input, so that the next {@link #quantize} works again. */
    void invalidate() {
        cols = -1;
    }

    /**
     * The activations a batch is multiplied with by the float GEMM when one token's product uses int8 activations:
     * each token's values quantized as above and dequantized ({@code q * d}, exact in float), so that a prompt
     * computes what the int8 kernel computes, up to float rounding. Reused per thread like {@link #quantize}: the row
     * chunks of one product share one conversion.
     */
    static final class Batch {
        private int n = -1, cols;
        private float[] src = new float[0];
        private float[] values = new float[0];
        private final Q8Activations row = new Q8Activations();

        /** Tokens t < n of {@code x[off + t*stride ..]}, as quantized values, {@code cols} apart. */
        float[] values(float[] x, int off, int stride, int n, int cols) {
            if (n == this.n && cols == this.cols && same(x, off, stride)) return values;
            if (src.length < n * cols) {
                src = new float[n * cols];
                values = new float[n * cols];
            }
            this.n = -1; // invalid until complete
            for (int t = 0; t < n; t++) {
                System.arraycopy(x, off + t * stride, src, t * cols, cols);
                row.quantize(x, off + t * stride, cols);
                for (int i = 0; i < cols; i++) values[t * cols + i] = row.q[i] * row.d[i / QK];
            }
            this.n = n;
            this.cols = cols;
            return values;
        }

        private boolean same(float[] x, int off, int stride) {
            for (int t = 0; t < n; t++) {
                if (!Arrays.equals(src, t * cols, (t + 1) * cols, x, off + t * stride, off + t * stride + cols)) return false;
            }
            return true;
        }
    }
}
