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
 * IQ4_XS weights: super-blocks of 256 elements in 136 bytes: an f16 scale {@code d}, a uint16 {@code scales_h}, 4
 * bytes {@code scales_l}, then 128 bytes of 4-bit indices, 16 per sub-block of 32 laid out as IQ4_NL's blocks (byte j
 * of sub-block s: element 32s+j low, 32s+16+j high). Sub-block s has the 6-bit scale
 * {@code ls = (scales_l >> 4s & 15) | (scales_h >> 2s & 3) << 4} (scales_l read as one little-endian int), and an index
 * n stands for {@code (d*(ls-32)) * KVALUES[n]} ({@link IQ4_NLTensor#KVALUES}); both products are exact.
 *
 * <p>With the vector kernels, rows are repacked at load into groups of {@code G = 2L} rows ({@link
 * VectorSupport#int8GroupRows}) and multiplied with int8 activations as llama.cpp does ({@link
 * Q8Activations.Kind#Q8_K}). Super-block k of a group is {@value #GROUP_BYTES} bytes per row: G {@code d} as f32, then
 * per sub-block s 4 chunks of 2G short lanes laid out as {@link Q4_0Tensor}'s (lane l of chunk c: index bytes 16s + 4c
 * + 2h, + 1, h = l % 2, of row l / 2) and the G scales minus 32 as signed bytes, after the chunks that use them (read
 * back from the block's start, as Q3_K's first layout did, they slowed the stream from memory).
 * A grid value (-127..113) times an int8 activation does not fit 16-bit sums, so the kernel looks each index up twice
 * ({@code selectFrom}: one permutation of 2L short lanes), as {@code KVALUES[n] >> 4} (-8..7) and {@code & 15}, and
 * sums both products like Q4_0's nibbles: 140 bytes per row and super-block against the file's 136.
 */
public final class IQ4_XSTensor extends Tensor {
    static final int QK = KQuants.QK;
    static final int BLOCK_BYTES = 136;
    static final int SCALES_H = 2; // offset of scales_h
    static final int SCALES_L = 4; // offset of scales_l
    static final int QS = 8;       // offset of the indices
    private static final byte[] KVALUES = IQ4_NLTensor.KVALUES;
    /** Bytes per row and super-block in a row group: d as f32, 8 scales, 128 index bytes. */
    static final int GROUP_BYTES = 140;
    /** The grid's high and low parts ({@code KVALUES[n] >> 4}, {@code & 15}), repeated to fill 32 short lanes. */
    private static final short[] GRID_HIGH = new short[32], GRID_LOW = new short[32];

    static {
        for (int i = 0; i < 32; i++) {
            GRID_HIGH[i] = (short) (KVALUES[i & 15] >> 4);
            GRID_LOW[i] = (short) (KVALUES[i & 15] & 15);
        }
    }

    /** The 6-bit scale of sub-block s (0..7) of the super-block at b, stored +32. */
    private static int scale(MemorySegment data, long b, int s) {
        return (data.get(I32_LE, b + SCALES_L) >>> 4 * s & 0x0F) | (data.get(I16_LE, b + SCALES_H) >>> 2 * s & 3) << 4;
    }

    /** The row-group layout described above: row r's d, scales minus 32, and index bytes in their short lanes. */
    static void packGroupRow(MemorySegment src, long b, byte[] group, int g, int r) {
        putFloat(group, 4 * r, Float.float16ToFloat(src.get(I16_LE, b)));
        for (int s = 0; s < 8; s++) group[4 * g + s * 17 * g + 16 * g + r] = (byte) (scale(src, b, s) - 32);
        for (int i = 0; i < QK / 2; i++) group[groupQsOffset(g, r, i)] = src.get(I8, b + QS + i);
    }

    /** Offset, from the start of a grouped super-block, of index byte i (0..127) of the group's row r. */
    private static int groupQsOffset(int g, int r, int i) {
        return 4 * g + (i >> 4) * 17 * g + ((i >> 2) & 3) * 4 * g + 2 * (2 * r + ((i >> 1) & 1)) + (i & 1);
    }

    /** The grid value of element e (0..255) of super-block k of a row, in any layout. */
    private int value(int row, int k, int e) {
        int i = 16 * (e >> 5) + (e & 15), shift = (e & 16) >> 2; // its index byte, and which nibble
        int q = row < groupedRows ? data.get(I8, groupBase(row, k) + groupQsOffset(rowGroup, row % rowGroup, i))
                : data().get(I8, row * rowBytes + (long) k * BLOCK_BYTES + QS + i);
        return KVALUES[q >> shift & 0x0F];
    }

    /**
     * A row times Q8_K activations, in the arithmetic of the row-group kernel, so that both give the same bits: per
     * super-block the exact integer sum {@code isum = sum_s (ls[s] - 32) * sum(KVALUES[n] * q)} (at most 8 * 32 * 32 *
     * 127 * 127 in magnitude), then {@code acc += (isum * dy) * d} as a fused multiply-add.
     */
    @Override
    float int8Dot(int row, Q8Activations a) {
        long file = row * rowBytes;
        return KQuants.int8DotScaled(cols, a, 32, (k, e) -> value(row, k, e),
                (k, s) -> row < groupedRows ? data.get(I8, groupBase(row, k) + 4L * rowGroup + 17L * s * rowGroup + 16L * rowGroup + row % rowGroup) : scale(data(), file + (long) k * BLOCK_BYTES, s) - 32,
                k -> row < groupedRows ? data.get(F32_LE, groupBase(row, k) + 4L * (row % rowGroup)) : Float.float16ToFloat(data().get(I16_LE, file + (long) k * BLOCK_BYTES)));
    }

    /** Per super-block, Q4_0's lane patterns for each of the 8 sub-blocks of 32. */
    private static final int[] PATTERN_COLS = new int[128];

    static {
        for (int i = 0; i < 128; i++) PATTERN_COLS[i] = 32 * (i >> 4) + Q4_0Tensor.PATTERN_COLS[i & 15];
    }

    @Override
    int[] int8PatternCols() {
        return PATTERN_COLS;
    }

    @Override
    void int8Group(Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
        Simd.groupHalves(this, act, tok, row, k0, k1, state, so, out, o);
    }

    public IQ4_XSTensor(GgufTensor t) {
        super(t);
    }

    public IQ4_XSTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.IQ4_XS, data, rows, cols);
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        MemorySegment data = plain();
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b));
            for (int s = 0; s < 8; s++) {
                float dl = d * (scale(data, b, s) - 32);
                for (int j = 0; j < 16; j++) {
                    int q = data.get(I8, b + QS + 16 * s + j) & 0xFF;
                    dst[i + 32 * s + j] = dl * KVALUES[q & 0x0F];
                    dst[i + 32 * s + 16 + j] = dl * KVALUES[q >>> 4];
                }
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        MemorySegment data = plain();
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b));
            for (int s = 0; s < 8; s++) {
                float dl = d * (scale(data, b, s) - 32);
                for (int j = 0; j < 16; j++) {
                    int q = data.get(I8, b + QS + 16 * s + j) & 0xFF;
                    sum += dl * KVALUES[q & 0x0F] * x[i + 32 * s + j];
                    sum += dl * KVALUES[q >>> 4] * x[i + 32 * s + 16 + j];
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
        return int8Activations() ? dotScalar(row, x, xOff) : Simd.dot(this, row, x, xOff);
    }

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        if (int8Activations()) matmulInt8(x, xOff, 0, 1, out, outOff, 0, r0, r1);
        else super.matvecVector(x, xOff, out, outOff, r0, r1);
    }

    /**
     * Vector API kernels; a nested class so that it is loaded only when the module is present. The 16 index bytes of
     * a sub-block are looked up in the grid as one 128-bit byte vector (a byte shuffle: pshufb, tbl), then widened to
     * float lanes in 1, 2 or 4 literal parts; a sub-block contributes {@code d*(ls-32) * sum(grid[n] * x)}. Each kernel calls
     * nothing but the Vector API: see {@link SimdShapes}.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;
        /** 16 bytes: one sub-block's indices, and the whole grid. */
        static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

        static float dot(IQ4_XSTensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.plain();
            ByteVector grid = ByteVector.fromArray(B16, KVALUES, 0);
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc = FloatVector.zero(F);
            for (int xb = xOff, end = xOff + t.cols; xb < end; xb += QK, b += step) {
                float d = Float.float16ToFloat(data.get(I16_LE, b));
                int sl = data.get(I32_LE, b + SCALES_L), sh = data.get(I16_LE, b + SCALES_H);
                for (int sb = 0, xi = xb; sb < 8; sb++, xi += 32) {
                    ByteVector q = ByteVector.fromMemorySegment(B16, data, b + QS + 16 * sb, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = q.and((byte) 0x0F).selectFrom(grid);
                    ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).selectFrom(grid);
                    FloatVector s;
                    if (L == 16) {
                        s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xi));
                        s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + 16), s);
                    } else if (L == 8) {
                        s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xi));
                        s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xi + 8), s);
                        s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + 16), s);
                        s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xi + 24), s);
                    } else {
                        s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xi));
                        s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xi + 4), s);
                        s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 2)).fma(FloatVector.fromArray(F, x, xi + 8), s);
                        s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 3)).fma(FloatVector.fromArray(F, x, xi + 12), s);
                        s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + 16), s);
                        s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xi + 20), s);
                        s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 2)).fma(FloatVector.fromArray(F, x, xi + 24), s);
                        s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 3)).fma(FloatVector.fromArray(F, x, xi + 28), s);
                    }
                    acc = s.fma(FloatVector.broadcast(F, d * (((sl >>> 4 * sb & 0x0F) | (sh >>> 2 * sb & 3) << 4) - 32)), acc);
                }
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        /**
         * A group of 2L rows (two L-row halves sharing the activation broadcasts) and one token. Per chunk a short
         * lane holds 4 indices, taken out as Q4_0's nibbles and looked up in the grid's high and low parts; per
         * sub-block the high products (at most 8 * 127, 16 per lane) and the low ones (at most 15 * 127, 16 per lane)
         * are summed in 16-bit lanes, their lane pairs added as ints, {@code 16 * high + low} times the sub-block's
         * scale in int lanes.
         */
        static void groupHalves(IQ4_XSTensor t, Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int nb = t.cols / QK, g2 = 2 * L;
            int[] xp = act.xp;
            float[] dy = act.d;
            ShortVector gh = ShortVector.fromArray(S2, GRID_HIGH, 0), gl = ShortVector.fromArray(S2, GRID_LOW, 0);
            long base = t.groupBase(row, k0), step = (long) g2 * GROUP_BYTES;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
            if (k0 > 0) {
                acc0 = FloatVector.fromArray(F, state, so);
                acc1 = FloatVector.fromArray(F, state, so + L);
            }
            for (int k = k0, kb = tok * nb + k0, xo = kb * 128; k < k1; k++, kb++, base += step) {
                IntVector isum0 = IntVector.zero(I), isum1 = isum0;
                long q0 = base + 4L * g2;
                for (int sb = 0; sb < 8; sb++) {
                    ShortVector h0 = ShortVector.zero(S2), l0 = h0, h1 = h0, l1 = h0;
                    for (int c = 0; c < 4; c++, q0 += 4L * g2, xo += 4) {
                        ShortVector v = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                        ShortVector w = ShortVector.fromMemorySegment(S2, data, q0 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                        ShortVector a = IntVector.broadcast(I, xp[xo]).reinterpretAsShorts();
                        ShortVector iv = v.and((short) 0x0F), iw = w.and((short) 0x0F);
                        h0 = h0.add(iv.selectFrom(gh).mul(a));
                        l0 = l0.add(iv.selectFrom(gl).mul(a));
                        h1 = h1.add(iw.selectFrom(gh).mul(a));
                        l1 = l1.add(iw.selectFrom(gl).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 1]).reinterpretAsShorts();
                        iv = v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F);
                        iw = w.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F);
                        h0 = h0.add(iv.selectFrom(gh).mul(a));
                        l0 = l0.add(iv.selectFrom(gl).mul(a));
                        h1 = h1.add(iw.selectFrom(gh).mul(a));
                        l1 = l1.add(iw.selectFrom(gl).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 2]).reinterpretAsShorts();
                        iv = v.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F);
                        iw = w.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F);
                        h0 = h0.add(iv.selectFrom(gh).mul(a));
                        l0 = l0.add(iv.selectFrom(gl).mul(a));
                        h1 = h1.add(iw.selectFrom(gh).mul(a));
                        l1 = l1.add(iw.selectFrom(gl).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 3]).reinterpretAsShorts();
                        iv = v.lanewise(VectorOperators.LSHR, 12);
                        iw = w.lanewise(VectorOperators.LSHR, 12);
                        h0 = h0.add(iv.selectFrom(gh).mul(a));
                        l0 = l0.add(iv.selectFrom(gl).mul(a));
                        h1 = h1.add(iw.selectFrom(gh).mul(a));
                        l1 = l1.add(iw.selectFrom(gl).mul(a));
                    }
                    // lane pairs as ints: the high sums fit 16 bits in the pair (one shift less), the low ones may not
                    long sc = q0; // the sub-block's scales follow its chunks
                    q0 += g2;
                    IntVector p = h0.reinterpretAsInts(), q = l0.reinterpretAsInts();
                    IntVector i = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 12).and(~15)
                            .add(q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(q.lanewise(VectorOperators.ASHR, 16));
                    isum0 = isum0.add(i.mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = h1.reinterpretAsInts();
                    q = l1.reinterpretAsInts();
                    i = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 12).and(~15)
                            .add(q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(q.lanewise(VectorOperators.ASHR, 16));
                    isum1 = isum1.add(i.mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
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

        /** {@code (d*(ls-32)) * grid[n]}: the scalar product, then one multiplication in lanes, as the scalar code. */
        static void dequantize(IQ4_XSTensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.plain();
            ByteVector grid = ByteVector.fromArray(B16, KVALUES, 0);
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int ib = off, end = off + n; ib < end; ib += QK, b += step) {
                float dd = Float.float16ToFloat(data.get(I16_LE, b));
                int sl = data.get(I32_LE, b + SCALES_L), sh = data.get(I16_LE, b + SCALES_H);
                for (int sb = 0, i = ib; sb < 8; sb++, i += 32) {
                    FloatVector d = FloatVector.broadcast(F, dd * (((sl >>> 4 * sb & 0x0F) | (sh >>> 2 * sb & 3) << 4) - 32));
                    ByteVector q = ByteVector.fromMemorySegment(B16, data, b + QS + 16 * sb, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = q.and((byte) 0x0F).selectFrom(grid);
                    ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).selectFrom(grid);
                    if (L == 16) {
                        ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i);
                        ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i + 16);
                    } else if (L == 8) {
                        ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i);
                        ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).mul(d).intoArray(dst, i + 8);
                        ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i + 16);
                        ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).mul(d).intoArray(dst, i + 24);
                    } else {
                        ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i);
                        ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).mul(d).intoArray(dst, i + 4);
                        ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 2)).mul(d).intoArray(dst, i + 8);
                        ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 3)).mul(d).intoArray(dst, i + 12);
                        ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, i + 16);
                        ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).mul(d).intoArray(dst, i + 20);
                        ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 2)).mul(d).intoArray(dst, i + 24);
                        ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 3)).mul(d).intoArray(dst, i + 28);
                    }
                }
            }
        }
    }
}
