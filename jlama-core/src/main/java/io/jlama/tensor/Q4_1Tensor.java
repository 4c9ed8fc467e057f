package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_1 weights: blocks of 32 elements in 20 bytes, an f16 scale {@code d}, an f16 offset {@code m}, then 16 bytes of
 * nibbles (byte j: element j low, element j+16 high). A nibble n stands for {@code n * d + m}: a product, then a sum,
 * rounded twice (no fused multiply-add, as ggml).
 */
public final class Q4_1Tensor extends Tensor {
    static final int QK = 32;
    static final int BLOCK_BYTES = 20;
    static final int M = 2;  // offset of m in a block
    static final int QS = 4; // offset of the nibbles in a block

    public Q4_1Tensor(GgufTensor t) {
        super(t);
    }

    public Q4_1Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q4_1, data, rows, cols);
    }

    private float scale(long b) {
        return Float.float16ToFloat(data.get(I16_LE, b));
    }

    private float min(long b) {
        return Float.float16ToFloat(data.get(I16_LE, b + M));
    }

    private int qs(long b, int j) {
        return data.get(I8, b + QS + j) & 0xFF;
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = 0; i < n; i += QK, b += step) {
            float d = scale(b), m = min(b);
            for (int j = 0; j < QK / 2; j++) {
                int q = qs(b, j);
                dst[off + i + j] = (q & 0x0F) * d + m;
                dst[off + i + j + QK / 2] = (q >>> 4) * d + m;
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = 0; i < cols; i += QK, b += step) {
            float d = scale(b), m = min(b);
            for (int j = 0; j < QK; j++) {
                int q = j < QK / 2 ? (qs(b, j) & 0x0F) : (qs(b, j - QK / 2) >>> 4);
                sum += (q * d + m) * x[xOff + i + j];
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
     * Vector API kernel; a nested class so that it is loaded only when the module is present. Weights are formed in
     * lanes as {@code fma(n, d, m)} and multiplied into the accumulators, so the error stays relative to |w*x|
     * (splitting into d*sum(n*x) + m*sum(x) would cancel when m is about -8d). The whole loop is one method: see
     * {@link SimdShapes} for why.
     */
    static final class Simd {
        private static final int L = SimdShapes.L, BL = SimdShapes.BL, PARTS = SimdShapes.PARTS;

        static float dot(Q4_1Tensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F); // low and high nibbles
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += step) {
                FloatVector d = FloatVector.broadcast(F, t.scale(b)), m = FloatVector.broadcast(F, t.min(b));
                for (int c = 0; c < QK / 2; c += BL) {
                    ByteVector q = ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS + c, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = SimdShapes.lowNibbles(q), hi = SimdShapes.highNibbles(q);
                    acc0 = SimdShapes.bytesToFloats(lo, 0).fma(d, m).fma(FloatVector.fromArray(F, x, xi + c), acc0);
                    acc1 = SimdShapes.bytesToFloats(hi, 0).fma(d, m).fma(FloatVector.fromArray(F, x, xi + QK / 2 + c), acc1);
                    if (PARTS == 2) {
                        acc0 = SimdShapes.bytesToFloats(lo, 1).fma(d, m).fma(FloatVector.fromArray(F, x, xi + c + L), acc0);
                        acc1 = SimdShapes.bytesToFloats(hi, 1).fma(d, m).fma(FloatVector.fromArray(F, x, xi + QK / 2 + c + L), acc1);
                    }
                }
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }
    
        /** d*q + m as a multiply then an add, like ggml (q*d is exact, so this rounds once, as the scalar code does). */
        static void dequantize(Q4_1Tensor t, int row, int col0, int n, float[] dst, int off) {
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                FloatVector d = FloatVector.broadcast(SimdShapes.F, t.scale(b)), m = FloatVector.broadcast(SimdShapes.F, t.min(b));
                for (int c = 0; c < QK / 2; c += BL) {
                    ByteVector q = ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS + c, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = SimdShapes.lowNibbles(q), hi = SimdShapes.highNibbles(q);
                    SimdShapes.bytesToFloats(lo, 0).mul(d).add(m).intoArray(dst, i + c);
                    SimdShapes.bytesToFloats(hi, 0).mul(d).add(m).intoArray(dst, i + QK / 2 + c);
                    if (PARTS == 2) {
                        SimdShapes.bytesToFloats(lo, 1).mul(d).add(m).intoArray(dst, i + c + L);
                        SimdShapes.bytesToFloats(hi, 1).mul(d).add(m).intoArray(dst, i + QK / 2 + c + L);
                    }
                }
            }
        }
    }
}
