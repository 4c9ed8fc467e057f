package io.jlama.tensor;

import java.util.Arrays;

/**
 * Activations quantized to int8 blocks, as llama.cpp's x86 CPU backend quantizes them before a quantized matmul, in
 * one of two formats ({@link Kind}):
 * <ul>
 * <li>Q8_0 (for Q4_0 weights): per block of 32, {@code amax = max|x|}, the scale {@code d = amax / 127} stored as
 * f16, and {@code q = round-half-even(x * (127 / amax))};</li>
 * <li>Q8_K (for K-quant weights, {@code quantize_row_q8_K_ref}): per super-block of 256, {@code max} = the value of
 * largest magnitude (the first such), {@code iscale = -127 / max}, {@code q = min(127, round-half-even(iscale * x))}
 * and the f32 scale {@code d = 1 / iscale}, plus the sums of q over each 16 values.</li>
 * </ul>
 * Bit-exact with its output ({@code reference/quant/act}).
 *
 * <p>One per thread, reused: {@link #quantize} does nothing when asked for the input it quantized last, since a
 * matrix-vector product is handed out in chunks of rows, each a call with the same activations.
 */
final class Q8Activations {
    /** A block format: values per scale, and values per entry of {@link #sums}. */
    enum Kind {
        Q8_0(32, 32), Q8_K(256, 16);

        final int block, sumGroup;

        Kind(int block, int sumGroup) {
            this.block = block;
            this.sumGroup = sumGroup;
        }

        /** The format llama.cpp quantizes activations to for weights of this type ({@code vec_dot_type}). */
        static Kind of(GgmlType weights) {
            return switch (weights) {
                case Q4_0 -> Q8_0;
                case Q4_K, Q6_K -> Q8_K;
                default -> throw new IllegalArgumentException(weights + " has no int8 kernel");
            };
        }
    }

    static final int QK = 32;

    final Kind kind;
    private int cols = -1;
    private float[] src = new float[0];
    /** The int8 values. */
    byte[] q = new byte[0];
    /** Per block: the scale, as f32 (for Q8_0 the f16 scale converted). */
    float[] d = new float[0];
    /** Per {@link Kind#sumGroup} values: the sum of the int8 values. */
    int[] sums = new int[0];

    Q8Activations() {
        this(Kind.Q8_0);
    }

    Q8Activations(Kind kind) {
        this.kind = kind;
    }

    /** Quantizes {@code x[off .. off+cols)} (cols a multiple of the block); returns false when it already held them. */
    boolean quantize(float[] x, int off, int cols) {
        if (cols == this.cols && Arrays.equals(src, 0, cols, x, off, off + cols)) return false;
        if (src.length < cols) {
            src = new float[cols];
            q = new byte[cols];
            d = new float[cols / kind.block];
            sums = new int[cols / kind.sumGroup];
        }
        this.cols = -1; // invalid until complete
        System.arraycopy(x, off, src, 0, cols);
        if (kind == Kind.Q8_0) quantizeQ8_0(cols);
        else quantizeQ8_K(cols);
        this.cols = cols;
        return true;
    }

    private void quantizeQ8_0(int cols) {
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
    }

    private void quantizeQ8_K(int cols) {
        for (int b = 0, i = 0; i < cols; b++, i += 256) {
            float max = 0f, amax = 0f;
            for (int j = 0; j < 256; j++) {
                float ax = Math.abs(src[i + j]);
                if (ax > amax) {
                    amax = ax;
                    max = src[i + j];
                }
            }
            float iscale = amax != 0f ? -127f / max : 0f;
            for (int j = 0; j < 256; j++) q[i + j] = (byte) Math.min(127, (int) Math.rint(iscale * src[i + j]));
            d[b] = amax != 0f ? 1f / iscale : 0f;
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int j = 0; j < 16; j++) s += q[i + 16 * g + j];
                sums[16 * b + g] = s;
            }
        }
    }

    /** Forgets the input, so that the next {@link #quantize} works again. */
    void invalidate() {
        cols = -1;
    }

    /**
     * The activations a batch is multiplied with by the float GEMM when one token's product uses int8 activations:
     * each token's values quantized as above and dequantized ({@code q * d}), so that a prompt computes what the int8
     * kernel computes, up to float rounding. Reused per thread like {@link #quantize}: the row chunks of one product
     * share one conversion.
     */
    static final class Batch {
        private int n = -1, cols;
        private float[] src = new float[0];
        private float[] values = new float[0];
        private final Q8Activations row;

        private static final ThreadLocal<Batch[]> BATCHES = ThreadLocal.withInitial(() -> new Batch[Kind.values().length]);

        private Batch(Kind kind) {
            row = new Q8Activations(kind);
        }

        /** The calling thread's batch of this format. */
        static Batch forThread(Kind kind) {
            Batch[] b = BATCHES.get();
            if (b[kind.ordinal()] == null) b[kind.ordinal()] = new Batch(kind);
            return b[kind.ordinal()];
        }

        /** Tokens t < n of {@code x[off + t*stride ..]}, as quantized values, {@code cols} apart. */
        float[] values(float[] x, int off, int stride, int n, int cols) {
            if (n == this.n && cols == this.cols && same(x, off, stride)) return values;
            if (src.length < n * cols) {
                src = new float[n * cols];
                values = new float[n * cols];
            }
            this.n = -1; // invalid until complete
            int block = row.kind.block;
            for (int t = 0; t < n; t++) {
                System.arraycopy(x, off + t * stride, src, t * cols, cols);
                row.quantize(x, off + t * stride, cols);
                for (int i = 0; i < cols; i++) values[t * cols + i] = row.q[i] * row.d[i / block];
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
