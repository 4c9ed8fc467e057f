package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * TQ2_0 weights (ternary): blocks of 256 elements in 66 bytes, 64 bytes of 2-bit codes then an f16 scale {@code d}
 * at byte 64. The block is two halves of 128 elements, each read from 32 bytes: in half h, bits {@code 2l..2l+1} of
 * byte {@code 32h + m} hold element {@code 128h + 32l + m}. A code q (0..3; 0..2 from quantization) stands for
 * {@code (q - 1) * d}; the product is exact.
 */
public final class TQ2_0Tensor extends Tensor {
    static final int QK = 256;
    static final int BLOCK_BYTES = 66;
    static final int QS_BYTES = 64;
    static final int D = 64; // offset of the scale in a block

    public TQ2_0Tensor(GgufTensor t) {
        super(t);
    }

    public TQ2_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.TQ2_0, data, rows, cols);
    }

    /** The element of byte p of a block's codes at shift level l. */
    private static int element(int p, int l) {
        return (p & 32) * 4 + 32 * l + (p & 31);
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D));
            for (int p = 0; p < QS_BYTES; p++) {
                int q = data.get(I8, b + p) & 0xFF;
                for (int l = 0; l < 4; l++) dst[i + element(p, l)] = (((q >>> (2 * l)) & 3) - 1) * d;
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D));
            for (int p = 0; p < QS_BYTES; p++) {
                int q = data.get(I8, b + p) & 0xFF;
                for (int l = 0; l < 4; l++) sum += (((q >>> (2 * l)) & 3) - 1) * d * x[i + element(p, l)];
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
     * Vector API kernels; a nested class so that it is loaded only when the module is present. L code bytes are
     * zero-extended to int lanes (with 4 lanes read as one int and shifted apart, so no read passes the block), and
     * each of the 4 shift levels gives L consecutive elements: {@code (q >> 2l & 3) - 1}, converted exactly to float.
     * A block contributes {@code d * sum((q-1) * x)}. Each kernel calls nothing but the Vector API: see
     * {@link SimdShapes}.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;

        static float dot(TQ2_0Tensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            MemorySegment data = t.data;
            IntVector shifts = L == 4 ? IntVector.fromArray(I, SimdShapes.BYTE_SHIFT, 0) : null;
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc = FloatVector.zero(F);
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += step) {
                FloatVector s = FloatVector.zero(F);
                for (int p = 0; p < QS_BYTES; p += L) {
                    IntVector q = L == 4
                            ? IntVector.broadcast(I, data.get(I32_LE, b + p)).lanewise(VectorOperators.LSHR, shifts).and(0xFF)
                            : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + p, ByteOrder.LITTLE_ENDIAN)
                                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    int e = xi + (p & 32) * 4 + (p & 31);
                    s = ((FloatVector) q.and(3).sub(1).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, e), s);
                    s = ((FloatVector) q.lanewise(VectorOperators.LSHR, 2).and(3).sub(1).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, e + 32), s);
                    s = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(3).sub(1).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, e + 64), s);
                    s = ((FloatVector) q.lanewise(VectorOperators.LSHR, 6).sub(1).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, e + 96), s);
                }
                acc = s.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, b + D))), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        /** {@code (q-1) * d}: one exact conversion and one multiplication in lanes, as the scalar code. */
        static void dequantize(TQ2_0Tensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Integer> I = SimdShapes.I;
            MemorySegment data = t.data;
            IntVector shifts = L == 4 ? IntVector.fromArray(I, SimdShapes.BYTE_SHIFT, 0) : null;
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                FloatVector d = FloatVector.broadcast(SimdShapes.F, Float.float16ToFloat(data.get(I16_LE, b + D)));
                for (int p = 0; p < QS_BYTES; p += L) {
                    IntVector q = L == 4
                            ? IntVector.broadcast(I, data.get(I32_LE, b + p)).lanewise(VectorOperators.LSHR, shifts).and(0xFF)
                            : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + p, ByteOrder.LITTLE_ENDIAN)
                                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    int e = i + (p & 32) * 4 + (p & 31);
                    ((FloatVector) q.and(3).sub(1).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, e);
                    ((FloatVector) q.lanewise(VectorOperators.LSHR, 2).and(3).sub(1).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, e + 32);
                    ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(3).sub(1).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, e + 64);
                    ((FloatVector) q.lanewise(VectorOperators.LSHR, 6).sub(1).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, e + 96);
                }
            }
        }
    }
}
