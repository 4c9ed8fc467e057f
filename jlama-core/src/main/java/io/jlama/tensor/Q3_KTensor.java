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
 * Q3_K weights: super-blocks of 256 elements in 110 bytes: 32 bytes {@code hm} of high bits, 64 bytes {@code qs} of
 * 2-bit pairs, 12 bytes of sixteen 6-bit scales (one per sub-block of 16, stored +32; packing: {@link KQuants}), then
 * an f16 scale {@code d}. Element {@code 128h + 32j + l} (half h, j &lt; 4, l &lt; 32) has the two low bits
 * {@code qs[32h + l] >> 2j & 3} and the high bit {@code hm[l] >> (4h + j) & 1}; its sub-block is {@code 8h + 2j + l/16}.
 * A value is {@code (d*(sc-32)) * (q - 4*(1-high))}: the scale product is exact and the second one rounds once, as
 * ggml computes it.
 */
public final class Q3_KTensor extends Tensor {
    static final int QK = KQuants.QK;
    static final int BLOCK_BYTES = 110;
    static final int QS = 32;     // offset of the 2-bit pairs
    static final int SCALES = 96; // offset of the packed scales
    static final int D = 108;     // offset of d

    public Q3_KTensor(GgufTensor t) {
        super(t);
    }

    public Q3_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q3_K, data, rows, cols);
    }

    /** The signed 3-bit value (-4..3) of element e of the super-block at b. */
    private int value(long b, int e) {
        int h = e >> 7, j = (e >> 5) & 3, l = e & 31;
        int q = data.get(I8, b + QS + 32 * h + l) >> 2 * j & 3;
        return (data.get(I8, b + l) >> (4 * h + j) & 1) != 0 ? q : q - 4;
    }

    /** The scale (-32..31) of the sub-block of 16 holding element e. */
    private int scale(long b, int e) {
        int h = e >> 7, j = (e >> 5) & 3, l = e & 31;
        return KQuants.at(KQuants.scalesQ3(data, b + SCALES, h), 2 * j + (l >> 4)) - 32;
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D));
            for (int e = 0; e < QK; e += 16) {
                float dl = d * scale(b, e);
                for (int l = 0; l < 16; l++) dst[i + e + l] = dl * value(b, e + l);
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D));
            for (int e = 0; e < QK; e += 16) {
                float dl = d * scale(b, e);
                for (int l = 0; l < 16; l++) sum += dl * value(b, e + l) * x[i + e + l];
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
        return Simd.dot1(this, row, x, xOff);
    }

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        Simd.matvec(this, x, xOff, out, outOff, r0, r1);
    }

    /**
     * Vector API kernels; a nested class so that it is loaded only when the module is present. The loop body takes
     * one quarter of a super-block: 16 bytes of {@code qs} and 16 of {@code hm}, which give four sub-blocks of 16,
     * decoded in int lanes (the -4 included, exact), converted and fma'd with x; then one fma per sub-block with
     * {@code d*(sc-32)} (exact). Each kernel calls nothing but the Vector API (scales unpacked inline): see
     * {@link SimdShapes}.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;

        static void matvec(Q3_KTensor t, float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
            int r = r0;
            if ((r & 1) == 1 && r < r1) {
                out[outOff + r] = dot1(t, r, x, xOff);
                r++;
            }
            if (t.blockStep(r) != BLOCK_BYTES) {
                for (; r + 2 <= r1; r += 2) dot2(t, r, x, xOff, out, outOff + r);
            }
            for (; r < r1; r++) out[outOff + r] = dot1(t, r, x, xOff);
        }

        static float dot1(Q3_KTensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += step) {
                float d = Float.float16ToFloat(data.get(I16_LE, b + D));
                int a0 = data.get(I32_LE, b + SCALES), a1 = data.get(I32_LE, b + SCALES + 4), hb = data.get(I32_LE, b + SCALES + 8);
                for (int q = 0; q < 4; q++) { // quarter q: half h = q/2, lanes l in [16*(q&1), +16)
                    int h = q >> 1, p = 16 * (q & 1);
                    // KQuants.scalesQ3(h), written out; sub-block 8h + 2j + (q&1) is byte 2j + (q&1)
                    long sc = (((a0 >>> 4 * h) & 0x0F0F0F0F) | (((hb >>> 4 * h) & 0x03030303) << 4)) & 0xFFFFFFFFL
                            | (long) (((a1 >>> 4 * h) & 0x0F0F0F0F) | (((hb >>> (4 * h + 2)) & 0x03030303) << 4)) << 32;
                    sc >>>= 8 * (q & 1);
                    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                    for (int c = p; c < p + 16; c += L) {
                        long qo = b + QS + 32 * h + c, ho = b + c;
                        IntVector u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, qo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, qo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        IntVector m = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, ho)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, ho, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        m = m.lanewise(VectorOperators.LSHR, 4 * h).lanewise(VectorOperators.LSHL, 2); // high bit j at bit j+2
                        int xc = xi + 128 * h + c;
                        IntVector v = u.and(3).or(m.and(4)).sub(4);
                        s0 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc), s0);
                        v = u.lanewise(VectorOperators.LSHR, 2).and(3).or(m.lanewise(VectorOperators.LSHR, 1).and(4)).sub(4);
                        s1 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 32), s1);
                        v = u.lanewise(VectorOperators.LSHR, 4).and(3).or(m.lanewise(VectorOperators.LSHR, 2).and(4)).sub(4);
                        s2 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 64), s2);
                        v = u.lanewise(VectorOperators.LSHR, 6).or(m.lanewise(VectorOperators.LSHR, 3).and(4)).sub(4);
                        s3 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 96), s3);
                    }
                    acc0 = s0.fma(FloatVector.broadcast(F, d * (((int) sc & 0xFF) - 32)), acc0);
                    acc1 = s1.fma(FloatVector.broadcast(F, d * (((int) (sc >>> 16) & 0xFF) - 32)), acc1);
                    acc0 = s2.fma(FloatVector.broadcast(F, d * (((int) (sc >>> 32) & 0xFF) - 32)), acc0);
                    acc1 = s3.fma(FloatVector.broadcast(F, d * (((int) (sc >>> 48) & 0xFF) - 32)), acc1);
                }
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }

        /** Rows {@code row} and {@code row+1} (one stream when the pair is interleaved), sharing the loads of x. */
        private static void dot2(Q3_KTensor t, int row, float[] x, int xOff, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b0 = t.rowBase(row), b1 = t.rowBase(row + 1);
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b0 += step, b1 += step) {
                float d0 = Float.float16ToFloat(data.get(I16_LE, b0 + D)), d1 = Float.float16ToFloat(data.get(I16_LE, b1 + D));
                for (int q = 0; q < 4; q++) {
                    int h = q >> 1, p = 16 * (q & 1);
                    int a0 = data.get(I32_LE, b0 + SCALES), a1 = data.get(I32_LE, b0 + SCALES + 4), hb = data.get(I32_LE, b0 + SCALES + 8);
                    long sc0 = (((a0 >>> 4 * h) & 0x0F0F0F0F) | (((hb >>> 4 * h) & 0x03030303) << 4)) & 0xFFFFFFFFL
                            | (long) (((a1 >>> 4 * h) & 0x0F0F0F0F) | (((hb >>> (4 * h + 2)) & 0x03030303) << 4)) << 32;
                    a0 = data.get(I32_LE, b1 + SCALES);
                    a1 = data.get(I32_LE, b1 + SCALES + 4);
                    hb = data.get(I32_LE, b1 + SCALES + 8);
                    long sc1 = (((a0 >>> 4 * h) & 0x0F0F0F0F) | (((hb >>> 4 * h) & 0x03030303) << 4)) & 0xFFFFFFFFL
                            | (long) (((a1 >>> 4 * h) & 0x0F0F0F0F) | (((hb >>> (4 * h + 2)) & 0x03030303) << 4)) << 32;
                    sc0 >>>= 8 * (q & 1);
                    sc1 >>>= 8 * (q & 1);
                    FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00;
                    FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
                    for (int c = p; c < p + 16; c += L) {
                        int xc = xi + 128 * h + c;
                        FloatVector x0 = FloatVector.fromArray(F, x, xc), x1 = FloatVector.fromArray(F, x, xc + 32);
                        FloatVector x2 = FloatVector.fromArray(F, x, xc + 64), x3 = FloatVector.fromArray(F, x, xc + 96);
                        long qo = b0 + QS + 32 * h + c, ho = b0 + c;
                        IntVector u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, qo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, qo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        IntVector m = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, ho)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, ho, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        m = m.lanewise(VectorOperators.LSHR, 4 * h).lanewise(VectorOperators.LSHL, 2);
                        IntVector v = u.and(3).or(m.and(4)).sub(4);
                        s00 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x0, s00);
                        v = u.lanewise(VectorOperators.LSHR, 2).and(3).or(m.lanewise(VectorOperators.LSHR, 1).and(4)).sub(4);
                        s01 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x1, s01);
                        v = u.lanewise(VectorOperators.LSHR, 4).and(3).or(m.lanewise(VectorOperators.LSHR, 2).and(4)).sub(4);
                        s02 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x2, s02);
                        v = u.lanewise(VectorOperators.LSHR, 6).or(m.lanewise(VectorOperators.LSHR, 3).and(4)).sub(4);
                        s03 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x3, s03);
                        qo = b1 + QS + 32 * h + c;
                        ho = b1 + c;
                        u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, qo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, qo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        m = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, ho)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, ho, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        m = m.lanewise(VectorOperators.LSHR, 4 * h).lanewise(VectorOperators.LSHL, 2);
                        v = u.and(3).or(m.and(4)).sub(4);
                        s10 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x0, s10);
                        v = u.lanewise(VectorOperators.LSHR, 2).and(3).or(m.lanewise(VectorOperators.LSHR, 1).and(4)).sub(4);
                        s11 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x1, s11);
                        v = u.lanewise(VectorOperators.LSHR, 4).and(3).or(m.lanewise(VectorOperators.LSHR, 2).and(4)).sub(4);
                        s12 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x2, s12);
                        v = u.lanewise(VectorOperators.LSHR, 6).or(m.lanewise(VectorOperators.LSHR, 3).and(4)).sub(4);
                        s13 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x3, s13);
                    }
                    acc0 = s00.fma(FloatVector.broadcast(F, d0 * (((int) sc0 & 0xFF) - 32)), acc0);
                    acc2 = s01.fma(FloatVector.broadcast(F, d0 * (((int) (sc0 >>> 16) & 0xFF) - 32)), acc2);
                    acc0 = s02.fma(FloatVector.broadcast(F, d0 * (((int) (sc0 >>> 32) & 0xFF) - 32)), acc0);
                    acc2 = s03.fma(FloatVector.broadcast(F, d0 * (((int) (sc0 >>> 48) & 0xFF) - 32)), acc2);
                    acc1 = s10.fma(FloatVector.broadcast(F, d1 * (((int) sc1 & 0xFF) - 32)), acc1);
                    acc3 = s11.fma(FloatVector.broadcast(F, d1 * (((int) (sc1 >>> 16) & 0xFF) - 32)), acc3);
                    acc1 = s12.fma(FloatVector.broadcast(F, d1 * (((int) (sc1 >>> 32) & 0xFF) - 32)), acc1);
                    acc3 = s13.fma(FloatVector.broadcast(F, d1 * (((int) (sc1 >>> 48) & 0xFF) - 32)), acc3);
                }
            }
            out[o] = acc0.add(acc2).reduceLanes(VectorOperators.ADD);
            out[o + 1] = acc1.add(acc3).reduceLanes(VectorOperators.ADD);
        }

        /** {@code (d*(sc-32)) * v}: the scalar product, then one multiplication in lanes, as the scalar code. */
        static void dequantize(Q3_KTensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                float d = Float.float16ToFloat(data.get(I16_LE, b + D));
                int a0 = data.get(I32_LE, b + SCALES), a1 = data.get(I32_LE, b + SCALES + 4), hb = data.get(I32_LE, b + SCALES + 8);
                for (int q = 0; q < 4; q++) {
                    int h = q >> 1, p = 16 * (q & 1);
                    long sc = (((a0 >>> 4 * h) & 0x0F0F0F0F) | (((hb >>> 4 * h) & 0x03030303) << 4)) & 0xFFFFFFFFL
                            | (long) (((a1 >>> 4 * h) & 0x0F0F0F0F) | (((hb >>> (4 * h + 2)) & 0x03030303) << 4)) << 32;
                    sc >>>= 8 * (q & 1);
                    FloatVector d0 = FloatVector.broadcast(F, d * (((int) sc & 0xFF) - 32));
                    FloatVector d1 = FloatVector.broadcast(F, d * (((int) (sc >>> 16) & 0xFF) - 32));
                    FloatVector d2 = FloatVector.broadcast(F, d * (((int) (sc >>> 32) & 0xFF) - 32));
                    FloatVector d3 = FloatVector.broadcast(F, d * (((int) (sc >>> 48) & 0xFF) - 32));
                    for (int c = p; c < p + 16; c += L) {
                        long qo = b + QS + 32 * h + c, ho = b + c;
                        IntVector u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, qo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, qo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        IntVector m = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, ho)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, ho, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        m = m.lanewise(VectorOperators.LSHR, 4 * h).lanewise(VectorOperators.LSHL, 2);
                        int o = i + 128 * h + c;
                        IntVector v = u.and(3).or(m.and(4)).sub(4);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d0).intoArray(dst, o);
                        v = u.lanewise(VectorOperators.LSHR, 2).and(3).or(m.lanewise(VectorOperators.LSHR, 1).and(4)).sub(4);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d1).intoArray(dst, o + 32);
                        v = u.lanewise(VectorOperators.LSHR, 4).and(3).or(m.lanewise(VectorOperators.LSHR, 2).and(4)).sub(4);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d2).intoArray(dst, o + 64);
                        v = u.lanewise(VectorOperators.LSHR, 6).or(m.lanewise(VectorOperators.LSHR, 3).and(4)).sub(4);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d3).intoArray(dst, o + 96);
                    }
                }
            }
        }
    }
}
