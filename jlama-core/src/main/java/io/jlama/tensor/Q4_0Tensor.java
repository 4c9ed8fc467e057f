package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_0 weights: blocks of 32 elements in 18 bytes, an f16 scale {@code d} then 16 bytes of nibbles. Byte j holds
 * element j in its low nibble and element j+16 in its high nibble; a nibble n stands for {@code (n - 8) * d}.
 */
public final class Q4_0Tensor extends Tensor {
    static final int QK = 32;
    static final int BLOCK_BYTES = 18;
    static final int QS = 2; // offset of the nibbles in a block

    public Q4_0Tensor(GgufTensor t) {
        super(t);
    }

    public Q4_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q4_0, data, rows, cols);
    }

    private float scale(long b) {
        return Float.float16ToFloat(data.get(I16_LE, b));
    }

    /** The unsigned nibble byte j of the block at b. */
    private int qs(long b, int j) {
        return data.get(I8, b + QS + j) & 0xFF;
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long b = row * rowBytes + (long) (col0 / QK) * BLOCK_BYTES;
        for (int i = 0; i < n; i += QK, b += BLOCK_BYTES) {
            float d = scale(b);
            for (int j = 0; j < QK / 2; j++) {
                int q = qs(b, j);
                dst[off + i + j] = ((q & 0x0F) - 8) * d;
                dst[off + i + j + QK / 2] = ((q >>> 4) - 8) * d;
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long b = row * rowBytes;
        float sum = 0f;
        for (int i = 0; i < cols; i += QK, b += BLOCK_BYTES) {
            float d = scale(b);
            for (int j = 0; j < QK; j++) {
                int q = j < QK / 2 ? (qs(b, j) & 0x0F) : (qs(b, j - QK / 2) >>> 4);
                sum += (q - 8) * d * x[xOff + i + j];
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
     * Vector API kernel; a nested class so that it is loaded only when the module is present. Since (n-8)*d is
     * exact, a block contributes {@code d * sum((n[j]-8) * x[j])}: the inner sum in lanes, one fma with d per block.
     * The whole loop is one method: see {@link SimdShapes} for why.
     */
    static final class Simd {
        private static final int L = SimdShapes.L, BL = SimdShapes.BL, PARTS = SimdShapes.PARTS;

        static float dot(Q4_0Tensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long b = row * t.rowBytes;
            FloatVector acc = FloatVector.zero(F);
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += BLOCK_BYTES) {
                FloatVector s = FloatVector.zero(F); // lane-wise sum of (n[j]-8) * x[j] over the block
                for (int c = 0; c < QK / 2; c += BL) {
                    ByteVector q = ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS + c, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = SimdShapes.lowNibbles(q).sub((byte) 8);  // elements c ..
                    ByteVector hi = SimdShapes.highNibbles(q).sub((byte) 8); // elements 16 + c ..
                    s = SimdShapes.bytesToFloats(lo, 0).fma(FloatVector.fromArray(F, x, xi + c), s);
                    s = SimdShapes.bytesToFloats(hi, 0).fma(FloatVector.fromArray(F, x, xi + QK / 2 + c), s);
                    if (PARTS == 2) {
                        s = SimdShapes.bytesToFloats(lo, 1).fma(FloatVector.fromArray(F, x, xi + c + L), s);
                        s = SimdShapes.bytesToFloats(hi, 1).fma(FloatVector.fromArray(F, x, xi + QK / 2 + c + L), s);
                    }
                }
                acc = s.fma(FloatVector.broadcast(F, t.scale(b)), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
    
        static void dequantize(Q4_0Tensor t, int row, int col0, int n, float[] dst, int off) {
            MemorySegment data = t.data;
            long b = row * t.rowBytes + (long) (col0 / QK) * BLOCK_BYTES;
            for (int i = off, end = off + n; i < end; i += QK, b += BLOCK_BYTES) {
                FloatVector d = FloatVector.broadcast(SimdShapes.F, t.scale(b));
                for (int c = 0; c < QK / 2; c += BL) {
                    ByteVector q = ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS + c, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = SimdShapes.lowNibbles(q).sub((byte) 8);
                    ByteVector hi = SimdShapes.highNibbles(q).sub((byte) 8);
                    SimdShapes.bytesToFloats(lo, 0).mul(d).intoArray(dst, i + c);
                    SimdShapes.bytesToFloats(hi, 0).mul(d).intoArray(dst, i + QK / 2 + c);
                    if (PARTS == 2) {
                        SimdShapes.bytesToFloats(lo, 1).mul(d).intoArray(dst, i + c + L);
                        SimdShapes.bytesToFloats(hi, 1).mul(d).intoArray(dst, i + QK / 2 + c + L);
                    }
                }
            }
        }
    }
}
