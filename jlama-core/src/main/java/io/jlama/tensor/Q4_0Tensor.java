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
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = 0; i < n; i += QK, b += step) {
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
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = 0; i < cols; i += QK, b += step) {
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

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        if (SimdShapes.BL == SimdShapes.L) Simd.matvec(this, x, xOff, out, outOff, r0, r1);
        else super.matvecVector(x, xOff, out, outOff, r0, r1);
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
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc = FloatVector.zero(F);
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += step) {
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
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
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
    
        private static final ThreadLocal<float[][]> BLOCK_SUMS = ThreadLocal.withInitial(() -> new float[1][0]);

        /**
         * Matrix-vector product, two rows per pass. The nibble offset is folded out of the inner loop:
         * {@code sum((n-8)*x) = sum(n*x) - 8*sum(x)}, with the per-block {@code 8*sum(x)} computed once per call.
         * Nibbles are zero-extended straight to int lanes, so the inner loop is convert, mask or shift, convert to
         * float, fma. Written without helper methods: C2 inlines them only while the method is small, and a
         * helper that returns a vector and is not inlined costs a boxed vector per call. Needs BL == L.
         */
        static void matvec(Q4_0Tensor t, float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
            int nb = t.cols / QK;
            float[][] holder = BLOCK_SUMS.get();
            if (holder[0].length < nb) holder[0] = new float[nb];
            float[] xs8 = holder[0];
            for (int b = 0; b < nb; b++) {
                float s = 0f;
                for (int j = 0; j < QK; j++) s += x[xOff + b * QK + j];
                xs8[b] = 8f * s;
            }
            int r = r0;
            if ((r & 1) == 1 && r < r1) { // start on a pair boundary
                out[outOff + r] = dot1(t, r, x, xOff, xs8);
                r++;
            }
            if (t.blockStep(r) != BLOCK_BYTES) { // interleaved pairs: walk both rows in one stream
                for (; r + 2 <= r1; r += 2) dot2(t, r, x, xOff, xs8, out, outOff + r);
            }
            for (; r < r1; r++) out[outOff + r] = dot1(t, r, x, xOff, xs8);
        }

        private static float dot1(Q4_0Tensor t, int row, float[] x, int xOff, float[] xs8) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b0 = t.rowBase(row);
            FloatVector acc0 = FloatVector.zero(F);
            float c0 = 0f;
            for (int xi = xOff, bi = 0, end = xOff + t.cols; xi < end; xi += QK, bi++, b0 += step) {
                FloatVector s0;
                if (L == QK / 2) {
                    FloatVector xl = FloatVector.fromArray(F, x, xi), xh = FloatVector.fromArray(F, x, xi + QK / 2);
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QS, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                    s0 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).mul(xl);
                    s0 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s0);
                } else {
                    s0 = FloatVector.zero(F);
                    for (int c = 0; c < QK / 2; c += L) {
                        FloatVector xl = FloatVector.fromArray(F, x, xi + c), xh = FloatVector.fromArray(F, x, xi + QK / 2 + c);
                        IntVector q = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QS + c, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        s0 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, s0);
                        s0 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s0);
                    }
                }
                float d0 = Float.float16ToFloat(data.get(I16_LE, b0));
                acc0 = s0.fma(FloatVector.broadcast(F, d0), acc0);
                c0 += d0 * xs8[bi];
            }
            return acc0.reduceLanes(VectorOperators.ADD) - c0;
        }

        private static void dot2(Q4_0Tensor t, int row, float[] x, int xOff, float[] xs8, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b0 = t.rowBase(row), b1 = t.rowBase(row + 1); // one stream when the pair is interleaved
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
            float c0 = 0f, c1 = 0f;
            for (int xi = xOff, bi = 0, end = xOff + t.cols; xi < end; xi += QK, bi++, b0 += step, b1 += step) {
                FloatVector s0, s1;
                if (L == QK / 2) { // one vector per half block: no inner loop, first product without an add
                    FloatVector xl = FloatVector.fromArray(F, x, xi), xh = FloatVector.fromArray(F, x, xi + QK / 2);
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QS, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                    s0 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).mul(xl);
                    s0 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s0);
                    q = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + QS, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                    s1 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).mul(xl);
                    s1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s1);
                } else {
                    s0 = FloatVector.zero(F);
                    s1 = s0;
                    for (int c = 0; c < QK / 2; c += L) {
                        FloatVector xl = FloatVector.fromArray(F, x, xi + c), xh = FloatVector.fromArray(F, x, xi + QK / 2 + c);
                        IntVector q = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QS + c, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        s0 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, s0);
                        s0 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s0);
                        q = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + QS + c, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        s1 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, s1);
                        s1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s1);
                    }
                }
                float d0 = Float.float16ToFloat(data.get(I16_LE, b0)), d1 = Float.float16ToFloat(data.get(I16_LE, b1));
                acc0 = s0.fma(FloatVector.broadcast(F, d0), acc0);
                acc1 = s1.fma(FloatVector.broadcast(F, d1), acc1);
                c0 += d0 * xs8[bi];
                c1 += d1 * xs8[bi];
            }
            out[o] = acc0.reduceLanes(VectorOperators.ADD) - c0;
            out[o + 1] = acc1.reduceLanes(VectorOperators.ADD) - c1;
        }
    }
}
