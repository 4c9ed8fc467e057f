package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * IQ4_NL weights: blocks of 32 elements in 18 bytes, an f16 scale {@code d} then 16 bytes of 4-bit indices (byte j:
 * element j in the low nibble, element j+16 in the high nibble, as Q4_0). An index n stands for
 * {@code d * KVALUES[n]}, a non-linear grid of 16 int8 values; the product is exact.
 */
public final class IQ4_NLTensor extends Tensor {
    static final int QK = 32;
    static final int BLOCK_BYTES = 18;
    static final int QS = 2; // offset of the indices in a block

    /** ggml's kvalues_iq4nl: the 16 grid values of IQ4_NL and IQ4_XS. */
    static final byte[] KVALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** A copy of {@link #KVALUES}, ascending, for the quantizers. */
    public static byte[] grid() {
        return KVALUES.clone();
    }

    public IQ4_NLTensor(GgufTensor t) {
        super(t);
    }

    public IQ4_NLTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.IQ4_NL, data, rows, cols);
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b));
            for (int j = 0; j < QK / 2; j++) {
                int q = data.get(I8, b + QS + j) & 0xFF;
                dst[i + j] = d * KVALUES[q & 0x0F];
                dst[i + j + QK / 2] = d * KVALUES[q >>> 4];
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b));
            for (int j = 0; j < QK / 2; j++) {
                int q = data.get(I8, b + QS + j) & 0xFF;
                sum += d * KVALUES[q & 0x0F] * x[i + j];
                sum += d * KVALUES[q >>> 4] * x[i + j + QK / 2];
            }
        }
        return sum;
    }

    @Override
    protected void dequantizeVector(int row, int col0, int n, float[] dst, int off) {
        Simd.dequantize(this, row, col0, n, dst, off);
    }

    @Override
    protected float dotVector(int row, float[] x, int xOff) {
        return Simd.dot(this, row, x, xOff);
    }

    /**
     * Vector API kernels; a nested class so that it is loaded only when the module is present. The 16 index bytes of
     * a block are looked up in the grid as one 128-bit byte vector (a byte shuffle: pshufb, tbl), then widened to
     * float lanes in 1, 2 or 4 literal parts; a block contributes {@code d * sum(grid[n] * x)}. Each kernel calls
     * nothing but the Vector API: see {@link SimdShapes}.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;
        /** 16 bytes: one block's indices, and the whole grid. */
        static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

        static float dot(IQ4_NLTensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            ByteVector grid = ByteVector.fromArray(B16, KVALUES, 0);
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc = FloatVector.zero(F);
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += step) {
                ByteVector q = ByteVector.fromMemorySegment(B16, data, b + QS, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F).selectFrom(grid);
                ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).selectFrom(grid);
                FloatVector s;
                if (L == 16) {
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xi));
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + 16), s);
                } else if (L == 8) {
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xi));
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xi + 8), s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + 16), s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xi + 24), s);
                } else {
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xi));
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xi + 4), s);
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 2)).fma(FloatVector.fromArray(F, x, xi + 8), s);
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 3)).fma(FloatVector.fromArray(F, x, xi + 12), s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + 16), s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xi + 20), s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 2)).fma(FloatVector.fromArray(F, x, xi + 24), s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 3)).fma(FloatVector.fromArray(F, x, xi + 28), s);
                }
                acc = s.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, b))), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        /** {@code d * grid[n]}: one multiplication in lanes, as the scalar code. */
        static void dequantize(IQ4_NLTensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            ByteVector grid = ByteVector.fromArray(B16, KVALUES, 0);
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, b)));
                ByteVector q = ByteVector.fromMemorySegment(B16, data, b + QS, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F).selectFrom(grid);
                ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).selectFrom(grid);
                if (L == 16) {
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i + 16);
                } else if (L == 8) {
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i);
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).mul(d).intoArray(dst, i + 8);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i + 16);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).mul(d).intoArray(dst, i + 24);
                } else {
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i);
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).mul(d).intoArray(dst, i + 4);
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 2)).mul(d).intoArray(dst, i + 8);
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 3)).mul(d).intoArray(dst, i + 12);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i + 16);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).mul(d).intoArray(dst, i + 20);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 2)).mul(d).intoArray(dst, i + 24);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 3)).mul(d).intoArray(dst, i + 28);
                }
            }
        }
    }
}
