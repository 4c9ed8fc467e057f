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
 * Q5_K weights: super-blocks of 256 elements in 176 bytes: an f16 scale {@code d}, an f16 {@code dmin}, 12 bytes of
 * 6-bit scales {@code sc[j]} and mins {@code m[j]} for the 8 sub-blocks of 32 (packing: {@link KQuants}), 32 bytes
 * {@code qh} of fifth bits, then 128 bytes of low nibbles in 4 groups of 32, as in {@link Q4_KTensor}: byte l of group
 * g holds element {@code 64g + l} in its low nibble and element {@code 64g + 32 + l} in its high nibble, and their
 * fifth bits are bits 2g and 2g+1 of {@code qh[l]}. A 5-bit value n of sub-block j stands for
 * {@code (d*sc[j])*n - (dmin*m[j])}: two exact products and one rounded subtraction, as ggml computes it (no FMA).
 *
 * <p>With the vector kernels, rows are repacked at load into groups of {@code G = 2L} rows ({@link
 * VectorSupport#int8GroupRows}) and multiplied with int8 activations ({@link Q8Activations.Kind#Q8_K}) as llama.cpp
 * does, in the layout of {@link Q4_KTensor}'s groups (d and dmin as f32, scales and mins as bytes, the nibbles in
 * chunks of 2G short lanes) with the fifth bits added: super-block k of a group is {@value #GROUP_BYTES} bytes per
 * row, the 32 chunks in 8 quads of 4, each quad led by a plane of 2G short lanes that holds the 16 fifth bits of
 * the lane's 4 x 4 nibbles in the quad's chunks, placed so that two masks put them above the nibbles (see {@link
 * #hBit}). 184 bytes against the file's 176; Q4_K's 152 against 144.
 */
public final class Q5_KTensor extends Tensor {
    static final int QK = KQuants.QK;
    static final int BLOCK_BYTES = 176;
    static final int DMIN = 2;   // offset of dmin in a block
    static final int SCALES = 4; // offset of the packed scales and mins
    static final int QH = 16;    // offset of the fifth bits
    static final int QS = 48;    // offset of the low nibbles
    /** Bytes per row and super-block in a row group: d, dmin, 8 scales, 8 mins, 8 x (fifth-bit plane, 4 chunks). */
    static final int GROUP_BYTES = 184;

    public Q5_KTensor(GgufTensor t) {
        super(t);
    }

    public Q5_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q5_K, data, rows, cols);
    }

    /**
     * The row-group layout described above: row r's d, dmin, unpacked scales and mins, nibble bytes (where {@link
     * Q4_KTensor} puts them, each quad of chunks 4 short lanes later), and fifth-bit planes.
     */
    static void packGroupRow(MemorySegment src, long b, byte[] group, int g, int r) {
        Q4_KTensor.packGroupHeader(src, b, group, g, r);
        for (int i = 0; i < QK / 2; i++) group[groupQsOffset(g, r, i)] = src.get(I8, b + QS + i);
        for (int quad = 0; quad < 8; quad++) {
            for (int h = 0; h < 2; h++) {
                int plane = 0;
                for (int i = 16 * quad + 2 * h; i < 16 * quad + 16; i += 4) { // the lane's nibble bytes i, i + 1 per chunk
                    for (int e = 0; e < 2; e++) {
                        for (int high = 0; high < 2; high++) plane |= fifthBit(src, b, i + e, high) << hBit(i + e, high);
                    }
                }
                int at = groupPlaneOffset(g, r, quad, h);
                group[at] = (byte) plane;
                group[at + 1] = (byte) (plane >>> 8);
            }
        }
    }

    /** The fifth bit, in the file's layout, of the low (high = 0) or high nibble of nibble byte i (0..127). */
    private static int fifthBit(MemorySegment src, long b, int i, int high) {
        return (src.get(I8, b + QH + (i & 31)) >> (2 * (i >> 5) + high)) & 1;
    }

    /**
     * The bit of a fifth-bit plane lane that holds the fifth bit of the low (high = 0) or high nibble of nibble byte
     * i: chunk c = (i / 4) % 4 of the quad, first byte low 4 + c, high c, second byte low 12 + c, high 8 + c. Shifted
     * right by c, a plane holds chunk c's bits at 4, 0, 12 and 8: {@code plane & 0x1010} sits above the low nibbles
     * ({@code v & 0x0F0F}), {@code (plane << 4) & 0x1010} above the high ones ({@code (v >>> 4) & 0x0F0F}).
     */
    static int hBit(int i, int high) {
        return ((i >> 2) & 3) + ((i & 1) == 0 ? 0 : 8) + (high == 0 ? 4 : 0);
    }

    /** Offset, from the start of a grouped super-block, of nibble byte i of the group's row r. */
    private static int groupQsOffset(int g, int r, int i) {
        return 24 * g + (i >> 4) * 20 * g + 4 * g + ((i >> 2) & 3) * 4 * g + 2 * (2 * r + ((i >> 1) & 1)) + (i & 1);
    }

    /** Offset, from the start of a grouped super-block, of the fifth-bit plane lane 2r + h of quad {@code quad}. */
    private static int groupPlaneOffset(int g, int r, int quad, int h) {
        return 24 * g + quad * 20 * g + 2 * (2 * r + h);
    }


    /** The 5-bit value of element e (0..255) of super-block k of a row, in any layout. */
    private int q5(int row, int k, int e) {
        int i = 32 * (e >> 6) + (e & 31), high = (e >> 5) & 1; // its nibble byte, and which nibble
        if (row < groupedRows) {
            long base = groupBase(row, k);
            int r = row % rowGroup, nibble = (data.get(I8, base + groupQsOffset(rowGroup, r, i)) >> 4 * high) & 0x0F;
            int plane = data.get(I16_LE, base + groupPlaneOffset(rowGroup, r, i >> 4, (i >> 1) & 1));
            return nibble | ((plane >> hBit(i, high)) & 1) << 4;
        }
        long b = row * rowBytes + (long) k * BLOCK_BYTES;
        return (data().get(I8, b + QS + i) >> 4 * high) & 0x0F | fifthBit(data(), b, i, high) << 4;
    }

    /**
     * A row times Q8_K activations, in the arithmetic of the row-group kernel, so that both give the same bits: Q4_K's
     * twin ({@link Q4_KTensor#int8DotK4}) with the 5-bit values (as in llama.cpp; at most 8 * 63 * 32 * 31 * 127 in
     * magnitude).
     */
    @Override
    float int8Dot(int row, Q8Activations a) {
        return Q4_KTensor.int8DotK4(this, row, a, BLOCK_BYTES, (k, e) -> q5(row, k, e));
    }

    /** The nibbles sit where Q4_K's do: the same lane patterns. */
    @Override
    int[] int8PatternCols() {
        return Q4_KTensor.PATTERN_COLS;
    }

    @Override
    void int8Constants(Int8Act act, int tok) {
        Q4_KTensor.subBlockSums(act, tok, cols);
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
            float d = Float.float16ToFloat(data.get(I16_LE, b)), dmin = Float.float16ToFloat(data.get(I16_LE, b + DMIN));
            for (int g = 0; g < 4; g++) {
                float d1 = d * KQuants.scaleK4(data, b + SCALES, 2 * g), m1 = dmin * KQuants.minK4(data, b + SCALES, 2 * g);
                float d2 = d * KQuants.scaleK4(data, b + SCALES, 2 * g + 1), m2 = dmin * KQuants.minK4(data, b + SCALES, 2 * g + 1);
                for (int l = 0; l < 32; l++) {
                    int q = data.get(I8, b + QS + 32 * g + l) & 0xFF, h = data.get(I8, b + QH + l) >> 2 * g;
                    dst[i + 64 * g + l] = d1 * ((q & 0x0F) + ((h & 1) << 4)) - m1;
                    dst[i + 64 * g + 32 + l] = d2 * ((q >>> 4) + ((h & 2) << 3)) - m2;
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
                    int n = (data.get(I8, q + l) >> shift) & 0x0F | ((data.get(I8, b + QH + l) >> j) & 1) << 4;
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
     * {@code (d*sc)*n} is exact, a sub-block contributes {@code d*sc * sum(n*x) - dmin*m * sum(x)}: the sums in lanes
     * (nibbles and fifth bits combined in int lanes, converted to float, fma), one fma per sub-block with its scale, and the mins
     * folded out with per-call sums of x over each sub-block of 32 (scalar work per super-block, which runs beside
     * the vector work). Each kernel is one method that calls nothing but the Vector API (scales and mins unpacked
     * inline), its loop body one group of two sub-blocks: see {@link SimdShapes} for why.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;

        static void matvec(Q5_KTensor t, float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
            float[] xs = SimdShapes.sumsBuffer(t.cols / 32);
            SimdShapes.blockSums(x, xOff, t.cols / 32, 32, xs);
            int r = r0;
            if ((r & 1) == 1 && r < r1) { // start on a pair boundary
                out[outOff + r] = dot1(t, r, x, xOff, xs);
                r++;
            }
            if (t.blockStep(r) != BLOCK_BYTES) { // interleaved pairs: walk both rows in one stream
                for (; r + 2 <= r1; r += 2) dot2(t, r, x, xOff, xs, out, outOff + r);
            }
            for (; r < r1; r++) out[outOff + r] = dot1(t, r, x, xOff, xs);
        }

        static float dot1(Q5_KTensor t, int row, float[] x, int xOff, float[] xs) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.plain();
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
                        IntVector h = (L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b + QH + c)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + QH + c, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0)).lanewise(VectorOperators.LSHR, 2 * g);
                        int xg = xi + 64 * g + c;
                        IntVector v = q.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10));
                        s0 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xg), s0);
                        v = q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10));
                        s1 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xg + 32), s1);
                    }
                    acc0 = s0.fma(FloatVector.broadcast(F, d * ((int) (sc >>> (16 * g)) & 0xFF)), acc0);
                    acc1 = s1.fma(FloatVector.broadcast(F, d * ((int) (sc >>> (16 * g + 8)) & 0xFF)), acc1);
                }
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD) - cmin;
        }

        /** Rows {@code row} and {@code row+1} (one stream when the pair is interleaved), sharing the loads of x. */
        private static void dot2(Q5_KTensor t, int row, float[] x, int xOff, float[] xs, float[] out, int o) {
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
                        IntVector h = (L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b0 + QH + c)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QH + c, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0)).lanewise(VectorOperators.LSHR, 2 * g);
                        IntVector v = q.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10));
                        s00 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(xl, s00);
                        v = q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10));
                        s01 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(xh, s01);
                        q = L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, q1)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, q1, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0);
                        h = (L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b1 + QH + c)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + QH + c, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0)).lanewise(VectorOperators.LSHR, 2 * g);
                        v = q.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10));
                        s10 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(xl, s10);
                        v = q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10));
                        s11 = ((FloatVector) v.convert(VectorOperators.I2F, 0)).fma(xh, s11);
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

        /**
         * A group of 2L rows (two L-row halves sharing the activation broadcasts and the per-super-block scalar work)
         * and one token, as {@link Q4_KTensor}'s kernel with the fifth bits: per chunk, each half's short lanes
         * {@code v} (4 nibbles) and its quad's fifth-bit plane shifted to the chunk give {@code t1 = (v & 0x0F0F) |
         * (plane & 0x1010)} and {@code t2 = ((v >>> 4) & 0x0F0F) | ((plane << 4) & 0x1010)}: the 4 five-bit values in
         * their bytes. Each of the 4 value slots has its own short accumulator, which sums 8 products of at most
         * 31 * 127 per sub-block (no overflow); lanes 2r and 2r+1 are then added as ints, times the sub-block scales
         * in int lanes. The mins as in Q4_K.
         */
        static void groupHalves(Q5_KTensor t, Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
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
                    ShortVector a0 = ShortVector.zero(S2), b0 = a0, c0 = a0, e0 = a0, a1 = a0, b1 = a0, c1 = a0, e1 = a0;
                    for (int quad = 0; quad < 2; quad++) {
                        ShortVector h0 = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                        ShortVector h1 = ShortVector.fromMemorySegment(S2, data, q0 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                        q0 += 4L * g2;
                        for (int c = 0; c < 4; c++, q0 += 4L * g2, xo += 4) {
                            ShortVector v = ShortVector.fromMemorySegment(S2, data, q0, ByteOrder.LITTLE_ENDIAN);
                            ShortVector w = ShortVector.fromMemorySegment(S2, data, q0 + 4L * L, ByteOrder.LITTLE_ENDIAN);
                            ShortVector p = h0.lanewise(VectorOperators.LSHR, c), u = h1.lanewise(VectorOperators.LSHR, c);
                            ShortVector v1 = v.and((short) 0x0F0F).or(p.and((short) 0x1010));
                            ShortVector v2 = v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F).or(p.lanewise(VectorOperators.LSHL, 4).and((short) 0x1010));
                            ShortVector w1 = w.and((short) 0x0F0F).or(u.and((short) 0x1010));
                            ShortVector w2 = w.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F).or(u.lanewise(VectorOperators.LSHL, 4).and((short) 0x1010));
                            ShortVector x = IntVector.broadcast(I, xp[xo]).reinterpretAsShorts();
                            a0 = a0.add(v1.and((short) 0xFF).mul(x));
                            a1 = a1.add(w1.and((short) 0xFF).mul(x));
                            x = IntVector.broadcast(I, xp[xo + 1]).reinterpretAsShorts();
                            b0 = b0.add(v2.and((short) 0xFF).mul(x));
                            b1 = b1.add(w2.and((short) 0xFF).mul(x));
                            x = IntVector.broadcast(I, xp[xo + 2]).reinterpretAsShorts();
                            c0 = c0.add(v1.lanewise(VectorOperators.LSHR, 8).mul(x));
                            c1 = c1.add(w1.lanewise(VectorOperators.LSHR, 8).mul(x));
                            x = IntVector.broadcast(I, xp[xo + 3]).reinterpretAsShorts();
                            e0 = e0.add(v2.lanewise(VectorOperators.LSHR, 8).mul(x));
                            e1 = e1.add(w2.lanewise(VectorOperators.LSHR, 8).mul(x));
                        }
                    }
                    // the lane pairs as ints (each lane at most 8 * 31 * 127: their sum may exceed 16 bits)
                    long sc = base + 8L * g2 + 2L * g * g2;
                    IntVector p = a0.reinterpretAsInts(), il, ih;
                    il = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    p = c0.reinterpretAsInts();
                    il = il.add(p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(p.lanewise(VectorOperators.ASHR, 16));
                    p = b0.reinterpretAsInts();
                    ih = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    p = e0.reinterpretAsInts();
                    ih = ih.add(p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(p.lanewise(VectorOperators.ASHR, 16));
                    IntVector s0 = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector s1 = (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, sc + g2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    isum0 = isum0.add(il.mul(s0)).add(ih.mul(s1));
                    p = a1.reinterpretAsInts();
                    il = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    p = c1.reinterpretAsInts();
                    il = il.add(p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(p.lanewise(VectorOperators.ASHR, 16));
                    p = b1.reinterpretAsInts();
                    ih = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16));
                    p = e1.reinterpretAsInts();
                    ih = ih.add(p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(p.lanewise(VectorOperators.ASHR, 16));
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

        /** {@code (d*sc)*n - dmin*m} as a multiply then a subtraction in lanes, the scalar code's operations. */
        static void dequantize(Q5_KTensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.plain();
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
                        IntVector h = (L == 4 ? IntVector.broadcast(SimdShapes.I, data.get(I32_LE, b + QH + c)).lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, SimdShapes.BYTE_SHIFT, 0)).and(0xFF)
                                : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + QH + c, ByteOrder.LITTLE_ENDIAN)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdShapes.I, 0)).lanewise(VectorOperators.LSHR, 2 * g);
                        IntVector v = q.and(0x0F).or(h.lanewise(VectorOperators.LSHL, 4).and(0x10));
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d0).sub(m0).intoArray(dst, i + 64 * g + c);
                        v = q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHL, 3).and(0x10));
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d1).sub(m1).intoArray(dst, i + 64 * g + 32 + c);
                    }
                }
            }
        }
    }
}
