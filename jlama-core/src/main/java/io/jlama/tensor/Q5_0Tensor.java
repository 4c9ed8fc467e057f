package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0 weights: blocks of 32 elements in 22 bytes: an f16 scale {@code d}, a little-endian uint32 {@code qh} of
 * fifth bits, then 16 bytes of low nibbles (byte j: element j low, element j+16 high). Bit e of qh is the fifth bit
 * of element e (for both halves: ggml's {@code (qh >> (j+12)) & 0x10} is bit j+16). A 5-bit value n stands for
 * {@code (n - 16) * d}.
 */
public final class Q5_0Tensor extends Tensor {
    static final int QK = 32;
    static final int BLOCK_BYTES = 22;
    static final int QH = 2; // offset of the fifth bits in a block
    static final int QS = 6; // offset of the nibbles in a block

    public Q5_0Tensor(GgufTensor t) {
        super(t);
    }

    public Q5_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q5_0, data, rows, cols);
    }

    private float scale(long b) {
        return Float.float16ToFloat(data.get(I16_LE, b));
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
            float d = scale(b);
            int qh = qh(b);
            for (int e = 0; e < QK; e++) dst[off + i + e] = (value(b, qh, e) - 16) * d;
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = 0; i < cols; i += QK, b += step) {
            float d = scale(b);
            int qh = qh(b);
            for (int e = 0; e < QK; e++) sum += (value(b, qh, e) - 16) * d * x[xOff + i + e];
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
     * Vector API kernel; a nested class so that it is loaded only when the module is present. Since (n-16)*d is
     * exact, a block contributes {@code d * sum((n[e]-16) * x[e])}: the inner sum in lanes, one fma with d per block.
     * The whole loop is one method: see {@link SimdShapes} for why.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;

        static float dot(Q5_0Tensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc = FloatVector.zero(F);
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += step) {
                IntVector qh = IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b + QH));
                FloatVector s = FloatVector.zero(F); // lane-wise sum of (n[e]-16) * x[e] over the block
                for (int c = 0; c < QK / 2; c += L) {
                    IntVector q = SimdShapes.unsignedBytes(data, b + QS + c);
                    IntVector lo = q.and(0x0F).or(Q5.fifthBits(qh, c)).sub(16);                                   // elements c ..
                    IntVector hi = q.lanewise(VectorOperators.LSHR, 4).or(Q5.fifthBits(qh, QK / 2 + c)).sub(16); // elements 16 + c ..
                    s = SimdShapes.intsToFloats(lo).fma(FloatVector.fromArray(F, x, xi + c), s);
                    s = SimdShapes.intsToFloats(hi).fma(FloatVector.fromArray(F, x, xi + QK / 2 + c), s);
                }
                acc = s.fma(FloatVector.broadcast(F, t.scale(b)), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
    
        static void dequantize(Q5_0Tensor t, int row, int col0, int n, float[] dst, int off) {
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                IntVector qh = IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b + QH));
                FloatVector d = FloatVector.broadcast(SimdShapes.F, t.scale(b));
                for (int c = 0; c < QK / 2; c += L) {
                    IntVector q = SimdShapes.unsignedBytes(data, b + QS + c);
                    IntVector lo = q.and(0x0F).or(Q5.fifthBits(qh, c)).sub(16);
                    IntVector hi = q.lanewise(VectorOperators.LSHR, 4).or(Q5.fifthBits(qh, QK / 2 + c)).sub(16);
                    SimdShapes.intsToFloats(lo).mul(d).intoArray(dst, i + c);
                    SimdShapes.intsToFloats(hi).mul(d).intoArray(dst, i + QK / 2 + c);
                }
            }
        }
    }
}
