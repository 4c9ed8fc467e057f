package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * MXFP4 weights (OCP microscaling): blocks of 32 elements in 17 bytes, an E8M0 scale byte {@code e} then 16 bytes of
 * 4-bit e2m1 codes (byte j: element j in the low nibble, element j+16 in the high nibble, as Q4_0). A code n stands for
 * {@code d * KVALUES[n]}, where KVALUES holds the e2m1 values doubled (so they are integers) and {@code d} is
 * {@code 2^(e-128)}, half the block's power-of-two scale (see {@link #scale}); the product is exact.
 */
public final class MXFP4Tensor extends Tensor {
    static final int QK = 32;
    static final int BLOCK_BYTES = 17;
    static final int QS = 1; // offset of the codes in a block

    /** The 16 e2m1 values (0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives) doubled; bit 3 of a code is the sign. */
    static final byte[] KVALUES = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    /** A copy of {@link #KVALUES}, indexed by code, for the quantizer. */
    public static byte[] grid() {
        return KVALUES.clone();
    }

    /**
     * Half the value of an E8M0 scale byte, {@code 2^(e-128)} (the half undoes the doubling of {@link #KVALUES}):
     * a normal float with biased exponent {@code e-1}, or for e = 0 and 1 the subnormals 2^-128 and 2^-127. Every
     * byte gives a finite value (ggml does not treat 0xFF as NaN either).
     */
    public static float scale(int e) {
        return Float.intBitsToFloat(e < 2 ? 0x00200000 << e : (e - 1) << 23);
    }

    public MXFP4Tensor(GgufTensor t) {
        super(t);
    }

    public MXFP4Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.MXFP4, data, rows, cols);
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = scale(data.get(I8, b) & 0xFF);
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
            float d = scale(data.get(I8, b) & 0xFF);
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

        static float dot(MXFP4Tensor t, int row, float[] x, int xOff) {
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
                int e = data.get(I8, b) & 0xFF; // the scale written out inline (see SimdShapes)
                acc = s.fma(FloatVector.broadcast(F, Float.intBitsToFloat(e < 2 ? 0x00200000 << e : (e - 1) << 23)), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        /** {@code d * grid[n]}: one multiplication in lanes, as the scalar code. */
        static void dequantize(MXFP4Tensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            ByteVector grid = ByteVector.fromArray(B16, KVALUES, 0);
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                int e = data.get(I8, b) & 0xFF;
                FloatVector d = FloatVector.broadcast(F, Float.intBitsToFloat(e < 2 ? 0x00200000 << e : (e - 1) << 23));
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
