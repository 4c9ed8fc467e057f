package io.jlama.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * A batch of tokens quantized to int8 blocks once for every {@link Int8Gemm} product that reads it: per token the
 * int8 values as 16-bit lane pairs ({@code xp}: the int {@code s} holds values 2s and 2s+1, the order of the GEMM's
 * panels), the block scales and the block sums ({@link Q8Activations}, bit-exact with llama.cpp's).
 *
 * <p>A forward pass prepares one per input and format before a parallel product ({@link #reset}, then {@link
 * #quantize} over disjoint token ranges on the workers) and passes it to {@link Tensor#matmul(float[], int, int, int,
 * float[], int, int, int, int, Int8Batch)}: the tokens are then quantized once instead of once per thread and
 * product, and not compared with the last input on every call. Other callers get a per-thread batch that quantizes
 * the tokens whose values changed ({@link #forThread}).
 */
public final class Int8Batch {
    /** The int8 block format, as llama.cpp picks it per weight type ({@code vec_dot_type}). */
    public enum Format {
        /** Blocks of 32 with an f16 scale (Q4_0). */
        Q8_0(Q8Activations.Kind.Q8_0),
        /** Super-blocks of 256 with an f32 scale and sums per 16 (K-quants). */
        Q8_K(Q8Activations.Kind.Q8_K);

        final Q8Activations.Kind kind;

        Format(Q8Activations.Kind kind) {
            this.kind = kind;
        }
    }

    final Format format;
    final Q8Activations.Kind kind;
    private float[] x;
    private int xOff, xStride;
    int n, cols;
    /** Per token, cols / 2 lane pairs. */
    int[] xp = new int[0];
    /** Per token and block of {@link Q8Activations.Kind#block}: the scale. */
    float[] d = new float[0];
    /** Per token and {@link Q8Activations.Kind#sumGroup} values: the sum of the int8 values. */
    int[] sums = new int[0];
    /** Per token and 32 values: {@code d * sum(q)}, what the offsets of a panel with blocks of 32 multiply (Q4_K). */
    float[] xs32 = new float[0];
    /**
     * With {@link #requestFloats}: per token, the int8 values times their block scales as floats, what the float GEMM
     * multiplies for types without an int8 GEMM ({@link Tensor#int8BatchFloats}); the same values as {@link
     * Q8Activations.Batch}'s, made once per batch instead of checked against the input by each thread and call.
     */
    float[] values = new float[0];
    private boolean floats;
    /** Per-thread mode: a copy of the tokens last quantized, and which are valid. */
    private float[] src = new float[0];
    private boolean[] valid = new boolean[0];

    public Int8Batch(Format format) {
        this.format = format;
        this.kind = format.kind;
    }

    public Format format() {
        return format;
    }

    /** Tokens in the batch. */
    public int n() {
        return n;
    }

    /**
     * Makes room for tokens {@code t < n} of {@code x[xOff + t*xStride ..]}, {@code cols} each, and forgets the
     * previous ones. Call before {@link #quantize}, on one thread.
     */
    public void reset(float[] x, int xOff, int xStride, int n, int cols) {
        if (cols % kind.block != 0) throw new IllegalArgumentException(cols + " columns is not a multiple of " + kind.block);
        this.x = x;
        this.xOff = xOff;
        this.xStride = xStride;
        this.n = n;
        this.cols = cols;
        if (xp.length < n * cols / 2) xp = new int[n * cols / 2];
        if (d.length < n * cols / kind.block) d = new float[n * cols / kind.block];
        if (sums.length < n * cols / kind.sumGroup) sums = new int[n * cols / kind.sumGroup];
        if (xs32.length < n * cols / 32) xs32 = new float[n * cols / 32];
        floats = false;
    }

    /** Makes {@link #quantize} also write the rounded float values ({@link #values}); call after {@link #reset}. */
    public void requestFloats() {
        if (values.length < n * cols) values = new float[n * cols];
        floats = true;
    }

    /** Whether the batch holds (once quantized) the rounded float values: {@link #requestFloats} since {@link #reset}. */
    public boolean hasFloats() {
        return floats;
    }

    private static final ThreadLocal<Q8Activations[]> SCRATCH = ThreadLocal.withInitial(() -> new Q8Activations[Format.values().length]);

    /** Quantizes tokens {@code [t0, t1)}; threads may quantize disjoint ranges of one batch at once. */
    public void quantize(int t0, int t1) {
        Q8Activations[] scratch = SCRATCH.get();
        Q8Activations a = scratch[format.ordinal()];
        if (a == null) a = scratch[format.ordinal()] = new Q8Activations(kind);
        int nb = cols / kind.block, ns = cols / kind.sumGroup;
        for (int t = t0; t < t1; t++) {
            a.invalidate(); // a new token: no comparison with the last one
            a.quantize(x, xOff + t * xStride, cols);
            System.arraycopy(a.d, 0, d, t * nb, nb);
            System.arraycopy(a.sums, 0, sums, t * ns, ns);
            Simd.pairs(a.q, cols, xp, t * cols / 2);
            if (floats) {
                for (int i = 0, block = kind.block; i < cols; i++) values[t * cols + i] = a.q[i] * a.d[i / block];
            }
            for (int k = 0, per = 32 / kind.sumGroup; k < cols / 32; k++) {
                int sum = 0;
                for (int i = 0; i < per; i++) sum += a.sums[k * per + i];
                xs32[t * cols / 32 + k] = a.d[32 * k / kind.block] * sum;
            }
        }
    }

    /** Whether this holds tokens {@code t < n} of {@code x[xOff + t*xStride ..]}, {@code cols} each. */
    boolean holds(float[] x, int xOff, int xStride, int n, int cols) {
        return this.x == x && this.xOff == xOff && (this.xStride == xStride || n == 1) && this.n == n && this.cols == cols;
    }

    private static final ThreadLocal<Int8Batch[]> PER_THREAD = ThreadLocal.withInitial(() -> new Int8Batch[Format.values().length]);

    /**
     * The calling thread's batch of this format holding tokens {@code t < n} of {@code x[xOff + t*xStride ..]}: the
     * tokens whose values differ from those it last quantized (compared value by value) are quantized again.
     */
    static Int8Batch forThread(Format format, float[] x, int xOff, int xStride, int n, int cols) {
        Int8Batch[] batches = PER_THREAD.get();
        Int8Batch b = batches[format.ordinal()];
        if (b == null) b = batches[format.ordinal()] = new Int8Batch(format);
        b.prepareChecked(x, xOff, xStride, n, cols);
        return b;
    }

    private void prepareChecked(float[] x, int xOff, int xStride, int n, int cols) {
        if (src.length < n * cols || valid.length < n) {
            src = new float[n * cols];
            valid = new boolean[n];
        } else if (cols != this.cols) { // token t's values start at t * cols: another length moves them all
            Arrays.fill(valid, false);
        }
        reset(x, xOff, xStride, n, cols);
        for (int t = 0; t < n; t++) {
            int at = xOff + t * xStride;
            if (valid[t] && Arrays.equals(src, t * cols, (t + 1) * cols, x, at, at + cols)) continue;
            valid[t] = false; // invalid until quantized
            System.arraycopy(x, at, src, t * cols, cols);
            quantize(t, t + 1);
            valid[t] = true;
        }
    }

    /** Vector API code; loaded only with the module. */
    static final class Simd {
        private static final VectorSpecies<Byte> B = SimdShapes.B;
        /** Shorts with as many lanes as B. */
        private static final VectorSpecies<Short> SB = VectorSpecies.of(short.class, VectorShape.forBitSize(SimdShapes.BL * 16));

        /** {@code xp[at + i] = q[2i] (low 16 bits, sign-extended) | q[2i+1] << 16} for {@code i < cols / 2}. */
        static void pairs(byte[] q, int cols, int[] xp, int at) {
            int i = 0;
            for (int bound = B.loopBound(cols); i < bound; i += B.length()) {
                ((ShortVector) ByteVector.fromArray(B, q, i).convertShape(VectorOperators.B2S, SB, 0)).reinterpretAsInts().intoArray(xp, at + i / 2);
            }
            for (; i < cols; i += 2) xp[at + i / 2] = (q[i] & 0xFFFF) | (q[i + 1] << 16);
        }
    }
}
