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
 * Q2_K weights: super-blocks of 256 elements in 84 bytes: 16 bytes of scales (one per sub-block of 16: the 4-bit
 * scale {@code sc} in the low nibble, the 4-bit min {@code m} in the high one), 64 bytes {@code qs} of 2-bit values,
 * then an f16 scale {@code d} and an f16 {@code dmin}. Element {@code 128h + 32j + l} (half h, j &lt; 4, l &lt; 32) is
 * {@code qs[32h + l] >> 2j & 3}, in sub-block {@code 8h + 2j + l/16}. A value q stands for
 * {@code (d*sc)*q - (dmin*m)}: two exact products and one rounded subtraction, as ggml computes it (no FMA).
 */
public final class Q2_KTensor extends Tensor {
    static final int QK = KQuants.QK;
    static final int BLOCK_BYTES = 84;
    static final int QS = 16;   // offset of the 2-bit values
    static final int D = 80;    // offset of d
    static final int DMIN = 82; // offset of dmin

    public Q2_KTensor(GgufTensor t) {
        super(t);
    }

    public Q2_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q2_K, data, rows, cols);
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D)), dmin = Float.float16ToFloat(data.get(I16_LE, b + DMIN));
            for (int s = 0; s < 16; s++) { // sub-block s: half s/8, j = (s%8)/2, lanes 16*(s%2) ..
                int sc = data.get(I8, b + s) & 0xFF;
                float dl = d * (sc & 0x0F), ml = dmin * (sc >>> 4);
                long q = b + QS + 32 * (s >> 3) + 16 * (s & 1);
                int shift = 2 * ((s >> 1) & 3), e = 128 * (s >> 3) + 32 * ((s >> 1) & 3) + 16 * (s & 1);
                for (int l = 0; l < 16; l++) dst[i + e + l] = dl * (data.get(I8, q + l) >> shift & 3) - ml;
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D)), dmin = Float.float16ToFloat(data.get(I16_LE, b + DMIN));
            for (int s = 0; s < 16; s++) {
                int sc = data.get(I8, b + s) & 0xFF;
                float dl = d * (sc & 0x0F), ml = dmin * (sc >>> 4);
                long q = b + QS + 32 * (s >> 3) + 16 * (s & 1);
                int shift = 2 * ((s >> 1) & 3), e = 128 * (s >> 3) + 32 * ((s >> 1) & 3) + 16 * (s & 1);
                for (int l = 0; l < 16; l++) sum += (dl * (data.get(I8, q + l) >> shift & 3) - ml) * x[i + e + l];
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
        float[] xs = SimdShapes.sumsBuffer(cols / 16);
        SimdShapes.blockSums(x, xOff, cols / 16, 16, xs);
        return Simd.dot1(this, row, x, xOff, xs);
    }

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        Simd.matvec(this, x, xOff, out, outOff, r0, r1);
    }

    /**
     * Vector API kernels; a nested class so that it is loaded only when the module is present. Since
     * {@code (d*sc)*q} is exact, a sub-block contributes {@code d*sc * sum(q*x) - dmin*m * sum(x)}. The loop body
     * takes one quarter of a super-block: 16 bytes of {@code qs} give four sub-blocks of 16 (shift and mask in int
     * lanes, convert, fma with x), then one fma per sub-block with {@code d*sc}; the mins are folded out with per-call
     * sums of x over each sub-block of 16, multiplied in lanes (16 mins against 16 sums). Each kernel calls
     * nothing but the Vector API: see {@link SimdShapes}.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;

        static void matvec(Q2_KTensor t, float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
            float[] xs = SimdShapes.sumsBuffer(t.cols / 16);
            SimdShapes.blockSums(x, xOff, t.cols / 16, 16, xs);
            int r = r0;
            if ((r & 1) == 1 && r < r1) {
                out[outOff + r] = dot1(t, r, x, xOff, xs);
                r++;
            }
            if (t.blockStep(r) != BLOCK_BYTES) {
                for (; r + 2 <= r1; r += 2) dot2(t, r, x, xOff, xs, out, outOff + r);
            }
            for (; r < r1; r++) out[outOff + r] = dot1(t, r, x, xOff, xs);
        }

        static float dot1(Q2_KTensor t, int row, float[] x, int xOff, float[] xs) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, accm = acc0; // accm: dmin*m*xs, in lanes
            for (int xi = xOff, k = 0, end = xOff + t.cols; xi < end; xi += QK, k += 16, b += step) {
                float d = Float.float16ToFloat(data.get(I16_LE, b + D));
                FloatVector dmin = FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, b + DMIN)));
                for (int s = 0; s < 16; s += L) {
                    IntVector m = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b + s)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + s, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                    accm = ((FloatVector) m.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(dmin).fma(FloatVector.fromArray(F, xs, k + s), accm);
                }
                for (int q = 0; q < 4; q++) { // quarter q: half h = q/2, lanes l in [16*(q&1), +16)
                    int h = q >> 1, p = 16 * (q & 1);
                    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                    for (int c = p; c < p + 16; c += L) {
                        long qo = b + QS + 32 * h + c;
                        IntVector u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, qo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, qo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        int xc = xi + 128 * h + c;
                        s0 = ((FloatVector) u.and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc), s0);
                        s1 = ((FloatVector) u.lanewise(VectorOperators.LSHR, 2).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 32), s1);
                        s2 = ((FloatVector) u.lanewise(VectorOperators.LSHR, 4).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 64), s2);
                        s3 = ((FloatVector) u.lanewise(VectorOperators.LSHR, 6).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 96), s3);
                    }
                    long sc = b + 8 * h + (q & 1); // scale bytes of the quarter's sub-blocks: sc, sc+2, sc+4, sc+6
                    acc0 = s0.fma(FloatVector.broadcast(F, d * (data.get(I8, sc) & 0x0F)), acc0);
                    acc1 = s1.fma(FloatVector.broadcast(F, d * (data.get(I8, sc + 2) & 0x0F)), acc1);
                    acc0 = s2.fma(FloatVector.broadcast(F, d * (data.get(I8, sc + 4) & 0x0F)), acc0);
                    acc1 = s3.fma(FloatVector.broadcast(F, d * (data.get(I8, sc + 6) & 0x0F)), acc1);
                }
            }
            return acc0.add(acc1).sub(accm).reduceLanes(VectorOperators.ADD);
        }

        /** Rows {@code row} and {@code row+1} (one stream when the pair is interleaved), sharing the loads of x. */
        private static void dot2(Q2_KTensor t, int row, float[] x, int xOff, float[] xs, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b0 = t.rowBase(row), b1 = t.rowBase(row + 1);
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0, accm0 = acc0, accm1 = acc0;
            for (int xi = xOff, k = 0, end = xOff + t.cols; xi < end; xi += QK, k += 16, b0 += step, b1 += step) {
                float d0 = Float.float16ToFloat(data.get(I16_LE, b0 + D)), d1 = Float.float16ToFloat(data.get(I16_LE, b1 + D));
                FloatVector dmin0 = FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, b0 + DMIN)));
                FloatVector dmin1 = FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, b1 + DMIN)));
                for (int s = 0; s < 16; s += L) {
                    FloatVector xsv = FloatVector.fromArray(F, xs, k + s);
                    IntVector m = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b0 + s)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + s, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                    accm0 = ((FloatVector) m.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(dmin0).fma(xsv, accm0);
                    m = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b1 + s)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + s, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                    accm1 = ((FloatVector) m.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(dmin1).fma(xsv, accm1);
                }
                for (int q = 0; q < 4; q++) {
                    int h = q >> 1, p = 16 * (q & 1);
                    FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00;
                    FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
                    for (int c = p; c < p + 16; c += L) {
                        int xc = xi + 128 * h + c;
                        FloatVector x0 = FloatVector.fromArray(F, x, xc), x1 = FloatVector.fromArray(F, x, xc + 32);
                        FloatVector x2 = FloatVector.fromArray(F, x, xc + 64), x3 = FloatVector.fromArray(F, x, xc + 96);
                        long qo = b0 + QS + 32 * h + c;
                        IntVector u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, qo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, qo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        s00 = ((FloatVector) u.and(3).convert(VectorOperators.I2F, 0)).fma(x0, s00);
                        s01 = ((FloatVector) u.lanewise(VectorOperators.LSHR, 2).and(3).convert(VectorOperators.I2F, 0)).fma(x1, s01);
                        s02 = ((FloatVector) u.lanewise(VectorOperators.LSHR, 4).and(3).convert(VectorOperators.I2F, 0)).fma(x2, s02);
                        s03 = ((FloatVector) u.lanewise(VectorOperators.LSHR, 6).convert(VectorOperators.I2F, 0)).fma(x3, s03);
                        qo = b1 + QS + 32 * h + c;
                        u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, qo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, qo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        s10 = ((FloatVector) u.and(3).convert(VectorOperators.I2F, 0)).fma(x0, s10);
                        s11 = ((FloatVector) u.lanewise(VectorOperators.LSHR, 2).and(3).convert(VectorOperators.I2F, 0)).fma(x1, s11);
                        s12 = ((FloatVector) u.lanewise(VectorOperators.LSHR, 4).and(3).convert(VectorOperators.I2F, 0)).fma(x2, s12);
                        s13 = ((FloatVector) u.lanewise(VectorOperators.LSHR, 6).convert(VectorOperators.I2F, 0)).fma(x3, s13);
                    }
                    long sc0 = b0 + 8 * h + (q & 1), sc1 = b1 + 8 * h + (q & 1);
                    acc0 = s00.fma(FloatVector.broadcast(F, d0 * (data.get(I8, sc0) & 0x0F)), acc0);
                    acc2 = s01.fma(FloatVector.broadcast(F, d0 * (data.get(I8, sc0 + 2) & 0x0F)), acc2);
                    acc0 = s02.fma(FloatVector.broadcast(F, d0 * (data.get(I8, sc0 + 4) & 0x0F)), acc0);
                    acc2 = s03.fma(FloatVector.broadcast(F, d0 * (data.get(I8, sc0 + 6) & 0x0F)), acc2);
                    acc1 = s10.fma(FloatVector.broadcast(F, d1 * (data.get(I8, sc1) & 0x0F)), acc1);
                    acc3 = s11.fma(FloatVector.broadcast(F, d1 * (data.get(I8, sc1 + 2) & 0x0F)), acc3);
                    acc1 = s12.fma(FloatVector.broadcast(F, d1 * (data.get(I8, sc1 + 4) & 0x0F)), acc1);
                    acc3 = s13.fma(FloatVector.broadcast(F, d1 * (data.get(I8, sc1 + 6) & 0x0F)), acc3);
                }
            }
            out[o] = acc0.add(acc2).sub(accm0).reduceLanes(VectorOperators.ADD);
            out[o + 1] = acc1.add(acc3).sub(accm1).reduceLanes(VectorOperators.ADD);
        }

        /** {@code (d*sc)*q - dmin*m} as a multiply then a subtraction in lanes, the scalar code's operations. */
        static void dequantize(Q2_KTensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                float d = Float.float16ToFloat(data.get(I16_LE, b + D)), dmin = Float.float16ToFloat(data.get(I16_LE, b + DMIN));
                for (int q = 0; q < 4; q++) {
                    int h = q >> 1, p = 16 * (q & 1);
                    long sc = b + 8 * h + (q & 1);
                    int c0 = data.get(I8, sc) & 0xFF, c1 = data.get(I8, sc + 2) & 0xFF, c2 = data.get(I8, sc + 4) & 0xFF, c3 = data.get(I8, sc + 6) & 0xFF;
                    FloatVector d0 = FloatVector.broadcast(F, d * (c0 & 0x0F)), m0 = FloatVector.broadcast(F, dmin * (c0 >>> 4));
                    FloatVector d1 = FloatVector.broadcast(F, d * (c1 & 0x0F)), m1 = FloatVector.broadcast(F, dmin * (c1 >>> 4));
                    FloatVector d2 = FloatVector.broadcast(F, d * (c2 & 0x0F)), m2 = FloatVector.broadcast(F, dmin * (c2 >>> 4));
                    FloatVector d3 = FloatVector.broadcast(F, d * (c3 & 0x0F)), m3 = FloatVector.broadcast(F, dmin * (c3 >>> 4));
                    for (int c = p; c < p + 16; c += L) {
                        long qo = b + QS + 32 * h + c;
                        IntVector u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, qo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, qo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        int o = i + 128 * h + c;
                        ((FloatVector) u.and(3).convert(VectorOperators.I2F, 0)).mul(d0).sub(m0).intoArray(dst, o);
                        ((FloatVector) u.lanewise(VectorOperators.LSHR, 2).and(3).convert(VectorOperators.I2F, 0)).mul(d1).sub(m1).intoArray(dst, o + 32);
                        ((FloatVector) u.lanewise(VectorOperators.LSHR, 4).and(3).convert(VectorOperators.I2F, 0)).mul(d2).sub(m2).intoArray(dst, o + 64);
                        ((FloatVector) u.lanewise(VectorOperators.LSHR, 6).convert(VectorOperators.I2F, 0)).mul(d3).sub(m3).intoArray(dst, o + 96);
                    }
                }
            }
        }
    }
}
