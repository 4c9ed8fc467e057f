package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * Q5_1 weights: blocks of 32 elements in 24 bytes: an f16 scale {@code d}, an f16 offset {@code m}, a little-endian
 * uint32 {@code qh} of fifth bits (bit e for element e), then 16 bytes of low nibbles (byte j: element j low, element
 * j+16 high). A 5-bit value n stands for {@code n * d + m}: a product, then a sum, rounded twice (no FMA, as ggml).
 */
public final class Q5_1Tensor extends Tensor {
    static final int QK = 32;
    static final int BLOCK_BYTES = 24;
    static final int M = 2;  // offset of m in a block
    static final int QH = 4; // offset of the fifth bits in a block
    static final int QS = 8; // offset of the nibbles in a block

    public Q5_1Tensor(GgufTensor t) {
        super(t);
    }

    public Q5_1Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q5_1, data, rows, cols);
    }

    private float scale(long b) {
        return Float.float16ToFloat(data.get(I16_LE, b));
    }

    private float min(long b) {
        return Float.float16ToFloat(data.get(I16_LE, b + M));
    }

    private int qh(long b) {
        return data.get(I32_LE, b + QH);
    }

    /** The 5-bit value (0..31) of element e of the block at b. */
    private int value(long b, int qh, int e) {
        int q = data.get(I8, b + QS + (e & 15)) & 0xFF;
        int nibble = e < QK / 2 ? q & 0x0F : q >>> 4;
        return nibble | ((qh >>> e) & 1) << 4;
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = 0; i < n; i += QK, b += step) {
            float d = scale(b), m = min(b);
            int qh = qh(b);
            for (int e = 0; e < QK; e++) dst[off + i + e] = value(b, qh, e) * d + m;
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = 0; i < cols; i += QK, b += step) {
            float d = scale(b), m = min(b);
            int qh = qh(b);
            for (int e = 0; e < QK; e++) sum += (value(b, qh, e) * d + m) * x[xOff + i + e];
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
     * Vector API kernel; a nested class so that it is loaded only when the module is present. Weights are formed in
     * lanes as {@code fma(n, d, m)} and multiplied into the accumulators (see {@link Q4_1Tensor.Simd}). The whole loop
     * is one method: see {@link SimdShapes} for why.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;

        static float dot(Q5_1Tensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F); // elements 0..15 and 16..31
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += step) {
                FloatVector d = FloatVector.broadcast(F, t.scale(b)), m = FloatVector.broadcast(F, t.min(b));
                IntVector qh = IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b + QH));
                for (int c = 0; c < QK / 2; c += L) {
                    IntVector q = SimdShapes.unsignedBytes(data, b + QS + c);
                    IntVector lo = q.and(0x0F).or(Q5.fifthBits(qh, c));                                   // elements c ..
                    IntVector hi = q.lanewise(VectorOperators.LSHR, 4).or(Q5.fifthBits(qh, QK / 2 + c)); // elements 16 + c ..
                    acc0 = SimdShapes.intsToFloats(lo).fma(d, m).fma(FloatVector.fromArray(F, x, xi + c), acc0);
                    acc1 = SimdShapes.intsToFloats(hi).fma(d, m).fma(FloatVector.fromArray(F, x, xi + QK / 2 + c), acc1);
                }
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }
    
        static void dequantize(Q5_1Tensor t, int row, int col0, int n, float[] dst, int off) {
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                IntVector qh = IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b + QH));
                FloatVector d = FloatVector.broadcast(SimdShapes.F, t.scale(b)), m = FloatVector.broadcast(SimdShapes.F, t.min(b));
                for (int c = 0; c < QK / 2; c += L) {
                    IntVector q = SimdShapes.unsignedBytes(data, b + QS + c);
                    IntVector lo = q.and(0x0F).or(Q5.fifthBits(qh, c));
                    IntVector hi = q.lanewise(VectorOperators.LSHR, 4).or(Q5.fifthBits(qh, QK / 2 + c));
                    SimdShapes.intsToFloats(lo).mul(d).add(m).intoArray(dst, i + c);
                    SimdShapes.intsToFloats(hi).mul(d).add(m).intoArray(dst, i + QK / 2 + c);
                }
            }
        }
    }
}
