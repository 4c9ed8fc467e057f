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
 * Q4_0 weights: blocks of 32 elements in 18 bytes, an f16 scale {@code d} then 16 bytes of nibbles. Byte j holds
 * element j in its low nibble and element j+16 in its high nibble; a nibble n stands for {@code (n - 8) * d}.
 *
 * <p>With the vector kernels, rows are repacked at load into groups of {@code G} rows ({@link
 * VectorSupport#int8GroupRows}: two per float lane at 8 and 16 lanes, walked as two halves), so that the
 * matrix-vector kernel holds one row per lane: block k of a group is G f16 scales, then 4 chunks of 2G
 * short lanes; short lane l of chunk c holds bytes 4c+2h and 4c+2h+1 (h = l % 2) of row l / 2. The activations
 * are quantized to int8 blocks first, as llama.cpp does ({@link Q8Activations}), and the products summed in 16-bit
 * lanes: no int-to-float conversion per weight. Rows past the last whole group are read from the file's bytes.
 */
public final class Q4_0Tensor extends Tensor {
    static final int QK = 32;
    static final int BLOCK_BYTES = 18;
    static final int QS = 2; // offset of the nibbles in a block
    /** Bytes per row and block in a row group: the same 18 as in the file. */
    static final int GROUP_BYTES = BLOCK_BYTES;

    public Q4_0Tensor(GgufTensor t) {
        super(t);
    }

    public Q4_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q4_0, data, rows, cols);
    }

    /** The row-group layout described above: row r's scale, then its nibble bytes in their short lanes. */
    static void packGroupRow(MemorySegment src, long b, byte[] group, int g, int r) {
        group[2 * r] = src.get(I8, b);
        group[2 * r + 1] = src.get(I8, b + 1);
        for (int j = 0; j < QK / 2; j++) group[groupQsOffset(g, r, j)] = src.get(I8, b + QS + j);
    }

    /** Offset, from the start of a grouped block, of quant byte j of the group's row r. */
    private static int groupQsOffset(int g, int r, int j) {
        return 2 * g + (j >> 2) * 4 * g + 2 * (2 * r + ((j >> 1) & 1)) + (j & 1);
    }

    /** The scale of block blk of a row, in any layout. */
    private float scale(int row, int blk) {
        if (row >= groupedRows) return Float.float16ToFloat(data().get(I16_LE, row * rowBytes + (long) blk * BLOCK_BYTES));
        return Float.float16ToFloat(data.get(I16_LE, groupBase(row, blk) + 2L * (row % rowGroup)));
    }

    /** The unsigned nibble byte j of block blk of a row, in any layout. */
    private int qs(int row, int blk, int j) {
        if (row >= groupedRows) return data().get(I8, row * rowBytes + (long) blk * BLOCK_BYTES + QS + j) & 0xFF;
        return data.get(I8, groupBase(row, blk) + groupQsOffset(rowGroup, row % rowGroup, j)) & 0xFF;
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        for (int i = 0, blk = col0 / QK; i < n; i += QK, blk++) {
            float d = scale(row, blk);
            for (int j = 0; j < QK / 2; j++) {
                int q = qs(row, blk, j);
                dst[off + i + j] = ((q & 0x0F) - 8) * d;
                dst[off + i + j + QK / 2] = ((q >>> 4) - 8) * d;
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        float sum = 0f;
        for (int i = 0, blk = 0; i < cols; i += QK, blk++) {
            float d = scale(row, blk);
            for (int j = 0; j < QK; j++) {
                int q = j < QK / 2 ? (qs(row, blk, j) & 0x0F) : (qs(row, blk, j - QK / 2) >>> 4);
                sum += (q - 8) * d * x[xOff + i + j];
            }
        }
        return sum;
    }

    /**
     * A row times int8 activations, in the arithmetic of the row-group kernel, so that both give the same bits: per
     * block the exact integer sum of n * q, then {@code acc += (isum * dx) * d} and {@code corr += d * (8 sum(q) dx)}
     * as fused multiply-adds; the result is {@code acc - corr}.
     */
    @Override
    float int8Dot(int row, Q8Activations a) {
        float acc = 0f, corr = 0f;
        byte[] q = a.q;
        for (int blk = 0, i = 0; i < cols; blk++, i += QK) {
            int isum = 0;
            for (int j = 0; j < QK / 2; j++) {
                int b = qs(row, blk, j);
                isum += (b & 0x0F) * q[i + j] + (b >>> 4) * q[i + j + QK / 2];
            }
            float d = scale(row, blk);
            acc = Math.fma(isum * a.d[blk], d, acc);
            corr = Math.fma(d, (8 * a.sums[blk]) * a.d[blk], corr);
        }
        return acc - corr;
    }

    /** Per block: 4 chunks c of 4 nibbles e of a short lane: elements 4c + (e >> 1) (+ 16 for the high nibbles). */
    static final int[] PATTERN_COLS = new int[16];

    static {
        for (int c = 0; c < 4; c++) {
            for (int e = 0; e < 4; e++) PATTERN_COLS[4 * c + e] = 4 * c + (e >> 1) + (e & 1) * (QK / 2);
        }
    }

    @Override
    int[] int8PatternCols() {
        return PATTERN_COLS;
    }

    /** Per block: {@code 8 * sum(q) * d}, the -8 offset folded out. */
    @Override
    void int8Constants(Int8Act act, int tok) {
        Q8Activations a = act.tokens[tok];
        for (int k = 0, nb = cols / QK, kb = tok * nb; k < nb; k++, kb++) act.c[kb] = (8 * a.sums[k]) * a.d[k];
    }

    @Override
    void int8Group(Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
        if (rowGroup == SimdShapes.L) Simd.group(this, act, tok, row, k0, k1, state, so, out, o);
        else Simd.groupHalves(this, act, tok, row, k0, k1, state, so, out, o);
    }

    @Override
    int int8GemmBlock() {
        return QK;
    }

    @Override
    void int8GemmPanel(int row, short[] p, float[] sc, float[] of) {
        Simd.panel(this, row, p, sc);
    }

    @Override
    protected void dequantizeVector(int row, int col0, int n, float[] dst, int off) {
        // A grouped row is decoded from the file's copy, where it is contiguous: batches of 4+ tokens go through the
        // float GEMM, which decodes its panels here, and decoding a row scattered over 4-byte pieces of its group cost
        // more than the GEMM itself (128 tokens: 52 vs 84 tok/s), as did the row-group kernel run 4 tokens at a time.
        Simd.dequantize(this, row, col0, n, dst, off);
    }

    @Override
    protected float dotVector(int row, float[] x, int xOff) {
        return int8Activations() ? dotScalar(row, x, xOff) : Simd.dot(this, row, x, xOff);
    }

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        if (int8Activations()) matmulInt8(x, xOff, 0, 1, out, outOff, 0, r0, r1);
        else if (SimdShapes.BL == SimdShapes.L) Simd.matvec(this, x, xOff, out, outOff, r0, r1);
        else super.matvecVector(x, xOff, out, outOff, r0, r1);
    }

    /**
     * Vector API kernel; a nested class so that it is loaded only when the module is present. Since (n-8)*d is
     * exact, a block contributes {@code d * sum((n[j]-8) * x[j])}: the inner sum in lanes, one fma with d per block.
     * The whole loop is one method: see {@link SimdShapes} for why.
     */
    static final class Simd {
        private static final int L = SimdShapes.L, BL = SimdShapes.BL, PARTS = SimdShapes.PARTS;

        /**
         * One group of L rows and one token. Per block the products n * q of a lane (16 of them, each at most
         * 15 * 127) are summed in 16-bit lanes: at most 30480, no overflow. A chunk's short lane holds 4 nibbles
         * (bytes 4c+2h, 4c+2h+1), taken out by shifts and masks; lanes 2r and 2r + 1 belong to row r and are added
         * as ints.
         */
        static void group(Q4_0Tensor t, Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int nb = t.cols / QK;
            int[] xp = act.xp;
            float[] dx = act.d, c8 = act.c;
            long base = t.groupBase(row, k0), step = (long) L * BLOCK_BYTES;
            FloatVector acc = FloatVector.zero(F), corr = acc;
            if (k0 > 0) {
                acc = FloatVector.fromArray(F, state, so);
                corr = FloatVector.fromArray(F, state, so + L);
            }
            for (int k = k0, kb = tok * nb + k0, xo = kb * 16; k < k1; k++, kb++, base += step) {
                ShortVector s = ShortVector.zero(S2);
                long q0 = base + 2L * L;
                for (int c = 0; c < 4; c++, q0 += 4L * L, xo += 4) {
                    ShortVector v = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                    s = s.add(v.and((short) 0x0F).mul(IntVector.broadcast(I, xp[xo]).reinterpretAsShorts()));
                    s = s.add(v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(IntVector.broadcast(I, xp[xo + 1]).reinterpretAsShorts()));
                    s = s.add(v.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(IntVector.broadcast(I, xp[xo + 2]).reinterpretAsShorts()));
                    s = s.add(v.lanewise(VectorOperators.LSHR, 12).mul(IntVector.broadcast(I, xp[xo + 3]).reinterpretAsShorts()));
                }
                FloatVector d = SimdShapes.f16ToFloats(ShortVector.fromMemorySegment(SimdShapes.S, data, base, ByteOrder.LITTLE_ENDIAN));
                IntVector pairs = s.reinterpretAsInts(); // row r: the signed low and high halves of int lane r
                IntVector i = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(pairs.lanewise(VectorOperators.ASHR, 16));
                acc = ((FloatVector) i.convert(VectorOperators.I2F, 0)).mul(dx[kb]).fma(d, acc);
                corr = d.fma(FloatVector.broadcast(F, c8[kb]), corr);
            }
            if (k1 < nb) {
                acc.intoArray(state, so);
                corr.intoArray(state, so + L);
            } else {
                acc.sub(corr).intoArray(out, o);
            }
        }

        /**
         * {@link #group} for a group of 2L rows (16 at 8 lanes, 32 at 16): each 4L-byte chunk is two L-row halves, which share
         * the activation broadcasts and the per-block scalar work.
         */
        static void groupHalves(Q4_0Tensor t, Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int nb = t.cols / QK, g2 = 2 * L;
            int[] xp = act.xp;
            float[] dx = act.d, c8 = act.c;
            long base = t.groupBase(row, k0), step = (long) g2 * BLOCK_BYTES;
            FloatVector acc0 = FloatVector.zero(F), corr0 = acc0, acc1 = acc0, corr1 = acc0;
            if (k0 > 0) {
                acc0 = FloatVector.fromArray(F, state, so);
                acc1 = FloatVector.fromArray(F, state, so + L);
                corr0 = FloatVector.fromArray(F, state, so + 2 * L);
                corr1 = FloatVector.fromArray(F, state, so + 3 * L);
            }
            for (int k = k0, kb = tok * nb + k0, xo = kb * 16; k < k1; k++, kb++, base += step) {
                ShortVector s0 = ShortVector.zero(S2), s1 = s0;
                long q0 = base + 2L * g2;
                for (int c = 0; c < 4; c++, q0 += 4L * g2, xo += 4) {
                    ShortVector v = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                    ShortVector w = ShortVector.fromMemorySegment(S2, data, q0 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                    ShortVector a = IntVector.broadcast(I, xp[xo]).reinterpretAsShorts();
                    s0 = s0.add(v.and((short) 0x0F).mul(a));
                    s1 = s1.add(w.and((short) 0x0F).mul(a));
                    a = IntVector.broadcast(I, xp[xo + 1]).reinterpretAsShorts();
                    s0 = s0.add(v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(a));
                    s1 = s1.add(w.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(a));
                    a = IntVector.broadcast(I, xp[xo + 2]).reinterpretAsShorts();
                    s0 = s0.add(v.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(a));
                    s1 = s1.add(w.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(a));
                    a = IntVector.broadcast(I, xp[xo + 3]).reinterpretAsShorts();
                    s0 = s0.add(v.lanewise(VectorOperators.LSHR, 12).mul(a));
                    s1 = s1.add(w.lanewise(VectorOperators.LSHR, 12).mul(a));
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
                FloatVector c = FloatVector.broadcast(F, c8[kb]);
                IntVector p = s0.reinterpretAsInts();
                IntVector i = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                acc0 = ((FloatVector) i.convert(VectorOperators.I2F, 0)).mul(dx[kb]).fma(d0, acc0);
                corr0 = d0.fma(c, corr0);
                p = s1.reinterpretAsInts();
                i = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
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
         * The {@link Int8Gemm} panel of rows [row, row + 2L): a chunk's short lanes 2r and 2r + 1 hold elements
         * 4c, 4c + 2 (low nibbles of their first bytes), 4c + 1, 4c + 3 (of their second bytes) and those + 16 (high
         * nibbles); minus 8, they are regrouped as ints into the pairs (4c, 4c + 1) and (4c + 2, 4c + 3) of steps
         * 2c and 2c + 1 (+ 8 for the high nibbles). The scales are the rows' f16 scales, converted in lanes.
         */
        static void panel(Q4_0Tensor t, int row, short[] p, float[] sc) {
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
                    long q0 = base + 2L * g + 4L * in;
                    for (int c = 0; c < 4; c++, q0 += 4L * g) {
                        ShortVector v = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                        int o = (2 * (16 * k + 2 * c) + h) * 2 * L; // step 16k + 2c, vector h
                        Int8Gemm.Simd.nibblePairs(v, p, o, 8);
                    }
                }
            }
        }

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
                acc = s.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, b))), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
    
        /** Reads the file's bytes (rows one after another; Q4_0 is never pair-interleaved). */
        static void dequantize(Q4_0Tensor t, int row, int col0, int n, float[] dst, int off) {
            MemorySegment data = t.data();
            long b = row * t.rowBytes + (long) (col0 / QK) * BLOCK_BYTES;
            for (int i = off, end = off + n; i < end; i += QK, b += BLOCK_BYTES) {
                FloatVector d = FloatVector.broadcast(SimdShapes.F, Float.float16ToFloat(data.get(I16_LE, b)));
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
         * Matrix-vector product with f32 activations (no row groups: repacking off, or fewer rows than lanes; Q4_0
         * is never pair-interleaved). The nibble offset is folded out of the inner loop:
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
            for (int r = r0; r < r1; r++) out[outOff + r] = dot1(t, r, x, xOff, xs8);
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
    }
}
