package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q5_0 weights: blocks of 32 elements in 22 bytes: an f16 scale {@code d}, a little-endian uint32 {@code qh} of
 * fifth bits, then 16 bytes of low nibbles (byte j: element j low, element j+16 high). Bit e of qh is the fifth bit
 * of element e (for both halves: ggml's {@code (qh >> (j+12)) & 0x10} is bit j+16). A 5-bit value n stands for
 * {@code (n - 16) * d}.
 *
 * <p>With the vector kernels, rows are repacked at load into groups of {@code G = 2L} rows ({@link
 * VectorSupport#int8GroupRows}) and multiplied with int8 activations as llama.cpp does ({@link
 * Q8Activations.Kind#Q8_0}): block k of a group is G f16 scales, a fifth-bit plane of 2G short lanes, then 4 chunks of
 * 2G short lanes laid out as {@link Q4_0Tensor}'s; plane lane l holds the 16 fifth bits of the 16 nibbles that lane l
 * holds in the 4 chunks, placed as {@link Q5_KTensor#hBit} places them. 22 bytes per row and block, as in the file.
 */
public final class Q5_0Tensor extends Tensor {
    static final int QK = 32;
    static final int BLOCK_BYTES = 22;
    static final int QH = 2; // offset of the fifth bits in a block
    static final int QS = 6; // offset of the nibbles in a block
    /** Bytes per row and block in a row group: the same 22 as in the file. */
    static final int GROUP_BYTES = BLOCK_BYTES;

    public Q5_0Tensor(GgufTensor t) {
        super(t);
    }

    public Q5_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q5_0, data, rows, cols);
    }

    private float scale(long b) {
        return Float.float16ToFloat(plain().get(I16_LE, b));
    }

    private int qh(long b) {
        return plain().get(I32_LE, b + QH);
    }

    /** The 5-bit value (0..31) of element e of the block at b. */
    private int value(long b, int qh, int e) {
        int q = plain().get(I8, b + QS + (e & 15)) & 0xFF;
        int nibble = e < QK / 2 ? q & 0x0F : q >>> 4;
        return nibble | ((qh >>> e) & 1) << 4;
    }


    /** The row-group layout described above: row r's scale, its fifth-bit plane lanes, its nibble bytes. */
    static void packGroupRow(MemorySegment src, long b, byte[] group, int g, int r) {
        group[2 * r] = src.get(I8, b);
        group[2 * r + 1] = src.get(I8, b + 1);
        int qh = src.get(I32_LE, b + QH);
        for (int j = 0; j < QK / 2; j++) group[groupQsOffset(g, r, j)] = src.get(I8, b + QS + j);
        for (int h = 0; h < 2; h++) {
            int plane = 0;
            for (int j = 2 * h; j < QK / 2; j += 4) { // the lane's nibble bytes j, j + 1 per chunk
                for (int e = 0; e < 2; e++) {
                    for (int high = 0; high < 2; high++) plane |= (qh >>> (j + e + 16 * high) & 1) << Q5_KTensor.hBit(j + e, high);
                }
            }
            group[2 * g + 2 * (2 * r + h)] = (byte) plane;
            group[2 * g + 2 * (2 * r + h) + 1] = (byte) (plane >>> 8);
        }
    }

    /** Offset, from the start of a grouped block, of nibble byte j of the group's row r. */
    private static int groupQsOffset(int g, int r, int j) {
        return 6 * g + (j >> 2) * 4 * g + 2 * (2 * r + ((j >> 1) & 1)) + (j & 1);
    }

    /** The scale of block blk of a row, in any layout. */
    private float scale(int row, int blk) {
        if (row >= groupedRows) return Float.float16ToFloat(data().get(I16_LE, row * rowBytes + (long) blk * BLOCK_BYTES));
        return Float.float16ToFloat(data.get(I16_LE, groupBase(row, blk) + 2L * (row % rowGroup)));
    }

    /** The 5-bit value (0..31) of element e of block blk of a row, in any layout. */
    private int value(int row, int blk, int e) {
        if (row >= groupedRows) {
            long b = row * rowBytes + (long) blk * BLOCK_BYTES;
            return value(b, qh(b), e);
        }
        int j = e & 15, high = e >> 4, r = row % rowGroup;
        long base = groupBase(row, blk);
        int nibble = (data.get(I8, base + groupQsOffset(rowGroup, r, j)) >> 4 * high) & 0x0F;
        int plane = data.get(I16_LE, base + 2L * rowGroup + 2 * (2 * r + ((j >> 1) & 1)));
        return nibble | ((plane >> Q5_KTensor.hBit(j, high)) & 1) << 4;
    }

    /**
     * A row times int8 activations, in the arithmetic of the row-group kernel, so that both give the same bits: per
     * block the exact integer sum of n * q (n the 5-bit values), then {@code acc += (isum * dx) * d} and {@code corr +=
     * d * (16 sum(q) dx)} as fused multiply-adds; the result is {@code acc - corr}.
     */
    @Override
    float int8Dot(int row, Q8Activations a) {
        float acc = 0f, corr = 0f;
        byte[] q = a.q;
        for (int blk = 0, i = 0; i < cols; blk++, i += QK) {
            int isum = 0;
            for (int e = 0; e < QK; e++) isum += value(row, blk, e) * q[i + e];
            float d = scale(row, blk);
            acc = Math.fma(isum * a.d[blk], d, acc);
            corr = Math.fma(d, (16 * a.sums[blk]) * a.d[blk], corr);
        }
        return acc - corr;
    }

    /** The nibbles sit where Q4_0's do: the same lane patterns. */
    @Override
    int[] int8PatternCols() {
        return Q4_0Tensor.PATTERN_COLS;
    }

    /** Per block: {@code 16 * sum(q) * d}, the -16 offset folded out. */
    @Override
    void int8Constants(Int8Act act, int tok) {
        Q8Activations a = act.tokens[tok];
        for (int k = 0, nb = cols / QK, kb = tok * nb; k < nb; k++, kb++) act.c[kb] = (16 * a.sums[k]) * a.d[k];
    }

    @Override
    void int8Group(Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
        Simd.groupHalves(this, act, tok, row, k0, k1, state, so, out, o);
    }

    /** Blocks of 32, the values n - 16 and the scale d. */
    @Override
    int int8GemmBlock() {
        return QK;
    }

    @Override
    boolean int8GemmWide() {
        return true;
    }

    @Override
    void int8GemmPanel(int row, short[] p, float[] sc, float[] of) {
        Simd.panel(this, row, p, sc);
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
        return int8Activations() ? dotScalar(row, x, xOff) : Simd.dot(this, row, x, xOff);
    }

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        if (int8Activations()) matmulInt8(x, xOff, 0, 1, out, outOff, 0, r0, r1);
        else super.matvecVector(x, xOff, out, outOff, r0, r1);
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
            MemorySegment data = t.plain();
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
    
        /**
         * A group of 2L rows (two L-row halves sharing the activation broadcasts) and one token, as {@link
         * Q4_0Tensor}'s kernel with the fifth bits merged in as {@link Q5_KTensor}'s kernel does: {@code t1 = (v &
         * 0x0F0F) | (plane & 0x1010)} and {@code t2 = ((v >>> 4) & 0x0F0F) | ((plane << 4) & 0x1010)} hold the 4
         * five-bit values of a lane in their bytes. Products of at most 31 * 127, 8 per lane in each of two short
         * accumulators (31496: no overflow); lanes 2r and 2r+1 are added as ints.
         */
        static void groupHalves(Q5_0Tensor t, Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int nb = t.cols / QK, g2 = 2 * L;
            int[] xp = act.xp;
            float[] dx = act.d, c16 = act.c;
            long base = t.groupBase(row, k0), step = (long) g2 * BLOCK_BYTES;
            FloatVector acc0 = FloatVector.zero(F), corr0 = acc0, acc1 = acc0, corr1 = acc0;
            if (k0 > 0) {
                acc0 = FloatVector.fromArray(F, state, so);
                acc1 = FloatVector.fromArray(F, state, so + L);
                corr0 = FloatVector.fromArray(F, state, so + 2 * L);
                corr1 = FloatVector.fromArray(F, state, so + 3 * L);
            }
            for (int k = k0, kb = tok * nb + k0, xo = kb * 16; k < k1; k++, kb++, base += step) {
                ShortVector s0 = ShortVector.zero(S2), s1 = s0, u0 = s0, u1 = s0;
                ShortVector h0 = ShortVector.fromMemorySegment(S2, data, base + 2L * g2, ByteOrder.LITTLE_ENDIAN);
                ShortVector h1 = ShortVector.fromMemorySegment(S2, data, base + 2L * g2 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                long q0 = base + 6L * g2;
                for (int c = 0; c < 4; c++, q0 += 4L * g2, xo += 4) {
                    ShortVector v = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                    ShortVector w = ShortVector.fromMemorySegment(S2, data, q0 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                    ShortVector p = h0.lanewise(VectorOperators.LSHR, c), u = h1.lanewise(VectorOperators.LSHR, c);
                    ShortVector v1 = v.and((short) 0x0F0F).or(p.and((short) 0x1010));
                    ShortVector v2 = v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F).or(p.lanewise(VectorOperators.LSHL, 4).and((short) 0x1010));
                    ShortVector w1 = w.and((short) 0x0F0F).or(u.and((short) 0x1010));
                    ShortVector w2 = w.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F).or(u.lanewise(VectorOperators.LSHL, 4).and((short) 0x1010));
                    ShortVector a = IntVector.broadcast(I, xp[xo]).reinterpretAsShorts();
                    s0 = s0.add(v1.and((short) 0xFF).mul(a));
                    s1 = s1.add(w1.and((short) 0xFF).mul(a));
                    a = IntVector.broadcast(I, xp[xo + 1]).reinterpretAsShorts();
                    s0 = s0.add(v2.and((short) 0xFF).mul(a));
                    s1 = s1.add(w2.and((short) 0xFF).mul(a));
                    a = IntVector.broadcast(I, xp[xo + 2]).reinterpretAsShorts();
                    u0 = u0.add(v1.lanewise(VectorOperators.LSHR, 8).mul(a));
                    u1 = u1.add(w1.lanewise(VectorOperators.LSHR, 8).mul(a));
                    a = IntVector.broadcast(I, xp[xo + 3]).reinterpretAsShorts();
                    u0 = u0.add(v2.lanewise(VectorOperators.LSHR, 8).mul(a));
                    u1 = u1.add(w2.lanewise(VectorOperators.LSHR, 8).mul(a));
                }
                // SimdShapes.f16ToFloats written out (as a call it was not inlined into this kernel)
                IntVector h = ((IntVector) ShortVector.fromMemorySegment(SimdShapes.S, data, base, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13);
                h = h.and(0x8FFFE000).lanewise(VectorOperators.OR, 0x7F800000, h.and(0x0FFFE000).compare(VectorOperators.GE, 0x0F800000));
                FloatVector d0 = h.reinterpretAsFloats().mul(0x1p112f);
                h = ((IntVector) ShortVector.fromMemorySegment(SimdShapes.S, data, base + 2L * L, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13);
                h = h.and(0x8FFFE000).lanewise(VectorOperators.OR, 0x7F800000, h.and(0x0FFFE000).compare(VectorOperators.GE, 0x0F800000));
                FloatVector d1 = h.reinterpretAsFloats().mul(0x1p112f);
                FloatVector c = FloatVector.broadcast(F, c16[kb]);
                // the lane pairs as ints (each lane at most 8 * 31 * 127: their sum may exceed 16 bits)
                IntVector q = s0.reinterpretAsInts();
                IntVector i = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
                q = u0.reinterpretAsInts();
                i = i.add(q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(q.lanewise(VectorOperators.ASHR, 16));
                acc0 = ((FloatVector) i.convert(VectorOperators.I2F, 0)).mul(dx[kb]).fma(d0, acc0);
                corr0 = d0.fma(c, corr0);
                q = s1.reinterpretAsInts();
                i = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
                q = u1.reinterpretAsInts();
                i = i.add(q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(q.lanewise(VectorOperators.ASHR, 16));
                acc1 = ((FloatVector) i.convert(VectorOperators.I2F, 0)).mul(dx[kb]).fma(d1, acc1);
                corr1 = d1.fma(c, corr1);
            }
            if (k1 < nb) {
                acc0.intoArray(state, so);
                acc1.intoArray(state, so + L);
                corr0.intoArray(state, so + 2 * L);
                corr1.intoArray(state, so + 3 * L);
            } else {
                acc0.sub(corr0).intoArray(out, o);
                acc1.sub(corr1).intoArray(out, o + L);
            }
        }

        /**
         * The {@link Int8Gemm} panel of rows [row, row + 2L) (one group), as {@link Q4_0Tensor}'s: the 5-bit values
         * of a chunk's lanes put together as in {@link #groupHalves}, minus 16, regrouped as ints into the column pairs
         * (4c, 4c + 1) and (4c + 2, 4c + 3) of steps 2c and 2c + 1 (+ 8 for the high nibbles).
         */
        static void panel(Q5_0Tensor t, int row, short[] p, float[] sc) {
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int g = t.rowGroup, nb = t.cols / QK;
            for (int h = 0; h < 2; h++) {
                int r = row + h * L, in = r % g;
                long base = 0, step = (long) g * BLOCK_BYTES;
                for (int k = 0, end = 0; k < nb; k++, base += step) {
                    if (k == end) { // a column block starts (see Tensor.groupBase): its blocks follow each other
                        base = t.groupBase(r, k);
                        end = t.groupBlockEnd(k);
                    }
                    SimdShapes.f16ToFloats(ShortVector.fromMemorySegment(SimdShapes.S, data, base + 2L * in, ByteOrder.LITTLE_ENDIAN)).intoArray(sc, (2 * k + h) * L);
                    ShortVector plane = ShortVector.fromMemorySegment(S2, data, base + 2L * g + 4L * in, ByteOrder.LITTLE_ENDIAN);
                    long q0 = base + 6L * g + 4L * in;
                    for (int c = 0; c < 4; c++, q0 += 4L * g) {
                        ShortVector v = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                        ShortVector u = plane.lanewise(VectorOperators.LSHR, c);
                        ShortVector t1 = v.and((short) 0x0F0F).or(u.and((short) 0x1010));
                        ShortVector t2 = v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F).or(u.lanewise(VectorOperators.LSHL, 4).and((short) 0x1010));
                        int o = (2 * (16 * k + 2 * c) + h) * 2 * L; // step 16k + 2c, vector h
                        Int8Gemm.Simd.columnPairs(t1.and((short) 0xFF).sub((short) 16), t1.lanewise(VectorOperators.LSHR, 8).sub((short) 16), p, o);
                        Int8Gemm.Simd.columnPairs(t2.and((short) 0xFF).sub((short) 16), t2.lanewise(VectorOperators.LSHR, 8).sub((short) 16), p, o + 8 * 4 * L);
                    }
                }
            }
        }

        static void dequantize(Q5_0Tensor t, int row, int col0, int n, float[] dst, int off) {
            MemorySegment data = t.plain();
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
