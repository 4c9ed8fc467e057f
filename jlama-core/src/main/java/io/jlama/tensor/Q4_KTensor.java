package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_K weights: super-blocks of 256 elements in 144 bytes: an f16 scale {@code d}, an f16 {@code dmin}, 12 bytes of
 * 6-bit scales {@code sc[j]} and mins {@code m[j]} for the 8 sub-blocks of 32 (packing: {@link KQuants}), then 128
 * bytes of nibbles in 4 groups of 32: byte l of group g holds element {@code 64g + l} (sub-block 2g) in its low nibble
 * and element {@code 64g + 32 + l} (sub-block 2g+1) in its high nibble. A nibble n of sub-block j stands for
 * {@code (d*sc[j])*n - (dmin*m[j])}: two exact products and one rounded subtraction, as ggml computes it (no FMA).
 */
public final class Q4_KTensor extends Tensor {
    static final int QK = KQuants.QK;
    static final int BLOCK_BYTES = 144;
    static final int DMIN = 2;   // offset of dmin in a block
    static final int SCALES = 4; // offset of the packed scales and mins
    static final int QS = 16;    // offset of the nibbles

    public Q4_KTensor(GgufTensor t) {
        super(t);
    }

    public Q4_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q4_K, data, rows, cols);
    }

    private float d(long b) {
        return Float.float16ToFloat(data.get(I16_LE, b));
    }

    private float dmin(long b) {
        return Float.float16ToFloat(data.get(I16_LE, b + DMIN));
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = d(b), dmin = dmin(b);
            for (int g = 0; g < 4; g++) {
                float d1 = d * KQuants.scaleK4(data, b + SCALES, 2 * g), m1 = dmin * KQuants.minK4(data, b + SCALES, 2 * g);
                float d2 = d * KQuants.scaleK4(data, b + SCALES, 2 * g + 1), m2 = dmin * KQuants.minK4(data, b + SCALES, 2 * g + 1);
                for (int l = 0; l < 32; l++) {
                    int q = data.get(I8, b + QS + 32 * g + l) & 0xFF;
                    dst[i + 64 * g + l] = d1 * (q & 0x0F) - m1;
                    dst[i + 64 * g + 32 + l] = d2 * (q >>> 4) - m2;
                }
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = d(b), dmin = dmin(b);
            for (int j = 0; j < 8; j++) {
                float dj = d * KQuants.scaleK4(data, b + SCALES, j), mj = dmin * KQuants.minK4(data, b + SCALES, j);
                long q = b + QS + 32 * (j >> 1);
                int shift = 4 * (j & 1);
                for (int l = 0; l < 32; l++) {
                    int n = (data.get(I8, q + l) >> shift) & 0x0F;
                    sum += (dj * n - mj) * x[i + 32 * j + l];
                }
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
        float[] xs = SimdShapes.sumsBuffer(cols / 32);
        SimdShapes.blockSums(x, xOff, cols / 32, 32, xs);
        return Simd.dot1(this, row, x, xOff, xs);
    }

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        Simd.matvec(this, x, xOff, out, outOff, r0, r1);
    }

    /**
     * Vector API kernels; a nested class so that it is loaded only when the module is present. Since
     * {@code (d*sc)*n} is exact, a sub-block contributes {@code d*sc * sum(n*x) - dmin*m * sum(x)}: the nibble sums
     * in lanes (convert, mask or shift, convert to float, fma), one fma per sub-block with its scale, and the mins
     * folded out with per-call sums of x over each sub-block of 32 (scalar work per super-block, which runs beside
     * the vector work). Each kernel is one method that calls nothing but the Vector API (scales and mins unpacked
     * inline), its loop body one group of two sub-blocks: see {@link SimdShapes} for why.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;

        static void matvec(Q4_KTensor t, float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
            float[] xs = SimdShapes.sumsBuffer(t.cols / 32);
            SimdShapes.blockSums(x, xOff, t.cols / 32, 32, xs);
            int r = r0;
            if ((r & 1) == 1 && r < r1) { // start on a pair boundary
                out[outOff + r] = dot1(t, r, x, xOff, xs);
                r++;
            }
            if (t.blockStep(r) != BLOCK_BYTES && L >= 8) { // interleaved pairs: walk both rows in one stream
                int nb = t.cols / QK;
                float[] scratch = SimdShapes.scalesBuffer(16 * nb + 32);
                for (int k = 0; k < nb; k++) { // per block: 8 zeros, then the 8 sums of x (see dot2x16)
                    for (int j = 0; j < 8; j++) {
                        scratch[32 + 16 * k + j] = 0f;
                        scratch[32 + 16 * k + 8 + j] = xs[8 * k + j];
                    }
                }
                if (L == 16) {
                    for (; r + 2 <= r1; r += 2) dot2x16(t, t.rowBase(r), x, xOff, scratch, out, outOff + r);
                } else { // (dot2x8 on 256-bit vectors at 16 lanes was 10% slower than dot2x16)
                    float[] xp = SimdShapes.orderedBuffer(t.cols);
                    SimdShapes.byteLaneOrder(x, xOff, t.cols, xp);
                    for (; r + 2 <= r1; r += 2) dot2x8(t, t.rowBase(r), xp, scratch, out, outOff + r);
                }
            } else if (t.blockStep(r) != BLOCK_BYTES) {
                for (; r + 2 <= r1; r += 2) dot2(t, r, x, xOff, xs, out, outOff + r);
            }
            for (; r < r1; r++) out[outOff + r] = dot1(t, r, x, xOff, xs);
        }

        static float dot1(Q4_KTensor t, int row, float[] x, int xOff, float[] xs) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0; // low and high sub-blocks of each group
            float cmin = 0f;
            for (int xi = xOff, k = 0, end = xOff + t.cols; xi < end; xi += QK, k += 8, b += step) {
                float d = Float.float16ToFloat(data.get(I16_LE, b));
                // KQuants.scalesK4 and minsK4, written out
                int a = data.get(I32_LE, b + SCALES), m = data.get(I32_LE, b + SCALES + 4), e = data.get(I32_LE, b + SCALES + 8);
                long sc = (a & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) ((e & 0x0F0F0F0F) | ((a >>> 2) & 0x30303030)) << 32;
                long mn = (m & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) (((e >>> 4) & 0x0F0F0F0F) | ((m >>> 2) & 0x30303030)) << 32;
                float ms = 0f;
                for (int j = 0; j < 8; j++, mn >>>= 8) ms += ((int) mn & 0xFF) * xs[k + j];
                cmin += Float.float16ToFloat(data.get(I16_LE, b + DMIN)) * ms;
                for (int g = 0; g < 4; g++) {
                    FloatVector s0 = FloatVector.zero(F), s1 = s0;
                    for (int c = 0; c < 32; c += L) {
                        long q0 = b + QS + 32 * g + c;
                        IntVector q = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, q0)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, q0, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        int xg = xi + 64 * g + c;
                        s0 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xg), s0);
                        s1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xg + 32), s1);
                    }
                    acc0 = s0.fma(FloatVector.broadcast(F, d * ((int) (sc >>> (16 * g)) & 0xFF)), acc0);
                    acc1 = s1.fma(FloatVector.broadcast(F, d * ((int) (sc >>> (16 * g + 8)) & 0xFF)), acc1);
                }
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD) - cmin;
        }

        /**
         * {@link #dot2} for 16 lanes, with the scales and mins unpacked in lanes rather than one by one: scalar float
         * work (int-to-float conversions, products, broadcasts) runs on the same ports as the vector FMAs, and with
         * 8 scales and 8 mins per row and block it was about as much work as the nibble products themselves. The
         * 8 scale bytes and 8 min bytes (unpacked in two longs with integer ops) become one 16-lane vector; times d
         * it gives the 8 sub-block scales (lanes 0-7), stored to {@code w[0..32)} to be broadcast from memory; times
         * dmin and the per-block sums of x (in {@code w[32 + 16k + 8 ..)}, zeros in lanes 0-7) it accumulates the
         * mins in lanes, reduced once at the end. The pair is interleaved: row 2's block follows row 1's.
         */
        private static void dot2x16(Q4_KTensor t, long b, float[] x, int xOff, float[] w, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, min0 = acc0, min1 = acc0;
            for (int xi = xOff, k = 32, end = xOff + t.cols; xi < end; xi += QK, k += 16, b += 2 * BLOCK_BYTES) {
                FloatVector xs = FloatVector.fromArray(F, w, k);
                for (int r = 0; r < 2; r++) { // a loop, so that its body is parsed once
                    long br = b + r * BLOCK_BYTES;
                    int a = data.get(I32_LE, br + SCALES), m = data.get(I32_LE, br + SCALES + 4), e = data.get(I32_LE, br + SCALES + 8);
                    long sc = (a & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) ((e & 0x0F0F0F0F) | ((a >>> 2) & 0x30303030)) << 32;
                    long mn = (m & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) (((e >>> 4) & 0x0F0F0F0F) | ((m >>> 2) & 0x30303030)) << 32;
                    FloatVector v = (FloatVector) LongVector.broadcast(LongVector.SPECIES_128, sc).withLane(1, mn).reinterpretAsBytes()
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0).convert(VectorOperators.I2F, 0);
                    v.mul(Float.float16ToFloat(data.get(I16_LE, br))).intoArray(w, 16 * r);
                    FloatVector mins = v.mul(Float.float16ToFloat(data.get(I16_LE, br + DMIN))).mul(xs);
                    if (r == 0) min0 = min0.add(mins);
                    else min1 = min1.add(mins);
                }
                for (int g = 0; g < 4; g++) {
                    FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00;
                    for (int c = 0; c < 32; c += L) {
                        int xg = xi + 64 * g + c;
                        FloatVector xl = FloatVector.fromArray(F, x, xg), xh = FloatVector.fromArray(F, x, xg + 32);
                        long q0 = b + QS + 32 * g + c;
                        IntVector q = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, q0, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        s00 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, s00);
                        s01 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s01);
                        q = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, q0 + BLOCK_BYTES, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        s10 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, s10);
                        s11 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s11);
                    }
                    acc0 = s00.fma(FloatVector.broadcast(F, w[2 * g]), acc0);
                    acc0 = s01.fma(FloatVector.broadcast(F, w[2 * g + 1]), acc0);
                    acc1 = s10.fma(FloatVector.broadcast(F, w[16 + 2 * g]), acc1);
                    acc1 = s11.fma(FloatVector.broadcast(F, w[16 + 2 * g + 1]), acc1);
                }
            }
            out[o] = acc0.reduceLanes(VectorOperators.ADD) - min0.reduceLanes(VectorOperators.ADD);
            out[o + 1] = acc1.reduceLanes(VectorOperators.ADD) - min1.reduceLanes(VectorOperators.ADD);
        }

        /**
         * {@link #dot2x16} for 8 lanes, with the nibbles read 32 bytes at a time as 8 int lanes (lane i: bytes
         * {@code 4i .. 4i+3}): byte j of every lane is taken out with a shift and a mask and multiplied with x in the
         * matching order ({@code xp}, see {@link SimdShapes#byteLaneOrder}). Zero-extending 8 bytes at a time was 30%
         * slower: C2 does not unroll that 4-step inner loop, and its bounds-check setup on each entry cost more than
         * the FMAs; zero-extending 16 bytes as two parts, 10% slower (a byte shuffle for the second part). The 8 scales
         * and 8 mins are converted as two vectors (part 0 and 1 of their 16 bytes) instead of one of 16 lanes.
         */
        private static void dot2x8(Q4_KTensor t, long b, float[] xp, float[] w, float[] out, int o) {
            VectorSpecies<Float> F = FloatVector.SPECIES_256; // 8 lanes, also where wider vectors are preferred
            MemorySegment data = t.data;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, min0 = acc0, min1 = acc0;
            for (int xi = 0, k = 32, end = t.cols; xi < end; xi += QK, k += 16, b += 2 * BLOCK_BYTES) {
                FloatVector xs = FloatVector.fromArray(F, w, k + 8); // the sums of x
                for (int r = 0; r < 2; r++) { // scales and mins as in dot2x16
                    long br = b + r * BLOCK_BYTES;
                    int a = data.get(I32_LE, br + SCALES), m = data.get(I32_LE, br + SCALES + 4), e = data.get(I32_LE, br + SCALES + 8);
                    long sc = (a & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) ((e & 0x0F0F0F0F) | ((a >>> 2) & 0x30303030)) << 32;
                    long mn = (m & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) (((e >>> 4) & 0x0F0F0F0F) | ((m >>> 2) & 0x30303030)) << 32;
                    ByteVector scm = LongVector.broadcast(LongVector.SPECIES_128, sc).withLane(1, mn).reinterpretAsBytes();
                    FloatVector v = (FloatVector) scm.convertShape(VectorOperators.ZERO_EXTEND_B2I, IntVector.SPECIES_256, 0).convert(VectorOperators.I2F, 0);
                    v.mul(Float.float16ToFloat(data.get(I16_LE, br))).intoArray(w, 16 * r);
                    v = (FloatVector) scm.convertShape(VectorOperators.ZERO_EXTEND_B2I, IntVector.SPECIES_256, 1).convert(VectorOperators.I2F, 0);
                    FloatVector mins = v.mul(Float.float16ToFloat(data.get(I16_LE, br + DMIN))).mul(xs);
                    if (r == 0) min0 = min0.add(mins);
                    else min1 = min1.add(mins);
                }
                for (int g = 0; g < 4; g++) {
                    int xg = xi + 64 * g;
                    FloatVector x0 = FloatVector.fromArray(F, xp, xg), x1 = FloatVector.fromArray(F, xp, xg + 8);
                    FloatVector x2 = FloatVector.fromArray(F, xp, xg + 16), x3 = FloatVector.fromArray(F, xp, xg + 24);
                    FloatVector x4 = FloatVector.fromArray(F, xp, xg + 32), x5 = FloatVector.fromArray(F, xp, xg + 40);
                    FloatVector x6 = FloatVector.fromArray(F, xp, xg + 48), x7 = FloatVector.fromArray(F, xp, xg + 56);
                    for (int r = 0; r < 2; r++) { // a loop, so that its body is parsed once
                        IntVector q = IntVector.fromMemorySegment(IntVector.SPECIES_256, data, b + r * BLOCK_BYTES + QS + 32 * g, ByteOrder.LITTLE_ENDIAN);
                        FloatVector lo = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).mul(x0);
                        lo = ((FloatVector) q.lanewise(VectorOperators.LSHR, 8).and(0x0F).convert(VectorOperators.I2F, 0)).fma(x1, lo);
                        lo = ((FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(0x0F).convert(VectorOperators.I2F, 0)).fma(x2, lo);
                        lo = ((FloatVector) q.lanewise(VectorOperators.LSHR, 24).and(0x0F).convert(VectorOperators.I2F, 0)).fma(x3, lo);
                        FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0)).mul(x4);
                        hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 12).and(0x0F).convert(VectorOperators.I2F, 0)).fma(x5, hi);
                        hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 20).and(0x0F).convert(VectorOperators.I2F, 0)).fma(x6, hi);
                        hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x7, hi);
                        if (r == 0) {
                            acc0 = lo.fma(FloatVector.broadcast(F, w[2 * g]), acc0);
                            acc0 = hi.fma(FloatVector.broadcast(F, w[2 * g + 1]), acc0);
                        } else {
                            acc1 = lo.fma(FloatVector.broadcast(F, w[16 + 2 * g]), acc1);
                            acc1 = hi.fma(FloatVector.broadcast(F, w[16 + 2 * g + 1]), acc1);
                        }
                    }
                }
            }
            out[o] = acc0.reduceLanes(VectorOperators.ADD) - min0.reduceLanes(VectorOperators.ADD);
            out[o + 1] = acc1.reduceLanes(VectorOperators.ADD) - min1.reduceLanes(VectorOperators.ADD);
        }

        /** Rows {@code row} and {@code row+1} (one stream when the pair is interleaved), sharing the loads of x. */
        private static void dot2(Q4_KTensor t, int row, float[] x, int xOff, float[] xs, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b0 = t.rowBase(row), b1 = t.rowBase(row + 1);
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
            float cmin0 = 0f, cmin1 = 0f;
            for (int xi = xOff, k = 0, end = xOff + t.cols; xi < end; xi += QK, k += 8, b0 += step, b1 += step) {
                float d0 = Float.float16ToFloat(data.get(I16_LE, b0)), d1 = Float.float16ToFloat(data.get(I16_LE, b1));
                int a = data.get(I32_LE, b0 + SCALES), m = data.get(I32_LE, b0 + SCALES + 4), e = data.get(I32_LE, b0 + SCALES + 8);
                long sc0 = (a & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) ((e & 0x0F0F0F0F) | ((a >>> 2) & 0x30303030)) << 32;
                long mn0 = (m & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) (((e >>> 4) & 0x0F0F0F0F) | ((m >>> 2) & 0x30303030)) << 32;
                a = data.get(I32_LE, b1 + SCALES);
                m = data.get(I32_LE, b1 + SCALES + 4);
                e = data.get(I32_LE, b1 + SCALES + 8);
                long sc1 = (a & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) ((e & 0x0F0F0F0F) | ((a >>> 2) & 0x30303030)) << 32;
                long mn1 = (m & 0x3F3F3F3F) & 0xFFFFFFFFL | (long) (((e >>> 4) & 0x0F0F0F0F) | ((m >>> 2) & 0x30303030)) << 32;
                float ms0 = 0f, ms1 = 0f;
                for (int j = 0; j < 8; j++, mn0 >>>= 8, mn1 >>>= 8) {
                    ms0 += ((int) mn0 & 0xFF) * xs[k + j];
                    ms1 += ((int) mn1 & 0xFF) * xs[k + j];
                }
                cmin0 += Float.float16ToFloat(data.get(I16_LE, b0 + DMIN)) * ms0;
                cmin1 += Float.float16ToFloat(data.get(I16_LE, b1 + DMIN)) * ms1;
                for (int g = 0; g < 4; g++) {
                    FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00;
                    for (int c = 0; c < 32; c += L) {
                        int xg = xi + 64 * g + c;
                        FloatVector xl = FloatVector.fromArray(F, x, xg), xh = FloatVector.fromArray(F, x, xg + 32);
                        long q0 = b0 + QS + 32 * g + c, q1 = b1 + QS + 32 * g + c;
                        IntVector q = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, q0)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, q0, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        s00 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, s00);
                        s01 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s01);
                        q = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, q1)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, q1, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        s10 = ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(xl, s10);
                        s11 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, s11);
                    }
                    acc0 = s00.fma(FloatVector.broadcast(F, d0 * ((int) (sc0 >>> (16 * g)) & 0xFF)), acc0);
                    acc0 = s01.fma(FloatVector.broadcast(F, d0 * ((int) (sc0 >>> (16 * g + 8)) & 0xFF)), acc0);
                    acc1 = s10.fma(FloatVector.broadcast(F, d1 * ((int) (sc1 >>> (16 * g)) & 0xFF)), acc1);
                    acc1 = s11.fma(FloatVector.broadcast(F, d1 * ((int) (sc1 >>> (16 * g + 8)) & 0xFF)), acc1);
                }
            }
            out[o] = acc0.reduceLanes(VectorOperators.ADD) - cmin0;
            out[o + 1] = acc1.reduceLanes(VectorOperators.ADD) - cmin1;
        }

        /** {@code (d*sc)*n - dmin*m} as a multiply then a subtraction in lanes, the scalar code's operations. */
        static void dequantize(Q4_KTensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                float d = Float.float16ToFloat(data.get(I16_LE, b)), dmin = Float.float16ToFloat(data.get(I16_LE, b + DMIN));
                long sc = KQuants.scalesK4(data, b + SCALES), m = KQuants.minsK4(data, b + SCALES);
                for (int g = 0; g < 4; g++) {
                    FloatVector d0 = FloatVector.broadcast(F, d * ((int) (sc >>> (16 * g)) & 0xFF)), m0 = FloatVector.broadcast(F, dmin * ((int) (m >>> (16 * g)) & 0xFF));
                    FloatVector d1 = FloatVector.broadcast(F, d * ((int) (sc >>> (16 * g + 8)) & 0xFF)), m1 = FloatVector.broadcast(F, dmin * ((int) (m >>> (16 * g + 8)) & 0xFF));
                    for (int c = 0; c < 32; c += L) {
                        long q0 = b + QS + 32 * g + c;
                        IntVector q = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, q0)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, q0, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).mul(d0).sub(m0).intoArray(dst, i + 64 * g + c);
                        ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(d1).sub(m1).intoArray(dst, i + 64 * g + 32 + c);
                    }
                }
            }
        }
    }
}
