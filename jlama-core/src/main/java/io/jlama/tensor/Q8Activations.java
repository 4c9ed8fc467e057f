package io.jlama.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

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
                case Q4_0, Q5_0 -> Q8_0;
                case Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> Q8_K;
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
        if (VectorSupport.ENABLED) {
            if (kind == Kind.Q8_0) Simd.quantizeQ8_0(src, q, d, sums, cols);
            else Simd.quantizeQ8_K(src, q, d, sums, cols);
        } else if (kind == Kind.Q8_0) {
            quantizeQ8_0(src, q, d, sums, cols);
        } else {
            quantizeQ8_K(src, q, d, sums, cols);
        }
        this.cols = cols;
        return true;
    }

    /** The scalar Q8_0 quantization: the reference twin of {@link Simd#quantizeQ8_0}. */
    static void quantizeQ8_0(float[] src, byte[] q, float[] d, int[] sums, int cols) {
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

    /** The scalar Q8_K quantization: the reference twin of {@link Simd#quantizeQ8_K}. */
    static void quantizeQ8_K(float[] src, byte[] q, float[] d, int[] sums, int cols) {
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

    /**
     * Vector API versions, bit-for-bit the scalar ones: the largest magnitude is a max over lanes (exact), the
     * products are the same float multiplications, and rounding half to even is done by adding and subtracting
     * 1.5 * 2^23, which is exact for the magnitudes here (at most 127.5), as in llama.cpp's {@code nearest_int}. Two
     * threads quantize the same activations for their shares of a product, so this runs 2 x 4 times per layer and
     * token. A nested class, loaded only with the module.
     */
    static final class Simd {
        private static final float ROUND = 12582912f;

        static void quantizeQ8_0(float[] src, byte[] q, float[] d, int[] sums, int cols) {
            VectorSpecies<Float> F = SimdShapes.F;
            int lanes = F.length();
            VectorSpecies<Byte> B = SimdShapes.B;
            VectorMask<Byte> low = B.indexInRange(0, lanes); // byte lanes that hold values (B may be wider)
            for (int b = 0, i = 0; i < cols; b++, i += QK) {
                FloatVector m = FloatVector.fromArray(F, src, i).abs();
                for (int j = lanes; j < QK; j += lanes) m = m.max(FloatVector.fromArray(F, src, i + j).abs());
                float amax = m.reduceLanes(VectorOperators.MAX);
                d[b] = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
                float id = amax != 0f ? 127f / amax : 0f;
                IntVector sum = IntVector.zero(SimdShapes.I);
                for (int j = 0; j < QK; j += lanes) {
                    FloatVector v = FloatVector.fromArray(F, src, i + j).mul(id).add(ROUND).sub(ROUND);
                    IntVector iv = (IntVector) v.convert(VectorOperators.F2I, 0);
                    sum = sum.add(iv);
                    ((ByteVector) iv.convertShape(VectorOperators.I2B, B, 0)).intoArray(q, i + j, low);
                }
                sums[b] = sum.reduceLanes(VectorOperators.ADD);
            }
        }

        static void quantizeQ8_K(float[] src, byte[] q, float[] d, int[] sums, int cols) {
            VectorSpecies<Float> F = SimdShapes.F;
            int lanes = F.length();
            VectorSpecies<Byte> B = SimdShapes.B;
            VectorMask<Byte> low = B.indexInRange(0, lanes);
            for (int b = 0, i = 0; i < cols; b++, i += 256) {
                FloatVector m = FloatVector.fromArray(F, src, i).abs();
                for (int j = lanes; j < 256; j += lanes) m = m.max(FloatVector.fromArray(F, src, i + j).abs());
                float amax = m.reduceLanes(VectorOperators.MAX);
                if (amax == 0f) {
                    java.util.Arrays.fill(q, i, i + 256, (byte) 0);
                    java.util.Arrays.fill(sums, 16 * b, 16 * b + 16, 0);
                    d[b] = 0f;
                    continue;
                }
                int first = i; // the first value of largest magnitude gives the sign, as in the scalar loop
                while (Math.abs(src[first]) != amax) first++;
                float iscale = -127f / src[first];
                for (int g = 0; g < 16; g++) {
                    IntVector sum = IntVector.zero(SimdShapes.I);
                    for (int j = 16 * g; j < 16 * g + 16; j += lanes) {
                        FloatVector v = FloatVector.fromArray(F, src, i + j).mul(iscale).add(ROUND).sub(ROUND);
                        IntVector iv = ((IntVector) v.convert(VectorOperators.F2I, 0)).min(127);
                        sum = sum.add(iv);
                        ((ByteVector) iv.convertShape(VectorOperators.I2B, B, 0)).intoArray(q, i + j, low);
                    }
                    sums[16 * b + g] = sum.reduceLanes(VectorOperators.ADD);
                }
                d[b] = 1f / iscale;
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
    static final class Batch extends RoundedBatch {
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

        @Override
        void round(float[] x, int at, int cols, float[] dst, int dstOff) {
            row.quantize(x, at, cols);
            for (int i = 0, block = row.kind.block; i < cols; i++) dst[dstOff + i] = row.q[i] * row.d[i / block];
        }
    }
}
