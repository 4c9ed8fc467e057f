package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q6_K weights: super-blocks of 256 elements in 210 bytes: 128 bytes {@code ql} of low nibbles, 64 bytes {@code qh}
 * of high bit pairs, 16 signed 8-bit scales {@code sc} (one per sub-block of 16), then an f16 scale {@code d}. In
 * half h (elements {@code 128h ..}), for l &lt; 32, with {@code L = ql[64h ..]}, {@code H = qh[32h + l]}:
 * element {@code 128h + l} is {@code L[l] & 15 | (H & 3) << 4}, element {@code +32} is {@code L[l+32] & 15 | (H >> 2 & 3) << 4},
 * element {@code +64} is {@code L[l] >> 4 | (H >> 4 & 3) << 4} and element {@code +96} is
 * {@code L[l+32] >> 4 | (H >> 6) << 4}; a 6-bit value q stands for {@code (d*sc)*(q-32)}, rounded once after each
 * product, as ggml computes it.
 *
 * <p>With the vector kernels, rows are repacked at load into groups of {@code G} rows (G = the float lane count) and
 * multiplied with int8 activations as llama.cpp does ({@link Q8Activations.Kind#Q8_K}). Super-block k of a group is
 * {@value #GROUP_BYTES} bytes per row: G {@code d} as f32 (see {@link Q4_KTensor}), then for each half h and l-step c
 * (l = 4c .. 4c+3) three chunks X, Y, Z of 2G short lanes, and after each quarter's 4 l-steps the 16-row scales of
 * its 4 sub-blocks ({@code [j][row]}, G bytes each), where the kernel reads them. Short
 * lane s of them holds the 8 values of row s / 2 at elements {@code 128h + l + (p & 1) + 32 (p >> 1)}, p = 0..7, with
 * {@code l = 4c + 2 (s % 2)} (the pattern order, {@link #PATTERN_COLS}), each as {@code u = q ^ 32}, whose 6 bits
 * read as a signed number are {@code q - 32}: {@code X = u0 << 10 | u1 << 4 | u2 & 15}, {@code Y = u3 << 10 | u4 << 4
 * | u5 & 15}, {@code Z = u6 << 10 | u7 << 4 | (u2 >> 4) << 2 | u5 >> 4}. So the kernel takes a value out with an
 * arithmetic shift (and a left shift, or a blend of two shifts), 17 operations for the 8 values of a lane where the
 * file's bit order took 43. Rows past the last whole group are read from the file's bytes.
 */
public final class Q6_KTensor extends Tensor {
    static final int QK = KQuants.QK;
    static final int BLOCK_BYTES = 210;
    static final int QH = 128;     // offset of the high bit pairs
    static final int SCALES = 192; // offset of the int8 scales
    static final int D = 208;      // offset of d
    /** Chunks of an l-step of a grouped super-block: X, Y, Z (see above). */
    private static final int PART_X = 0, PART_Y = 1, PART_Z = 2;
    /** Bytes per row and super-block in a row group: d as f32, 16 scales, 192 bytes of ql and qh. */
    static final int GROUP_BYTES = 212;

    public Q6_KTensor(GgufTensor t) {
        super(t);
    }

    public Q6_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q6_K, data, rows, cols);
    }

    /** The 6-bit value (0..63) of element e of the super-block at b. */
    private static int value(MemorySegment data, long b, int e) {
        int h = e >> 7, k = (e >> 5) & 3, l = e & 31;
        int lo = data.get(I8, b + 64 * h + 32 * (k & 1) + l) >> 4 * (k >> 1) & 0x0F;
        int hi = data.get(I8, b + QH + 32 * h + l) >> 2 * k & 3;
        return lo | hi << 4;
    }

    /** The scale of the sub-block of 16 holding element e (sub-block e / 16). */
    private static int scale(MemorySegment data, long b, int e) {
        return data.get(I8, b + SCALES + e / 16);
    }

    /** The row-group layout described above: row r's d, scales, and its values packed as X, Y and Z. */
    static void packGroupRow(MemorySegment src, long b, byte[] group, int g, int r) {
        putFloat(group, 4 * r, Float.float16ToFloat(src.get(I16_LE, b + D)));
        for (int j = 0; j < 16; j++) group[scaleOffset(g, r, j)] = src.get(I8, b + SCALES + j);
        int[] u = new int[8];
        for (int h = 0; h < 2; h++) {
            for (int c = 0; c < 8; c++) {
                for (int t = 0; t < 2; t++) {
                    for (int p = 0; p < 8; p++) u[p] = value(src, b, 128 * h + 4 * c + 2 * t + (p & 1) + 32 * (p >> 1)) ^ 32;
                    putShort(group, groupOffset(g, r, h, c, t, PART_X), u[0] << 10 | u[1] << 4 | u[2] & 15);
                    putShort(group, groupOffset(g, r, h, c, t, PART_Y), u[3] << 10 | u[4] << 4 | u[5] & 15);
                    putShort(group, groupOffset(g, r, h, c, t, PART_Z), u[6] << 10 | u[7] << 4 | (u[2] >> 4) << 2 | u[5] >> 4);
                }
            }
        }
    }

    private static void putShort(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
    }

    /** Offset, from the start of a grouped super-block, of the short of a chunk of l-step c of half h, row r, lane parity t. */
    private static int groupOffset(int g, int r, int h, int c, int t, int part) {
        int step = 8 * h + c; // quarter step / 4
        return 4 * g + (step >> 2) * 52 * g + ((step & 3) * 3 + part) * 4 * g + 2 * (2 * r + t);
    }

    /**
     * Offset, from the start of a grouped super-block, of row r's scale of sub-block j: after the values of its quarter
     * (2h + j % 2, h = j / 8), so that the kernel reads them in address order (see the class comment).
     */
    static int scaleOffset(int g, int r, int j) {
        return 4 * g + (2 * (j >> 3) + (j & 1)) * 52 * g + 48 * g + ((j >> 1) & 3) * g + r;
    }


    /** The 6-bit value of element e of super-block k of a row, in any layout. */
    private int value(int row, int k, int e) {
        if (row >= groupedRows) return value(data(), row * rowBytes + (long) k * BLOCK_BYTES, e);
        int h = e >> 7, l = e & 31, c = l >> 2, t = (l >> 1) & 1, p = (l & 1) + 2 * ((e >> 5) & 3);
        long b = groupBase(row, k);
        int r = row % rowGroup;
        int x = data.get(I16_LE, b + groupOffset(rowGroup, r, h, c, t, PART_X)) & 0xFFFF;
        int y = data.get(I16_LE, b + groupOffset(rowGroup, r, h, c, t, PART_Y)) & 0xFFFF;
        int z = data.get(I16_LE, b + groupOffset(rowGroup, r, h, c, t, PART_Z)) & 0xFFFF;
        int u = switch (p) {
            case 0 -> x >> 10;
            case 1 -> x >> 4 & 63;
            case 2 -> x & 15 | (z >> 2 & 3) << 4;
            case 3 -> y >> 10;
            case 4 -> y >> 4 & 63;
            case 5 -> y & 15 | (z & 3) << 4;
            case 6 -> z >> 10;
            default -> z >> 4 & 63;
        };
        return u ^ 32;
    }

    /**
     * A row times Q8_K activations, in the arithmetic of the row-group kernel, so that both give the same bits: per
     * super-block the exact integer sum {@code isum = sum_j sc[j] * sum((q6 - 32) * q)} over the 16 sub-blocks of 16
     * (at most 16 * 128 * 16 * 32 * 127 in magnitude), then {@code acc += (isum * dy) * d} as a fused multiply-add.
     */
    @Override
    float int8Dot(int row, Q8Activations a) {
        long file = row * rowBytes;
        return KQuants.int8DotScaled(cols, a, 16, (k, e) -> value(row, k, e) - 32,
                (k, j) -> row < groupedRows ? data.get(I8, groupBase(row, k) + scaleOffset(rowGroup, row % rowGroup, j)) : data().get(I8, file + (long) k * BLOCK_BYTES + SCALES + j),
                k -> row < groupedRows ? data.get(F32_LE, groupBase(row, k) + 4L * (row % rowGroup)) : Float.float16ToFloat(data().get(I16_LE, file + (long) k * BLOCK_BYTES + D)));
    }

    /**
     * Per super-block: for each half h and l-step c (l = 4c ..), 8 values p of a short lane: elements
     * {@code 128h + l + (p & 1) + 32 (p >> 1)}.
     */
    static final int[] PATTERN_COLS = new int[128];

    static {
        for (int i = 0; i < 16; i++) {
            for (int p = 0; p < 8; p++) PATTERN_COLS[8 * i + p] = 128 * (i >> 3) + 4 * (i & 7) + (p & 1) + 32 * (p >> 1);
        }
    }

    @Override
    int[] int8PatternCols() {
        return PATTERN_COLS;
    }

    /** Sub-blocks of 16: the scale {@code d*sc[j]} (exact), the values q6 - 32. */
    @Override
    int int8GemmBlock() {
        return 16;
    }

    @Override
    void int8GemmPanel(int row, short[] p, float[] sc, float[] of) {
        Simd.panel(this, row, p, sc);
    }

    @Override
    void int8Group(Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
        Simd.group(this, act, tok, row, k0, k1, state, so, out, o);
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        MemorySegment data = plain();
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D));
            for (int e = 0; e < QK; e++) dst[i + e] = d * scale(data, b, e) * (value(data, b, e) - 32);
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        MemorySegment data = plain();
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D));
            for (int e = 0; e < QK; e++) sum += d * scale(data, b, e) * (value(data, b, e) - 32) * x[i + e];
        }
        return sum;
    }

    @Override
    protected void dequantizeVector(int row, int col0, int n, float[] dst, int off) {
        Simd.dequantize(this, plain(), row, col0, n, dst, off);
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
     * one quarter of a super-block: 16 bytes of {@code ql} from each half of the half-block and 16 of {@code qh}, which
     * give four sub-blocks of 16, decoded in int lanes (q-32 included, exact), converted and fma'd with x; then one
     * fma per sub-block with {@code d*sc} (exact). Written without helper methods: see {@link SimdShapes}.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;

        /**
         * One group of L rows and one token. Per l-step a short lane of X, Y and Z holds 8 values, two of each of
         * the sub-blocks at +0, +2, +4, +6 of the quarter, each taken out as q6 - 32 by an arithmetic shift (see the
         * class comment; the BITWISE_BLEND is one vpternlog with AVX-512); q6 - 32 (-32 .. 31) times q8 is at most 4064 in
         * magnitude, and 4 l-steps add 8 of them per lane (32512: no overflow). Then lanes 2r and 2r+1 are added
         * as ints, times the signed sub-block scales in int lanes.
         */
        static void group(Q6_KTensor t, Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int nb = t.cols / QK;
            int[] xp = act.xp;
            float[] dy = act.d;
            long base = t.groupBase(row, k0), step = (long) L * GROUP_BYTES;
            FloatVector acc = k0 > 0 ? FloatVector.fromArray(F, state, so) : FloatVector.zero(F);
            for (int k = k0, kb = tok * nb + k0, xo = kb * 128; k < k1; k++, kb++, base += step) {
                IntVector isum = IntVector.zero(I);
                long q0 = base + 4L * L;
                for (int quarter = 0; quarter < 4; quarter++) { // half quarter / 2, l from 16 (quarter % 2)
                    ShortVector s0 = ShortVector.zero(S2), s2 = s0, s4 = s0, s6 = s0;
                    for (int c = 0; c < 4; c++, q0 += 12L * L, xo += 8) {
                        ShortVector x = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                        ShortVector y = ShortVector.fromMemorySegment(S2, data, q0 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                        ShortVector z = ShortVector.fromMemorySegment(S2, data, q0 + 8L * L, ByteOrder.LITTLE_ENDIAN);
                        s0 = s0.add(x.lanewise(VectorOperators.ASHR, 10).mul(IntVector.broadcast(I, xp[xo]).reinterpretAsShorts()));
                        s0 = s0.add(x.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 10).mul(IntVector.broadcast(I, xp[xo + 1]).reinterpretAsShorts()));
                        ShortVector v = x.lanewise(VectorOperators.LSHL, 10).lanewise(VectorOperators.BITWISE_BLEND, z.lanewise(VectorOperators.LSHL, 12), (short) 0xC000);
                        s2 = s2.add(v.lanewise(VectorOperators.ASHR, 10).mul(IntVector.broadcast(I, xp[xo + 2]).reinterpretAsShorts()));
                        s2 = s2.add(y.lanewise(VectorOperators.ASHR, 10).mul(IntVector.broadcast(I, xp[xo + 3]).reinterpretAsShorts()));
                        s4 = s4.add(y.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 10).mul(IntVector.broadcast(I, xp[xo + 4]).reinterpretAsShorts()));
                        v = y.lanewise(VectorOperators.LSHL, 10).lanewise(VectorOperators.BITWISE_BLEND, z.lanewise(VectorOperators.LSHL, 14), (short) 0xC000);
                        s4 = s4.add(v.lanewise(VectorOperators.ASHR, 10).mul(IntVector.broadcast(I, xp[xo + 5]).reinterpretAsShorts()));
                        s6 = s6.add(z.lanewise(VectorOperators.ASHR, 10).mul(IntVector.broadcast(I, xp[xo + 6]).reinterpretAsShorts()));
                        s6 = s6.add(z.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 10).mul(IntVector.broadcast(I, xp[xo + 7]).reinterpretAsShorts()));
                    }
                    long sc = q0; // the scales of sub-blocks 8h + (quarter % 2) + 2m follow the quarter's values
                    q0 += 4L * L;
                    IntVector p = s0.reinterpretAsInts();
                    IntVector i = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    isum = isum.add(i.mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = s2.reinterpretAsInts();
                    i = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    isum = isum.add(i.mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = s4.reinterpretAsInts();
                    i = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    isum = isum.add(i.mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + 2L * L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                    p = s6.reinterpretAsInts();
                    i = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    isum = isum.add(i.mul((IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + 3L * L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0)));
                }
                FloatVector d = FloatVector.fromMemorySegment(F, data, base, ByteOrder.LITTLE_ENDIAN);
                acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).mul(dy[kb]).fma(d, acc);
            }
            acc.intoArray(k1 < nb ? state : out, k1 < nb ? so : o);
        }

        /**
         * The {@link Int8Gemm} panel of rows [row, row + 2L) (two groups): the 8 values of an l-step c of half h (see
         * {@link #group}) in short lanes 2r and 2r + 1 are elements 128h + 32m + 4c + {0, 2} and + {1, 3} of each
         * quarter m; regrouped as ints into the pairs of steps 64h + 16m + 2c and 64h + 16m + 2c + 1.
         */
        static void panel(Q6_KTensor t, int row, short[] p, float[] sc) {
            VectorSpecies<Short> S2 = SimdShapes.S2;
            MemorySegment data = t.data;
            int nb = t.cols / QK;
            for (int v = 0; v < 2; v++) {
                long base = 0, step = (long) t.rowGroup * GROUP_BYTES;
                for (int k = 0, end = 0; k < nb; k++, base += step) {
                    if (k == end) { // a column block starts (see Tensor.groupBase): its blocks follow each other
                        base = t.groupBase(row + v * L, k);
                        end = t.groupBlockEnd(k);
                    }
                    FloatVector d = FloatVector.fromMemorySegment(SimdShapes.F, data, base, ByteOrder.LITTLE_ENDIAN);
                    for (int j = 0; j < 16; j++) { // d * sc, exact
                        IntVector s = SimdShapes.bytesToInts(ByteVector.fromMemorySegment(SimdShapes.B, data, base + scaleOffset(L, 0, j), ByteOrder.LITTLE_ENDIAN), 0);
                        d.mul((FloatVector) s.convert(VectorOperators.I2F, 0)).intoArray(sc, (2 * (16 * k + j) + v) * L);
                    }
                    long q0 = base + 4L * L;
                    for (int h = 0; h < 2; h++) {
                        for (int c = 0; c < 8; q0 += (c & 3) == 3 ? 16L * L : 12L * L, c++) { // a quarter's scales follow its 4 steps
                            ShortVector x = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                            ShortVector y = ShortVector.fromMemorySegment(S2, data, q0 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                            ShortVector z = ShortVector.fromMemorySegment(S2, data, q0 + 8L * L, ByteOrder.LITTLE_ENDIAN);
                            int o = (2 * (128 * k + 64 * h + 2 * c) + v) * 2 * L, m = 16 * 4 * L; // step of quarter 0; a quarter: 16 steps
                            IntVector e = x.lanewise(VectorOperators.ASHR, 10).reinterpretAsInts();
                            IntVector f = x.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 10).reinterpretAsInts();
                            e.and(0xFFFF).or(f.lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts().intoArray(p, o);
                            e.lanewise(VectorOperators.LSHR, 16).or(f.and(0xFFFF0000)).reinterpretAsShorts().intoArray(p, o + 4 * L);
                            e = x.lanewise(VectorOperators.LSHL, 10).lanewise(VectorOperators.BITWISE_BLEND, z.lanewise(VectorOperators.LSHL, 12), (short) 0xC000).lanewise(VectorOperators.ASHR, 10).reinterpretAsInts();
                            f = y.lanewise(VectorOperators.ASHR, 10).reinterpretAsInts();
                            e.and(0xFFFF).or(f.lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts().intoArray(p, o + m);
                            e.lanewise(VectorOperators.LSHR, 16).or(f.and(0xFFFF0000)).reinterpretAsShorts().intoArray(p, o + m + 4 * L);
                            e = y.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 10).reinterpretAsInts();
                            f = y.lanewise(VectorOperators.LSHL, 10).lanewise(VectorOperators.BITWISE_BLEND, z.lanewise(VectorOperators.LSHL, 14), (short) 0xC000).lanewise(VectorOperators.ASHR, 10).reinterpretAsInts();
                            e.and(0xFFFF).or(f.lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts().intoArray(p, o + 2 * m);
                            e.lanewise(VectorOperators.LSHR, 16).or(f.and(0xFFFF0000)).reinterpretAsShorts().intoArray(p, o + 2 * m + 4 * L);
                            e = z.lanewise(VectorOperators.ASHR, 10).reinterpretAsInts();
                            f = z.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 10).reinterpretAsInts();
                            e.and(0xFFFF).or(f.lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts().intoArray(p, o + 3 * m);
                            e.lanewise(VectorOperators.LSHR, 16).or(f.and(0xFFFF0000)).reinterpretAsShorts().intoArray(p, o + 3 * m + 4 * L);
                        }
                    }
                }
            }
        }

        static void matvec(Q6_KTensor t, float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
            int r = r0;
            if ((r & 1) == 1 && r < r1) {
                out[outOff + r] = dot1(t, r, x, xOff);
                r++;
            }
            if (t.blockStep(r) != BLOCK_BYTES) {
                if (L == 16) {
                    // per block: the 16 sums of x over its sub-blocks of 16, times 16 (see dot2Halves), then room for the scales
                    int nsub = t.cols / 16;
                    float[] w = SimdShapes.scalesBuffer(nsub + 32);
                    SimdShapes.blockSums(x, xOff, nsub, 16, w);
                    for (int i = 0; i < nsub; i++) w[i] *= 16f;
                    for (; r + 2 <= r1; r += 2) dot2Halves(t, t.rowBase(r), x, xOff, w, out, outOff + r);
                } else if (L == 8) {
                    // per block: the 16 sums of x over its sub-blocks of 16, times 32 (see dot2x8), then room for the scales
                    int nsub = t.cols / 16;
                    float[] w = SimdShapes.scalesBuffer(nsub + 32);
                    SimdShapes.blockSums(x, xOff, nsub, 16, w);
                    for (int i = 0; i < nsub; i++) w[i] *= 32f;
                    float[] xp = SimdShapes.orderedBuffer(t.cols);
                    SimdShapes.byteLaneOrder(x, xOff, t.cols, xp);
                    for (; r + 2 <= r1; r += 2) dot2x8(t, t.rowBase(r), xp, w, out, outOff + r);
                } else {
                    for (; r + 2 <= r1; r += 2) dot2(t, r, x, xOff, out, outOff + r);
                }
            }
            for (; r < r1; r++) out[outOff + r] = dot1(t, r, x, xOff);
        }

        static float dot1(Q6_KTensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += step) {
                float d = Float.float16ToFloat(data.get(I16_LE, b + D));
                for (int q = 0; q < 4; q++) { // quarter q: half q/2, lanes l in [16*(q&1), +16)
                    int h = q >> 1, p = 16 * (q & 1);
                    FloatVector s1 = FloatVector.zero(F), s2 = s1, s3 = s1, s4 = s1;
                    if (L == 8) { // 16 bytes of ql, ql+32 and qh, each in two parts: fewer loads and bounds checks (see dot2x8)
                        long lo = b + 64 * h + p, hi = b + QH + 32 * h + p;
                        ByteVector ab = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, data, lo, ByteOrder.LITTLE_ENDIAN);
                        ByteVector a2b = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, data, lo + 32, ByteOrder.LITTLE_ENDIAN);
                        ByteVector ub = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, data, hi, ByteOrder.LITTLE_ENDIAN);
                        for (int part = 0; part < 2; part++) { // unrolled by C2 (constant trip count 2); the part is a literal below
                            IntVector a = (IntVector) (part == 0 ? ab.convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0) : ab.convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 1));
                            IntVector a2 = (IntVector) (part == 0 ? a2b.convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0) : a2b.convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 1));
                            IntVector u = (IntVector) (part == 0 ? ub.convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0) : ub.convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 1));
                            int xc = xi + 128 * h + p + 8 * part;
                            IntVector v = a.and(0x0F).or(u.lanewise(VectorOperators.LSHL, 4).and(0x30)).sub(32);
                            s1 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc), s1);
                            v = a2.and(0x0F).or(u.lanewise(VectorOperators.LSHL, 2).and(0x30)).sub(32);
                            s2 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 32), s2);
                            v = a.lanewise(VectorOperators.LSHR, 4).or(u.and(0x30)).sub(32);
                            s3 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 64), s3);
                            v = a2.lanewise(VectorOperators.LSHR, 4).or(u.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32);
                            s4 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 96), s4);
                        }
                    } else {
                        for (int c = p; c < p + 16; c += L) {
                            long lo = b + 64 * h + c, hi = b + QH + 32 * h + c;
                            IntVector a = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, lo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                    : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, lo, ByteOrder.LITTLE_ENDIAN)
                                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                            IntVector a2 = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, lo + 32)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                    : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, lo + 32, ByteOrder.LITTLE_ENDIAN)
                                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                            IntVector u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, hi)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                    : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, hi, ByteOrder.LITTLE_ENDIAN)
                                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                            int xc = xi + 128 * h + c;
                            IntVector v = a.and(0x0F).or(u.lanewise(VectorOperators.LSHL, 4).and(0x30)).sub(32);
                            s1 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc), s1);
                            v = a2.and(0x0F).or(u.lanewise(VectorOperators.LSHL, 2).and(0x30)).sub(32);
                            s2 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 32), s2);
                            v = a.lanewise(VectorOperators.LSHR, 4).or(u.and(0x30)).sub(32);
                            s3 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 64), s3);
                            v = a2.lanewise(VectorOperators.LSHR, 4).or(u.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32);
                            s4 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xc + 96), s4);
                        }
                    }
                    long sc = b + SCALES + 8 * h + (q & 1);
                    acc0 = s1.fma(FloatVector.broadcast(F, d * data.get(I8, sc)), acc0);
                    acc1 = s2.fma(FloatVector.broadcast(F, d * data.get(I8, sc + 2)), acc1);
                    acc0 = s3.fma(FloatVector.broadcast(F, d * data.get(I8, sc + 4)), acc0);
                    acc1 = s4.fma(FloatVector.broadcast(F, d * data.get(I8, sc + 6)), acc1);
                }
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }

        /**
         * A row pair's dot products (interleaved: row 2's block follows row 1's), on 8-lane vectors also where wider
         * ones are preferred (measured 7% faster at 16 lanes than a 16-lane kernel on zero-extended bytes, and 40% faster at 8).
         *
         * <p>The quants are read 32 bytes at a time as 8 int lanes: lane i holds bytes {@code 4i .. 4i+3}, so the 6-bit
         * values of a run of 32 (the ql nibbles with their qh bit pairs) are assembled for all 4 bytes at once, and byte
         * j of every lane is then taken out with a shift and a mask and multiplied with x in the matching order
         * ({@code xp}, see {@link SimdShapes#byteLaneOrder}). Zero-extending 8 or 16 bytes at a time instead takes a
         * byte shuffle for every second 8-lane vector (or a load, with its bounds check), and about 30% more vector
         * operations. Lanes 0-3 hold the first sub-block of 16 of a run and lanes 4-7 the second, so each run gets its
         * two scales as one blended vector.
         *
         * <p>Scalar float work is kept out of the loop, as it competes with the FMAs for the same ports: the 16 int8
         * scales of a block become two vectors, times d stored to {@code w[n/16 ..)} to be broadcast from memory, and
         * the -32 offset is folded out: {@code sum(sc*(q-32)*x) = sum(sc*q*x) - sum(sc*32*sum16(x))}, the second term
         * accumulated in lanes from {@code w[16k ..]} = 32 times the sub-block sums of x.
         */
        private static void dot2x8(Q6_KTensor t, long b, float[] xp, float[] w, float[] out, int o) {
            VectorSpecies<Float> F = FloatVector.SPECIES_256; // 8 lanes, also where wider vectors are preferred
            VectorSpecies<Integer> I = IntVector.SPECIES_256;
            MemorySegment data = t.data;
            VectorMask<Float> high4 = VectorMask.fromLong(F, 0xF0); // lanes 4-7: the run's second sub-block
            int ws = t.cols / 16; // the scales of the current block, row 1 then row 2
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, off0 = acc0, off1 = acc0;
            for (int xi = 0, k = 0, end = t.cols; xi < end; xi += QK, k += 16, b += 2 * BLOCK_BYTES) {
                long b1 = b + BLOCK_BYTES;
                ByteVector scb0 = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, data, b + SCALES, ByteOrder.LITTLE_ENDIAN);
                ByteVector scb1 = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, data, b1 + SCALES, ByteOrder.LITTLE_ENDIAN);
                float d0 = Float.float16ToFloat(data.get(I16_LE, b + D)), d1 = Float.float16ToFloat(data.get(I16_LE, b1 + D));
                FloatVector xs = FloatVector.fromArray(F, w, k);
                FloatVector sc0 = ((FloatVector) scb0.convertShape(VectorOperators.B2F, F, 0)).mul(d0);
                FloatVector sc1 = ((FloatVector) scb1.convertShape(VectorOperators.B2F, F, 0)).mul(d1);
                sc0.intoArray(w, ws);
                sc1.intoArray(w, ws + 16);
                off0 = sc0.fma(xs, off0);
                off1 = sc1.fma(xs, off1);
                xs = FloatVector.fromArray(F, w, k + 8);
                sc0 = ((FloatVector) scb0.convertShape(VectorOperators.B2F, F, 1)).mul(d0);
                sc1 = ((FloatVector) scb1.convertShape(VectorOperators.B2F, F, 1)).mul(d1);
                sc0.intoArray(w, ws + 8);
                sc1.intoArray(w, ws + 24);
                off0 = sc0.fma(xs, off0);
                off1 = sc1.fma(xs, off1);
                for (int m = 0; m < 8; m++) { // run m: elements 32m .. of the block, half m/4, ql nibble and qh bit pair (m&3)
                    int cl = m & 3, nib = 4 * (cl >> 1), hb = 2 * cl;
                    long ql = 64 * (m >> 2) + 32 * (cl & 1), qh = QH + 32 * (m >> 2);
                    int xc = xi + 32 * m;
                    FloatVector x0 = FloatVector.fromArray(F, xp, xc), x1 = FloatVector.fromArray(F, xp, xc + 8);
                    FloatVector x2 = FloatVector.fromArray(F, xp, xc + 16), x3 = FloatVector.fromArray(F, xp, xc + 24);
                    for (int r = 0; r < 2; r++) { // a loop, so that its body is parsed once
                        long br = b + r * BLOCK_BYTES;
                        IntVector a = IntVector.fromMemorySegment(I, data, br + ql, ByteOrder.LITTLE_ENDIAN);
                        IntVector u = IntVector.fromMemorySegment(I, data, br + qh, ByteOrder.LITTLE_ENDIAN);
                        // per byte: the nibble, then bits hb, hb+1 of qh moved to bits 4, 5 (what crosses bytes is masked off)
                        IntVector v = a.lanewise(VectorOperators.LSHR, nib).and(0x0F0F0F0F)
                                .or(u.lanewise(VectorOperators.LSHR, hb).lanewise(VectorOperators.LSHL, 4).and(0x30303030));
                        FloatVector s = ((FloatVector) v.and(0xFF).convert(VectorOperators.I2F, 0)).mul(x0);
                        s = ((FloatVector) v.lanewise(VectorOperators.LSHR, 8).and(0xFF).convert(VectorOperators.I2F, 0)).fma(x1, s);
                        s = ((FloatVector) v.lanewise(VectorOperators.LSHR, 16).and(0xFF).convert(VectorOperators.I2F, 0)).fma(x2, s);
                        s = ((FloatVector) v.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).fma(x3, s);
                        int sc = ws + 16 * r + 2 * m;
                        FloatVector scale = FloatVector.broadcast(F, w[sc]).blend(FloatVector.broadcast(F, w[sc + 1]), high4);
                        if (r == 0) acc0 = s.fma(scale, acc0);
                        else acc1 = s.fma(scale, acc1);
                    }
                }
            }
            out[o] = acc0.sub(off0).reduceLanes(VectorOperators.ADD);
            out[o + 1] = acc1.sub(off1).reduceLanes(VectorOperators.ADD);
        }

        /**
         * A row pair's dot products for 16 lanes, in two halves: half 0 takes the quants whose low nibbles come from
         * {@code ql[l]}, half 1 those from {@code ql[l+32]} (each with its two bits of {@code qh}). The pair kernel
         * {@link #dot2} does both at once, but that method is beyond C2's inlining node budget: its bounds checks
         * stay real calls (measured: 17% of Q4_K_M decoding). The second half re-reads the pair's blocks from cache.
         *
         * <p>The scalar float work is moved into lanes, because it runs on the same ports as the vector FMAs (16
         * scales per row and block: a conversion, a product and a broadcast each): the 16 int8 scales are one vector,
         * times d stored to {@code w[n/16 ..)} to be broadcast from memory. The -32 offset is folded out:
         * {@code sum(sc*(q-32)*x) = sum(sc*q*x) - 32*sum(sc*sum16(x))}, the second term one FMA of the scales with
         * {@code w[16k ..]} = 16 times the sub-block sums of x, in each half. The pair is interleaved: row 2's block
         * follows row 1's.
         */
        private static void dot2Halves(Q6_KTensor t, long b, float[] x, int xOff, float[] w, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            int ws = t.cols / 16; // the scales of the current block, row 1 then row 2
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0, off0 = acc0, off1 = acc0;
            // one loop over the halves, so that its body is parsed once: the method stays within C2's budget
            for (int half = 0; half < 2; half++) {
            long b0 = b, b1 = b + BLOCK_BYTES;
            int loShift = 4 - 2 * half, hiShift = 2 * half, ql = 32 * half, xo = 32 * half;
            for (int xi = xOff, k = 0, end = xOff + t.cols; xi < end; xi += QK, k += 16, b0 += 2 * BLOCK_BYTES, b1 += 2 * BLOCK_BYTES) {
                FloatVector xs = FloatVector.fromArray(F, w, k);
                FloatVector sc0 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + SCALES, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(Float.float16ToFloat(data.get(I16_LE, b0 + D)));
                FloatVector sc1 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + SCALES, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(Float.float16ToFloat(data.get(I16_LE, b1 + D)));
                sc0.intoArray(w, ws);
                sc1.intoArray(w, ws + 16);
                off0 = sc0.fma(xs, off0);
                off1 = sc1.fma(xs, off1);
                for (int q = 0; q < 4; q++) {
                    int h = q >> 1, c = 16 * (q & 1);
                    int xc = xi + 128 * h + c + xo;
                    FloatVector xl = FloatVector.fromArray(F, x, xc), xh = FloatVector.fromArray(F, x, xc + 64);
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + 64 * h + c + ql, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                    IntVector u = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QH + 32 * h + c, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                    FloatVector s0l = ((FloatVector) a.and(0x0F).or(u.lanewise(VectorOperators.LSHL, loShift).and(0x30)).convert(VectorOperators.I2F, 0)).mul(xl);
                    FloatVector s0h = ((FloatVector) a.lanewise(VectorOperators.LSHR, 4).or(u.lanewise(VectorOperators.LSHR, hiShift).and(0x30)).convert(VectorOperators.I2F, 0)).mul(xh);
                    a = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + 64 * h + c + ql, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                    u = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + QH + 32 * h + c, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                    FloatVector s1l = ((FloatVector) a.and(0x0F).or(u.lanewise(VectorOperators.LSHL, loShift).and(0x30)).convert(VectorOperators.I2F, 0)).mul(xl);
                    FloatVector s1h = ((FloatVector) a.lanewise(VectorOperators.LSHR, 4).or(u.lanewise(VectorOperators.LSHR, hiShift).and(0x30)).convert(VectorOperators.I2F, 0)).mul(xh);
                    int sc = ws + 8 * h + (q & 1) + 2 * half; // scale index 8h + 2k + (l >> 4), k = half (low) or half + 2 (high)
                    acc0 = s0l.fma(FloatVector.broadcast(F, w[sc]), acc0);
                    acc2 = s0h.fma(FloatVector.broadcast(F, w[sc + 4]), acc2);
                    acc1 = s1l.fma(FloatVector.broadcast(F, w[sc + 16]), acc1);
                    acc3 = s1h.fma(FloatVector.broadcast(F, w[sc + 20]), acc3);
                }
            }
            }
            out[o] = acc0.add(acc2).sub(off0).reduceLanes(VectorOperators.ADD);
            out[o + 1] = acc1.add(acc3).sub(off1).reduceLanes(VectorOperators.ADD);
        }

        private static void dot2(Q6_KTensor t, int row, float[] x, int xOff, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b0 = t.rowBase(row), b1 = t.rowBase(row + 1);
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b0 += step, b1 += step) {
                float d0 = Float.float16ToFloat(data.get(I16_LE, b0 + D)), d1 = Float.float16ToFloat(data.get(I16_LE, b1 + D));
                for (int q = 0; q < 4; q++) {
                    int h = q >> 1, p = 16 * (q & 1);
                    FloatVector s01 = FloatVector.zero(F), s02 = s01, s03 = s01, s04 = s01;
                    FloatVector s11 = s01, s12 = s01, s13 = s01, s14 = s01;
                    for (int c = p; c < p + 16; c += L) {
                        int xc = xi + 128 * h + c;
                        FloatVector x1 = FloatVector.fromArray(F, x, xc), x2 = FloatVector.fromArray(F, x, xc + 32);
                        FloatVector x3 = FloatVector.fromArray(F, x, xc + 64), x4 = FloatVector.fromArray(F, x, xc + 96);
                        long lo = b0 + 64 * h + c, hi = b0 + QH + 32 * h + c;
                        IntVector a = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, lo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, lo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        IntVector a2 = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, lo + 32)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, lo + 32, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        IntVector u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, hi)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, hi, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        IntVector v = a.and(0x0F).or(u.lanewise(VectorOperators.LSHL, 4).and(0x30)).sub(32);
                        s01 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x1, s01);
                        v = a2.and(0x0F).or(u.lanewise(VectorOperators.LSHL, 2).and(0x30)).sub(32);
                        s02 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x2, s02);
                        v = a.lanewise(VectorOperators.LSHR, 4).or(u.and(0x30)).sub(32);
                        s03 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x3, s03);
                        v = a2.lanewise(VectorOperators.LSHR, 4).or(u.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32);
                        s04 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x4, s04);
                        lo = b1 + 64 * h + c;
                        hi = b1 + QH + 32 * h + c;
                        a = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, lo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, lo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        a2 = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, lo + 32)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, lo + 32, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, hi)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, hi, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        v = a.and(0x0F).or(u.lanewise(VectorOperators.LSHL, 4).and(0x30)).sub(32);
                        s11 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x1, s11);
                        v = a2.and(0x0F).or(u.lanewise(VectorOperators.LSHL, 2).and(0x30)).sub(32);
                        s12 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x2, s12);
                        v = a.lanewise(VectorOperators.LSHR, 4).or(u.and(0x30)).sub(32);
                        s13 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x3, s13);
                        v = a2.lanewise(VectorOperators.LSHR, 4).or(u.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32);
                        s14 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(x4, s14);
                    }
                    long sc0 = b0 + SCALES + 8 * h + (q & 1), sc1 = b1 + SCALES + 8 * h + (q & 1);
                    acc0 = s01.fma(FloatVector.broadcast(F, d0 * data.get(I8, sc0)), acc0);
                    acc2 = s02.fma(FloatVector.broadcast(F, d0 * data.get(I8, sc0 + 2)), acc2);
                    acc0 = s03.fma(FloatVector.broadcast(F, d0 * data.get(I8, sc0 + 4)), acc0);
                    acc2 = s04.fma(FloatVector.broadcast(F, d0 * data.get(I8, sc0 + 6)), acc2);
                    acc1 = s11.fma(FloatVector.broadcast(F, d1 * data.get(I8, sc1)), acc1);
                    acc3 = s12.fma(FloatVector.broadcast(F, d1 * data.get(I8, sc1 + 2)), acc3);
                    acc1 = s13.fma(FloatVector.broadcast(F, d1 * data.get(I8, sc1 + 4)), acc1);
                    acc3 = s14.fma(FloatVector.broadcast(F, d1 * data.get(I8, sc1 + 6)), acc3);
                }
            }
            out[o] = acc0.add(acc2).reduceLanes(VectorOperators.ADD);
            out[o + 1] = acc1.add(acc3).reduceLanes(VectorOperators.ADD);
        }

        /** {@code (d*sc)*(q-32)}: the scalar product d*sc, then one multiplication in lanes, as the scalar code. */
        static void dequantize(Q6_KTensor t, MemorySegment data, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                float d = Float.float16ToFloat(data.get(I16_LE, b + D));
                for (int q = 0; q < 4; q++) {
                    int h = q >> 1, p = 16 * (q & 1);
                    long sc = b + SCALES + 8 * h + (q & 1);
                    FloatVector d1 = FloatVector.broadcast(F, d * data.get(I8, sc)), d2 = FloatVector.broadcast(F, d * data.get(I8, sc + 2));
                    FloatVector d3 = FloatVector.broadcast(F, d * data.get(I8, sc + 4)), d4 = FloatVector.broadcast(F, d * data.get(I8, sc + 6));
                    for (int c = p; c < p + 16; c += L) {
                        long lo = b + 64 * h + c, hi = b + QH + 32 * h + c;
                        IntVector a = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, lo)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, lo, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        IntVector a2 = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, lo + 32)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, lo + 32, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        IntVector u = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, hi)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, hi, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        int o = i + 128 * h + c;
                        IntVector v = a.and(0x0F).or(u.lanewise(VectorOperators.LSHL, 4).and(0x30)).sub(32);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d1).intoArray(dst, o);
                        v = a2.and(0x0F).or(u.lanewise(VectorOperators.LSHL, 2).and(0x30)).sub(32);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d2).intoArray(dst, o + 32);
                        v = a.lanewise(VectorOperators.LSHR, 4).or(u.and(0x30)).sub(32);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d3).intoArray(dst, o + 64);
                        v = a2.lanewise(VectorOperators.LSHR, 4).or(u.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d4).intoArray(dst, o + 96);
                    }
                }
            }
        }
    }
}
