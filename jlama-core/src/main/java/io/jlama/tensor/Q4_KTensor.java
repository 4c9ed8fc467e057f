package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
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
 *
 * <p>With the vector kernels, rows are repacked at load into groups of {@code G} rows ({@link
 * VectorSupport#int8GroupRows}: two per float lane at 8 and 16 lanes) and multiplied with int8 activations as
 * llama.cpp does ({@link Q8Activations.Kind#Q8_K}). Super-block k of a group is
 * {@value #GROUP_BYTES} bytes per row: G {@code d} then G {@code dmin} as f32 (converted once: an f16 conversion in
 * lanes was a helper call that C2 did not inline into the kernel, and cost 20% of the decoding speed), the 8 scales
 * then the 8 mins unpacked to bytes ({@code [j][row]}, G bytes each), then 32 chunks of 2G short lanes: short lane l
 * of chunk i holds nibble bytes 4i+2h and 4i+2h+1 (h = l % 2) of row l / 2. Rows past the last whole group are read
 * from the file's bytes.
 */
public final class Q4_KTensor extends Tensor {
    static final int QK = KQuants.QK;
    static final int BLOCK_BYTES = 144;
    static final int DMIN = 2;   // offset of dmin in a block
    static final int SCALES = 4; // offset of the packed scales and mins
    static final int QS = 16;    // offset of the nibbles
    /** Bytes per row and super-block in a row group: d, dmin, 8 scales, 8 mins, 128 nibble bytes. */
    static final int GROUP_BYTES = 152;

    public Q4_KTensor(GgufTensor t) {
        super(t);
    }

    public Q4_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q4_K, data, rows, cols);
    }

    /** The row-group layout described above: row r's d, dmin, unpacked scales and mins, and nibble bytes. */
    static void packGroupRow(MemorySegment src, long b, byte[] group, int g, int r) {
        packGroupHeader(src, b, group, g, r);
        for (int i = 0; i < QK / 2; i++) group[groupQsOffset(g, r, i)] = src.get(I8, b + QS + i);
    }

    /** Row r's d, dmin, unpacked scales and mins in a group's block image: Q4_K's and Q5_K's (the same header). */
    static void packGroupHeader(MemorySegment src, long b, byte[] group, int g, int r) {
        putFloat(group, 4 * r, Float.float16ToFloat(src.get(I16_LE, b)));
        putFloat(group, 4 * g + 4 * r, Float.float16ToFloat(src.get(I16_LE, b + DMIN)));
        for (int j = 0; j < 8; j++) {
            group[8 * g + j * g + r] = (byte) KQuants.scaleK4(src, b + SCALES, j);
            group[16 * g + j * g + r] = (byte) KQuants.minK4(src, b + SCALES, j);
        }
    }

    /** Offset, from the start of a grouped super-block, of nibble byte i of the group's row r. */
    private static int groupQsOffset(int g, int r, int i) {
        return 24 * g + (i >> 2) * 4 * g + 2 * (2 * r + ((i >> 1) & 1)) + (i & 1);
    }


    /** {@code d} (field 0) or {@code dmin} (field DMIN) of super-block k of a row of t (Q4_K or Q5_K), in any layout. */
    private static float scaleD(Tensor t, int row, int k, int field, int blockBytes) {
        if (row < t.groupedRows) return t.data.get(F32_LE, t.groupBase(row, k) + 2L * field * t.rowGroup + 4L * (row % t.rowGroup));
        return Float.float16ToFloat(t.data().get(I16_LE, row * t.rowBytes + (long) k * blockBytes + field));
    }

    /** Scale (mins = false) or min j of super-block k of a row of t (Q4_K or Q5_K), in any layout. */
    private static int scaleOrMin(Tensor t, int row, int k, int j, boolean mins, int blockBytes) {
        if (row < t.groupedRows) return t.data.get(I8, t.groupBase(row, k) + (mins ? 16 : 8) * t.rowGroup + (long) j * t.rowGroup + row % t.rowGroup) & 0xFF;
        long s = row * t.rowBytes + (long) k * blockBytes + SCALES;
        return mins ? KQuants.minK4(t.data(), s, j) : KQuants.scaleK4(t.data(), s, j);
    }

    /** The integer value of element e (0..255) of super-block k of a row. */
    interface ElementValue {
        int at(int k, int e);
    }

    /**
     * The twin of Q4_K's and Q5_K's row-group kernels (the same header and the same arithmetic; value gives the
     * row's elements): per super-block the exact integer sums {@code isum = sum_j sc[j] * sum(n * q)} and {@code msum
     * = sum_j m[j] * sum(q over sub-block j)}, then {@code acc += (isum * dy) * d} and {@code corr += (msum * dy) *
     * dmin} as fused multiply-adds; the result is {@code acc - corr}.
     */
    static float int8DotK4(Tensor t, int row, Q8Activations a, int blockBytes, ElementValue value) {
        float acc = 0f, corr = 0f;
        byte[] q = a.q;
        for (int k = 0, nb = t.cols / QK; k < nb; k++) {
            int isum = 0, msum = 0;
            for (int j = 0; j < 8; j++) {
                int s = 0;
                for (int l = 0; l < 32; l++) s += value.at(k, 32 * j + l) * q[QK * k + 32 * j + l];
                isum += scaleOrMin(t, row, k, j, false, blockBytes) * s;
                msum += scaleOrMin(t, row, k, j, true, blockBytes) * (a.sums[16 * k + 2 * j] + a.sums[16 * k + 2 * j + 1]);
            }
            acc = Math.fma(isum * a.d[k], scaleD(t, row, k, 0, blockBytes), acc);
            corr = Math.fma(msum * a.d[k], scaleD(t, row, k, DMIN, blockBytes), corr);
        }
        return acc - corr;
    }

    /** Nibble byte i (0..127) of super-block k of a row, in any layout. */
    private int qs(int row, int k, int i) {
        if (row < groupedRows) return data.get(I8, groupBase(row, k) + groupQsOffset(rowGroup, row % rowGroup, i)) & 0xFF;
        return data().get(I8, row * rowBytes + (long) k * BLOCK_BYTES + QS + i) & 0xFF;
    }

    /**
     * A row times Q8_K activations, in the arithmetic of the row-group kernel, so that both give the same bits
     * ({@link #int8DotK4}; llama.cpp sums the same integers; at most 8 * 63 * 32 * 15 * 127 in magnitude, so no
     * overflow).
     */
    @Override
    float int8Dot(int row, Q8Activations a) {
        return int8DotK4(this, row, a, BLOCK_BYTES, (k, e) -> (qs(row, k, 32 * (e >> 6) + (e & 31)) >>> 4 * ((e >> 5) & 1)) & 0x0F);
    }

    /**
     * Per super-block: 32 chunks i (bytes 4i .. 4i+3 of the nibbles, group i / 8) of 4 nibbles p of a short lane:
     * low and high nibble of its first byte, then of its second.
     */
    static final int[] PATTERN_COLS = new int[128];

    static {
        for (int i = 0; i < 32; i++) {
            for (int p = 0; p < 4; p++) PATTERN_COLS[4 * i + p] = 64 * (i >> 3) + 4 * (i & 7) + (p >> 1) + 32 * (p & 1);
        }
    }

    @Override
    int[] int8PatternCols() {
        return PATTERN_COLS;
    }

    @Override
    void int8Constants(Int8Act act, int tok) {
        subBlockSums(act, tok, cols);
    }

    /** Per super-block: the sums of q over each sub-block of 32, for the mins (Q4_K and Q5_K). */
    static void subBlockSums(Int8Act act, int tok, int cols) {
        Q8Activations a = act.tokens[tok];
        for (int k = 0, nb = cols / QK, kb = tok * nb; k < nb; k++, kb++) {
            for (int j = 0; j < 8; j++) act.sums[Int8Act.SUMS * kb + j] = a.sums[16 * k + 2 * j] + a.sums[16 * k + 2 * j + 1];
        }
    }

    /** Sub-blocks of 32: the scale {@code d*sc[j]} and the offset {@code 8*d*sc[j] - dmin*m[j]} (nibbles minus 8). */
    @Override
    int int8GemmBlock() {
        return 32;
    }

    @Override
    boolean int8GemmOffsets() {
        return true;
    }

    @Override
    void int8GemmPanel(int row, short[] p, float[] sc, float[] of) {
        Simd.panel(this, row, p, sc, of);
    }

    @Override
    void int8Group(Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
        if (rowGroup == SimdShapes.L) Simd.group(this, act, tok, row, k0, k1, state, so, out, o);
        else Simd.groupHalves(this, act, tok, row, k0, k1, state, so, out, o);
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        MemorySegment data = plain();
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b)), dmin = Float.float16ToFloat(data.get(I16_LE, b + DMIN));
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
        MemorySegment data = plain();
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b)), dmin = Float.float16ToFloat(data.get(I16_LE, b + DMIN));
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
        Simd.dequantize(this, plain(), row, col0, n, dst, off);
    }

    @Override
    protected float dotVector(int row, float[] x, int xOff) {
        if (int8Activations()) return dotScalar(row, x, xOff);
        float[] xs = SimdShapes.sumsBuffer(cols / 32);
        SimdShapes.blockSums(x, xOff, cols / 32, 32, xs);
        return Simd.dot1(this, row, x, xOff, xs);
    }

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        if (int8Activations()) matmulInt8(x, xOff, 0, 1, out, outOff, 0, r0, r1);
        else Simd.matvec(this, x, xOff, out, outOff, r0, r1);
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

        /**
         * One group of L rows and one token. A chunk's short lane holds 4 nibbles: those of its first and third
         * (bits 0-3, 8-11) belong to the group's low sub-block, the others to the high one. Each short lane sums 16
         * products of at most 15 * 127 per sub-block (no overflow); lanes 2r and 2r+1 are then added as ints, times
         * the sub-block scales in int lanes. The mins: bytes times the sub-block sums of q, in int lanes.
         */
        static void group(Q4_KTensor t, Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int nb = t.cols / QK;
            int[] xp = act.xp, bs = act.sums;
            float[] dy = act.d;
            long base = t.groupBase(row, k0), step = (long) L * GROUP_BYTES;
            FloatVector acc = FloatVector.zero(F), corr = acc;
            if (k0 > 0) {
                acc = FloatVector.fromArray(F, state, so);
                corr = FloatVector.fromArray(F, state, so + L);
            }
            for (int k = k0, kb = tok * nb + k0, xo = kb * 128; k < k1; k++, kb++, base += step) {
                // the block's header first (d, dmin, mins), so that its bytes are read in address order
                FloatVector d = FloatVector.fromMemorySegment(F, data, base, ByteOrder.LITTLE_ENDIAN);
                FloatVector dmin = FloatVector.fromMemorySegment(F, data, base + 4L * L, ByteOrder.LITTLE_ENDIAN);
                IntVector msum = IntVector.zero(I);
                for (int j = 0; j < 8; j++) {
                    IntVector m = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, base + 16L * L + (long) j * L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    msum = msum.add(m.mul(bs[Int8Act.SUMS * kb + j]));
                }
                corr = ((FloatVector) msum.convert(VectorOperators.I2F, 0)).mul(dy[kb]).fma(dmin, corr);
                IntVector isum = IntVector.zero(I);
                long q0 = base + 24L * L;
                for (int g = 0; g < 4; g++) {
                    ShortVector lo = ShortVector.zero(S2), hi = lo;
                    for (int c = 0; c < 8; c++, q0 += 4L * L, xo += 4) {
                        ShortVector v = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                        lo = lo.add(v.and((short) 0x0F).mul(IntVector.broadcast(I, xp[xo]).reinterpretAsShorts()));
                        hi = hi.add(v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(IntVector.broadcast(I, xp[xo + 1]).reinterpretAsShorts()));
                        lo = lo.add(v.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(IntVector.broadcast(I, xp[xo + 2]).reinterpretAsShorts()));
                        hi = hi.add(v.lanewise(VectorOperators.LSHR, 12).mul(IntVector.broadcast(I, xp[xo + 3]).reinterpretAsShorts()));
                    }
                    IntVector p = lo.reinterpretAsInts();
                    IntVector il = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    p = hi.reinterpretAsInts();
                    IntVector ih = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    long sc = base + 8L * L + 2L * g * L;
                    IntVector s0 = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector s1 = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    isum = isum.add(il.mul(s0)).add(ih.mul(s1));
                }
                acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).mul(dy[kb]).fma(d, acc);
            }
            if (k1 < nb) {
                acc.intoArray(state, so);
                corr.intoArray(state, so + L);
            } else {
                acc.sub(corr).intoArray(out, o);
            }
        }

        /**
         * {@link #group} for a group of 2L rows (16 at 8 lanes, 32 at 16): each 4L-byte chunk is two L-row halves,
         * which share the activation broadcasts and the per-super-block scalar work.
         */
        static void groupHalves(Q4_KTensor t, Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int nb = t.cols / QK, g2 = 2 * L;
            int[] xp = act.xp, bs = act.sums;
            float[] dy = act.d;
            long base = t.groupBase(row, k0), step = (long) g2 * GROUP_BYTES;
            FloatVector acc0 = FloatVector.zero(F), corr0 = acc0, acc1 = acc0, corr1 = acc0;
            if (k0 > 0) {
                acc0 = FloatVector.fromArray(F, state, so);
                acc1 = FloatVector.fromArray(F, state, so + L);
                corr0 = FloatVector.fromArray(F, state, so + 2 * L);
                corr1 = FloatVector.fromArray(F, state, so + 3 * L);
            }
            for (int k = k0, kb = tok * nb + k0, xo = kb * 128; k < k1; k++, kb++, base += step) {
                // the block's header first (d, dmin, mins), so that its bytes are read in address order
                float y = dy[kb];
                FloatVector d0 = FloatVector.fromMemorySegment(F, data, base, ByteOrder.LITTLE_ENDIAN);
                FloatVector d1 = FloatVector.fromMemorySegment(F, data, base + 4L * L, ByteOrder.LITTLE_ENDIAN);
                IntVector msum0 = IntVector.zero(I), msum1 = msum0;
                for (int j = 0; j < 8; j++) {
                    long m = base + 16L * g2 + (long) j * g2;
                    int b = bs[Int8Act.SUMS * kb + j];
                    msum0 = msum0.add(((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, m, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).mul(b));
                    msum1 = msum1.add(((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, m + L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).mul(b));
                }
                corr0 = ((FloatVector) msum0.convert(VectorOperators.I2F, 0)).mul(y).fma(FloatVector.fromMemorySegment(F, data, base + 4L * g2, ByteOrder.LITTLE_ENDIAN), corr0);
                corr1 = ((FloatVector) msum1.convert(VectorOperators.I2F, 0)).mul(y).fma(FloatVector.fromMemorySegment(F, data, base + 4L * g2 + 4L * L, ByteOrder.LITTLE_ENDIAN), corr1);
                IntVector isum0 = IntVector.zero(I), isum1 = isum0;
                long q0 = base + 24L * g2;
                for (int g = 0; g < 4; g++) {
                    ShortVector lo0 = ShortVector.zero(S2), hi0 = lo0, lo1 = lo0, hi1 = lo0;
                    for (int c = 0; c < 8; c++, q0 += 4L * g2, xo += 4) {
                        ShortVector v = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                        ShortVector w = ShortVector.fromMemorySegment(S2, data, q0 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                        ShortVector a = IntVector.broadcast(I, xp[xo]).reinterpretAsShorts();
                        lo0 = lo0.add(v.and((short) 0x0F).mul(a));
                        lo1 = lo1.add(w.and((short) 0x0F).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 1]).reinterpretAsShorts();
                        hi0 = hi0.add(v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(a));
                        hi1 = hi1.add(w.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 2]).reinterpretAsShorts();
                        lo0 = lo0.add(v.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(a));
                        lo1 = lo1.add(w.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(a));
                        a = IntVector.broadcast(I, xp[xo + 3]).reinterpretAsShorts();
                        hi0 = hi0.add(v.lanewise(VectorOperators.LSHR, 12).mul(a));
                        hi1 = hi1.add(w.lanewise(VectorOperators.LSHR, 12).mul(a));
                    }
                    long sc = base + 8L * g2 + 2L * g * g2;
                    IntVector p = lo0.reinterpretAsInts();
                    IntVector il = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    p = hi0.reinterpretAsInts();
                    IntVector ih = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    IntVector s0 = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector s1 = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + g2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    isum0 = isum0.add(il.mul(s0)).add(ih.mul(s1));
                    p = lo1.reinterpretAsInts();
                    il = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    p = hi1.reinterpretAsInts();
                    ih = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    s0 = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    s1 = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + g2 + L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    isum1 = isum1.add(il.mul(s0)).add(ih.mul(s1));
                }
                acc0 = ((FloatVector) isum0.convert(VectorOperators.I2F, 0)).mul(y).fma(d0, acc0);
                acc1 = ((FloatVector) isum1.convert(VectorOperators.I2F, 0)).mul(y).fma(d1, acc1);
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
         * The {@link Int8Gemm} panel of rows [row, row + 2L): chunk 8g + c's short lanes 2r and 2r + 1 hold, in their
         * low nibbles, elements 64g + 4c, +2 (first bytes) and +1, +3 (second bytes) of sub-block 2g, and in their
         * high nibbles the same of sub-block 2g + 1 (+32); minus 8, they are regrouped as ints into the pairs of
         * steps 32g + 2c, 32g + 2c + 1 (+ 16 for the high nibbles).
         */
        static void panel(Q4_KTensor t, int row, short[] p, float[] sc, float[] of) {
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int g = t.rowGroup, nb = t.cols / QK;
            for (int h = 0; h < 2; h++) {
                int r = row + h * L, in = r % g;
                long base = 0, step = (long) g * GROUP_BYTES;
                for (int k = 0, end = 0; k < nb; k++, base += step) {
                    if (k == end) { // a column block starts (see Tensor.groupBase): its blocks follow each other
                        base = t.groupBase(r, k);
                        end = t.groupBlockEnd(k);
                    }
                    FloatVector d = FloatVector.fromMemorySegment(SimdShapes.F, data, base + 4L * in, ByteOrder.LITTLE_ENDIAN);
                    FloatVector dmin = FloatVector.fromMemorySegment(SimdShapes.F, data, base + 4L * g + 4L * in, ByteOrder.LITTLE_ENDIAN);
                    for (int j = 0; j < 8; j++) { // 8 * (d * sc) - dmin * m: exact products, one rounding
                        FloatVector ds = d.mul((FloatVector) SimdShapes.unsignedBytes(data, base + 8L * g + (long) j * g + in).convert(VectorOperators.I2F, 0));
                        FloatVector m = dmin.mul((FloatVector) SimdShapes.unsignedBytes(data, base + 16L * g + (long) j * g + in).convert(VectorOperators.I2F, 0));
                        int at = (2 * (8 * k + j) + h) * L;
                        ds.intoArray(sc, at);
                        ds.mul(8f).sub(m).intoArray(of, at);
                    }
                    long q0 = base + 24L * g + 4L * in;
                    for (int i = 0; i < 32; i++, q0 += 4L * g) {
                        ShortVector v = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                        int o = (2 * (128 * k + 32 * (i >> 3) + 2 * (i & 7)) + h) * 2 * L; // step 128k + 32g + 2c, vector h
                        Int8Gemm.Simd.nibblePairs(v, p, o, 16);
                    }
                }
            }
        }

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
        static void dequantize(Q4_KTensor t, MemorySegment data, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
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
