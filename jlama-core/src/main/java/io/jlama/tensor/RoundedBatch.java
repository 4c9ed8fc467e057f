package io.jlama.tensor;

import java.util.Arrays;

/**
 * A thread's last batch of activations rounded the way a weight type's products round them (int8 blocks for
 * {@link Q8Activations.Batch}, halfs for F16), for the float GEMM, with a copy of the input it was rounded from. A
 * product is handed out in chunks of rows, each a call with the same input: while the input holds the same values
 * the last rounding is returned instead of being computed again.
 */
abstract class RoundedBatch {
    private int n = -1, cols;
    private float[] src = new float[0], values = new float[0];

    /** {@code x[at ..+cols)} rounded into {@code dst[dstOff ..]}. */
    abstract void round(float[] x, int at, int cols, float[] dst, int dstOff);

    /** Tokens t < n of {@code x[off + t*stride ..]}, rounded, {@code cols} apart. */
    final float[] values(float[] x, int off, int stride, int n, int cols) {
        if (n == this.n && cols == this.cols && same(x, off, stride)) return values;
        if (src.length < n * cols) {
            src = new float[n * cols];
            values = new float[n * cols];
        }
        this.n = -1; // invalid until complete
        for (int t = 0; t < n; t++) {
            System.arraycopy(x, off + t * stride, src, t * cols, cols);
            round(x, off + t * stride, cols, values, t * cols);
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
