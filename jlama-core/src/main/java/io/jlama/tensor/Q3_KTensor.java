package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
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
 *
 * <p>With the vector kernels, rows are repacked at load into groups of {@code G = 2L} rows ({@link
 * VectorSupport#int8GroupRows}) and multiplied with int8 activations as llama.cpp does ({@link
 * Q8Activations.Kind#Q8_K}). Super-block k of a group is {@value #GROUP_BYTES} bytes per row: G {@code d} as f32, then
 * for each half h and l-step c (l = 4c .. 4c+3) two chunks X, Y of 2G short lanes, and after each quarter's 4
 * l-steps the scales minus 32 of its 4 sub-blocks as signed bytes ({@code [j][row]}, G bytes each): read where
 * the kernel uses them, not back from the block's start (with the scales first, one thread streamed 6.7 GB/s of
 * file bytes from memory). Short lane s holds the 8 values of row s / 2 at the elements of {@link
 * Q6_KTensor}'s lanes ({@code 128h + l + (p & 1) + 32 (p >> 1)}, p = 0..7, l = 4c + 2 (s % 2)) as nibbles
 * {@code q + 4} (0..7), p = 0..3 in X and 4..7 in Y, lowest first: a mask and at most one shift take one out, as in
 * {@link Q4_KTensor}; the kernel subtracts 4 times the activations' sum per sub-block. (Signed nibbles, taken out by
 * two shifts each, ran at 6-8 GB/s of file bytes on one thread against Q4_K's 23: on Zen 4 a 512-bit vector shift
 * issues once per cycle, and the shifts, not the multiplies, bounded the kernel.) 148 bytes against the file's 110.
 */
public final class Q3_KTensor extends Tensor {
    static final int QK = KQuants.QK;
    static final int BLOCK_BYTES = 110;
    static final int QS = 32;     // offset of the 2-bit pairs
    static final int SCALES = 96; // offset of the packed scales
    static final int D = 108;     // offset of d
    /** Bytes per row and super-block in a row group: d as f32, 16 scales, 128 bytes of nibbles. */
    static final int GROUP_BYTES = 148;

    public Q3_KTensor(GgufTensor t) {
        super(t);
    }

    public Q3_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q3_K, data, rows, cols);
    }

    /** The signed 3-bit value (-4..3) of element e of the super-block at b. */
    private static int value(MemorySegment data, long b, int e) {
        int h = e >> 7, j = (e >> 5) & 3, l = e & 31;
        int q = data.get(I8, b + QS + 32 * h + l) >> 2 * j & 3;
        return (data.get(I8, b + l) >> (4 * h + j) & 1) != 0 ? q : q - 4;
    }

    /** The scale (-32..31) of the sub-block of 16 holding element e. */
    private static int scale(MemorySegment data, long b, int e) {
        int h = e >> 7, j = (e >> 5) & 3, l = e & 31;
        return KQuants.at(KQuants.scalesQ3(data, b + SCALES, h), 2 * j + (l >> 4)) - 32;
    }

    /** The row-group layout described above: row r's d, scales, and its values plus 4 as nibbles in X and Y. */
    static void packGroupRow(MemorySegment src, long b, byte[] group, int g, int r) {
        putFloat(group, 4 * r, Float.float16ToFloat(src.get(I16_LE, b + D)));
        for (int j = 0; j < 16; j++) group[scaleOffset(g, r, j)] = (byte) scale(src, b, 16 * j);
        for (int h = 0; h < 2; h++) {
            for (int c = 0; c < 8; c++) {
                for (int t = 0; t < 2; t++) {
                    for (int part = 0; part < 2; part++) {
                        int v = 0;
                        for (int n = 0; n < 4; n++) {
                            int p = 4 * part + n;
                            v |= (value(src, b, 128 * h + 4 * c + 2 * t + (p & 1) + 32 * (p >> 1)) + 4) << 4 * n;
                        }
                        int at = groupOffset(g, r, h, c, t, part);
                        group[at] = (byte) v;
                        group[at + 1] = (byte) (v >>> 8);
                    }
                }
            }
        }
    }

    /** Offset, from the start of a grouped super-block, of the short of chunk X (part 0) or Y of l-step c of half h. */
    private static int groupOffset(int g, int r, int h, int c, int t, int part) {
        int step = 8 * h + c; // quarter step / 4
        return 4 * g + (step >> 2) * 36 * g + ((step & 3) * 2 + part) * 4 * g + 2 * (2 * r + t);
    }

    /**
     * Offset, from the start of a grouped super-block, of row r's scale of sub-block j: after the values of its quarter
     * (2h + j % 2, h = j / 8), so that the kernel reads them in address order (see the class comment).
     */
    private static int scaleOffset(int g, int r, int j) {
        return 4 * g + (2 * (j >> 3) + (j & 1)) * 36 * g + 32 * g + ((j >> 1) & 3) * g + r;
    }


    /** The value (-4..3) of element e of super-block k of a row, in any layout. */
    private int value(int row, int k, int e) {
        if (row >= groupedRows) return value(data(), row * rowBytes + (long) k * BLOCK_BYTES, e);
        int h = e >> 7, l = e & 31, p = (l & 1) + 2 * ((e >> 5) & 3);
        short v = data.get(I16_LE, groupBase(row, k) + groupOffset(rowGroup, row % rowGroup, h, l >> 2, (l >> 1) & 1, p >> 2));
        return (v >> 4 * (p & 3) & 15) - 4;
    }

    /**
     * A row times Q8_K activations, in the arithmetic of the row-group kernel, so that both give the same bits: per
     * super-block the exact integer sum {@code isum = sum_j (sc[j] - 32) * sum(q3 * q)} over the 16 sub-blocks of 16
     * (at most 16 * 32 * 16 * 4 * 127 in magnitude), then {@code acc += (isum * dy) * d} as a fused multiply-add.
     */
    @Override
    float int8Dot(int row, Q8Activations a) {
        long file = row * rowBytes;
        return KQuants.int8DotScaled(cols, a, 16, (k, e) -> value(row, k, e),
                (k, j) -> row < groupedRows ? data.get(I8, groupBase(row, k) + scaleOffset(rowGroup, row % rowGroup, j)) : scale(data(), file + (long) k * BLOCK_BYTES, 16 * j),
                k -> row < groupedRows ? data.get(F32_LE, groupBase(row, k) + 4L * (row % rowGroup)) : Float.float16ToFloat(data().get(I16_LE, file + (long) k * BLOCK_BYTES + D)));
    }

    /** The values sit in Q6_K's lane order: the same lane patterns. */
    @Override
    int[] int8PatternCols() {
        return Q6_KTensor.PATTERN_COLS;
    }

    /** Per super-block: 4 times the sums of q over each sub-block of 16, which the kernel subtracts (values q3 + 4). */
    @Override
    void int8Constants(Int8Act act, int tok) {
        Q8Activations a = act.tokens[tok];
        for (int k = 0, nb = cols / QK, kb = tok * nb; k < nb; k++, kb++) {
            for (int j = 0; j < 16; j++) act.sums[Int8Act.SUMS * kb + j] = 4 * a.sums[16 * k + j];
        }
    }

    @Override
    void int8Group(Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
        Simd.groupHalves(this, act, tok, row, k0, k1, state, so, out, o);
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        MemorySegment data = plain();
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D));
            for (int e = 0; e < QK; e += 16) {
                float dl = d * scale(data, b, e);
                for (int l = 0; l < 16; l++) dst[i + e + l] = dl * value(data, b, e + l);
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        MemorySegment data = plain();
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D));
            for (int e = 0; e < QK; e += 16) {
                float dl = d * scale(data, b, e);
                for (int l = 0; l < 16; l++) sum += dl * value(data, b, e + l) * x[i + e + l];
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
        return int8Activations() ? dotScalar(row, x, xOff) : Simd.dot1(this, row, x, xOff);
    }

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        if (int8Activations()) matmulInt8(x, xOff, 0, 1, out, outOff, 0, r0, r1);
        else Simd.matvec(this, x, xOff, out, outOff, r0, r1);
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
            MemorySegment data = t.plain();
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
        /**
         * A group of 2L rows (two L-row halves sharing the activation broadcasts) and one token. Per l-step a short
         * lane of X and Y holds 8 values q3 + 4, two of each of the sub-blocks at +0, +2, +4, +6 of the quarter, taken
         * out as in {@link Q4_KTensor}'s kernel; (q3 + 4) times q8 is at most 889 in magnitude, 8 per lane and
         * sub-block. Then lanes 2r and 2r+1 are added as ints, minus 4 times the sub-block's sum of q8, times the
         * signed sub-block scales in int lanes.
         */
        static void groupHalves(Q3_KTensor t, Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int nb = t.cols / QK, g2 = 2 * L;
            int[] xp = act.xp, bs = act.sums;
            float[] dy = act.d;
            long base = t.groupBase(row, k0), step = (long) g2 * GROUP_BYTES;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
            if (k0 > 0) {
                acc0 = FloatVector.fromArray(F, state, so);
                acc1 = FloatVector.fromArray(F, state, so + L);
            }
            for (int k = k0, kb = tok * nb + k0, xo = kb * 128; k < k1; k++, kb++, base += step) {
                IntVector isum0 = IntVector.zero(I), isum1 = isum0;
                long q0 = base + 4L * g2;
                for (int quarter = 0; quarter < 4; quarter++) { // half quarter / 2, l from 16 (quarter % 2)
                    ShortVector s00 = ShortVector.zero(S2), s02 = s00, s04 = s00, s06 = s00, s10 = s00, s12 = s00, s14 = s00, s16 = s00;
                    for (int c = 0; c < 4; c++, q0 += 8L * g2, xo += 8) {
                        ShortVector x0 = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                        ShortVector x1 = ShortVector.fromMemorySegment(S2, data, q0 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                        ShortVector y0 = ShortVector.fromMemorySegment(S2, data, q0 + 4L * g2, ByteOrder.LITTLE_ENDIAN);
                        ShortVector y1 = ShortVector.fromMemorySegment(S2, data, q0 + 4L * g2 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                        ShortVector a = IntVector.broadcast(I, xp[xo]).reinterpretAsShorts();
                        s00 = s00.add(x0.and((short) 0x0F).mul(a));
                        s10 = s10.add(x1.and((short) 0x0F).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 1]).reinterpretAsShorts();
                        s00 = s00.add(x0.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(a));
                        s10 = s10.add(x1.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 2]).reinterpretAsShorts();
                        s02 = s02.add(x0.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(a));
                        s12 = s12.add(x1.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 3]).reinterpretAsShorts();
                        s02 = s02.add(x0.lanewise(VectorOperators.LSHR, 12).mul(a));
                        s12 = s12.add(x1.lanewise(VectorOperators.LSHR, 12).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 4]).reinterpretAsShorts();
                        s04 = s04.add(y0.and((short) 0x0F).mul(a));
                        s14 = s14.add(y1.and((short) 0x0F).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 5]).reinterpretAsShorts();
                        s04 = s04.add(y0.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(a));
                        s14 = s14.add(y1.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 6]).reinterpretAsShorts();
                        s06 = s06.add(y0.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(a));
                        s16 = s16.add(y1.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 7]).reinterpretAsShorts();
                        s06 = s06.add(y0.lanewise(VectorOperators.LSHR, 12).mul(a));
                        s16 = s16.add(y1.lanewise(VectorOperators.LSHR, 12).mul(a));
                    }
                    // lane pairs as ints (each lane at most 8 * 889: the pair fits 16 bits, one shift less), minus 4 sum(q8),
                    // times the scales
                    int j = 8 * (quarter >> 1) + (quarter & 1), sb = Int8Act.SUMS * kb + j; // sub-blocks j, j + 2, j + 4, j + 6
                    long sc = q0; // their scales follow the quarter's values
                    q0 += 4L * g2;
                    IntVector p = s00.reinterpretAsInts(), m = IntVector.broadcast(I, bs[sb]);
                    isum0 = isum0.add(p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).sub(m).mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = s10.reinterpretAsInts();
                    isum1 = isum1.add(p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).sub(m).mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = s02.reinterpretAsInts();
                    m = IntVector.broadcast(I, bs[sb + 2]);
                    isum0 = isum0.add(p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).sub(m).mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + g2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = s12.reinterpretAsInts();
                    isum1 = isum1.add(p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).sub(m).mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + g2 + L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = s04.reinterpretAsInts();
                    m = IntVector.broadcast(I, bs[sb + 4]);
                    isum0 = isum0.add(p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).sub(m).mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + 2L * g2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = s14.reinterpretAsInts();
                    isum1 = isum1.add(p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).sub(m).mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + 2L * g2 + L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = s06.reinterpretAsInts();
                    m = IntVector.broadcast(I, bs[sb + 6]);
                    isum0 = isum0.add(p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).sub(m).mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + 3L * g2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = s16.reinterpretAsInts();
                    isum1 = isum1.add(p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).sub(m).mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + 3L * g2 + L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                }
                float y = dy[kb];
                acc0 = ((FloatVector) isum0.convert(VectorOperators.I2F, 0)).mul(y).fma(FloatVector.fromMemorySegment(F, data, base, ByteOrder.LITTLE_ENDIAN), acc0);
                acc1 = ((FloatVector) isum1.convert(VectorOperators.I2F, 0)).mul(y).fma(FloatVector.fromMemorySegment(F, data, base + 4L * L, ByteOrder.LITTLE_ENDIAN), acc1);
            }
            if (k1 < nb) {
                acc0.intoArray(state, so);
                acc1.intoArray(state, so + L);
            } else {
                acc0.intoArray(out, o);
                acc1.intoArray(out, o + L);
            }
        }

        static void dequantize(Q3_KTensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.plain();
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
