package io.jlama.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-matrix product for prompt batches of the types whose products take int8 activations (Q4_0, Q5_0, Q4_K, Q6_K):
 * every token quantized to int8 blocks as for one token ({@link Q8Activations}), and the weights multiplied in 16-bit
 * integer lanes, as llama.cpp multiplies int8 blocks, instead of as floats. On the development machine (Zen 4) a
 * 16-bit multiply and add of 2L lanes runs about twice as fast as a float FMA of L lanes: the 2L-rows x 4-tokens
 * kernel below reaches 78-80 G multiply-adds per second on one core, the float {@link Gemm} 43-51.
 *
 * <p>Per tile of {@code 2L} rows (whole row groups, {@link Tensor#int8GemmPanel}) the weights are decoded once per
 * batch into a panel of signed 16-bit values: step s holds two short vectors of L rows each, short lane
 * {@code 2r + h} being the weight of column {@code 2s + h}, and per block of {@code B} columns a float scale per row (and
 * for Q4_K an offset per row, times the block's sum of the activations). The activations come as pairs of int8 values
 * widened to shorts and broadcast as one int ({@link Int8Batch}), quantized once per batch. A block sums B/2 products per short lane: Q4_0 and Q4_K values are shifted to -8..7, so 16 products of at
 * most 8 * 127 (16256, and the two lanes of a row 32512: one shift and add turn a lane pair into the row's int sum);
 * Q6_K's -32..31 in blocks of 16 give 8 products of at most 32 * 127 (32512; the lane pair is added as two ints), and
 * Q5_0's -16..15 in blocks of 32 16 products of at most 16 * 127 (32512, the same).
 * Per block and row: {@code acc += (isum * scale) * dx} (plus {@code offset * dx * sum(q)}), so the results are
 * llama.cpp's integer sums, scaled in another float order than one token's kernel: equal to it within float rounding
 * (tested).
 */
final class Int8Gemm {
    private Int8Gemm() {
    }

    /** Tokens per micro-kernel call. */
    static final int NT = 4;

    /** The calling thread's panel, scale, offset and output buffers; grown, never shrunk. */
    private static final class Buffers {
        short[] panel = new short[0];
        float[] scales = new float[0], offsets = new float[0], tile = new float[0];
        int[] tokens = new int[NT];

        void ensure(int rows, int cols, int blocks) {
            if (panel.length < rows * cols) panel = new short[rows * cols];
            if (scales.length < rows * blocks) {
                scales = new float[rows * blocks];
                offsets = new float[rows * blocks];
            }
            if (tile.length < NT * rows) tile = new float[NT * rows];
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** Rows per tile: two vectors of L rows. */
    static int tileRows() {
        return 2 * SimdShapes.L;
    }

    /** The first row at or after r0 where a tile may start. */
    static int tiledStart(int r0) {
        int t = tileRows();
        return (r0 + t - 1) / t * t;
    }

    /**
     * The end of the whole tiles of grouped rows in {@code [r0, r1)}, which start at {@link #tiledStart}; at most that
     * start when there is none. Rows outside go through the float {@link Gemm}.
     */
    static int tiledEnd(Tensor w, int r1) {
        return Math.min(r1, w.groupedRows) / tileRows() * tileRows();
    }

    /**
     * {@code out[outOff + tok*outStride + r] = W[r] . x_tok} for the tokens {@code tok < act.n} of act and rows
     * {@code a <= r < b}, whole tiles of grouped rows ({@link #tiledStart}, {@link #tiledEnd}).
     */
    static void matmul(Tensor w, Int8Batch act, float[] out, int outOff, int outStride, int a, int b) {
        int cols = w.cols, n = act.n, rows = tileRows(), block = w.int8GemmBlock(), blocks = cols / block;
        Q8Activations.Kind kind = act.kind;
        int shift = Integer.numberOfTrailingZeros(kind.block / block), actBlocks = cols / kind.block;
        Buffers buf = BUFFERS.get();
        buf.ensure(rows, cols, blocks);
        boolean offsets = w.int8GemmOffsets(), wide = w.int8GemmWide(); // blocks of 32: their dx * sum(q) are act.xs32
        int[] tk = buf.tokens;
        for (int r = a; r < b; r += rows) {
            w.int8GemmPanel(r, buf.panel, buf.scales, buf.offsets);
            for (int t = 0; t < n; t += NT) {
                for (int i = 0; i < NT; i++) tk[i] = Math.min(t + i, n - 1); // a short last group repeats its last token
                Simd.tile(buf.panel, buf.scales, offsets ? buf.offsets : null, act.xp, act.d, act.xs32, tk, cols, block, shift, wide, buf.tile);
                for (int i = 0, m = Math.min(NT, n - t); i < m; i++) {
                    System.arraycopy(buf.tile, i * rows, out, outOff + (t + i) * outStride + r, rows);
                }
            }
        }
    }

    /**
     * The kernel's arithmetic in plain scalar code over the same panel and activations: the reference twin of
     * {@link Simd#tile}, the same operations in the same order per row, so the same bits.
     */
    static void tileScalar(short[] p, float[] sc, float[] of, int[] xp, float[] dx, float[] xs, int[] tok, int cols, int block, int shift, float[] out) {
        int rows = tileRows(), half = cols / 2, blocks = cols / block, steps = block / 2, actBlocks = (cols / block) >> shift;
        for (int i = 0; i < NT; i++) {
            for (int r = 0; r < rows; r++) {
                float acc = 0f;
                for (int k = 0, s = 0; k < blocks; k++) {
                    int isum = 0;
                    for (int e = s + steps; s < e; s++) {
                        int pattern = xp[tok[i] * half + s];
                        isum += p[s * 2 * rows + 2 * r] * (short) pattern + p[s * 2 * rows + 2 * r + 1] * (pattern >> 16);
                    }
                    acc = Math.fma(isum * sc[k * rows + r], dx[tok[i] * actBlocks + (k >> shift)], acc);
                    if (of != null) acc = Math.fma(of[k * rows + r], xs[tok[i] * blocks + k], acc);
                }
                out[i * rows + r] = acc;
            }
        }
    }

    /** The Vector API micro-kernel; loaded only with the module. */
    static final class Simd {
        /**
         * The panel steps of a row-group chunk of Q4_0 or Q4_K (the same nibble layout): short lanes 2r and 2r + 1 hold
         * in their low nibbles the elements c, c + 2 (first bytes) and c + 1, c + 3 (second bytes) of some 4 columns
         * c, in their high nibbles those of 4 columns {@code high} steps x 2 further on. Minus 8, they are regrouped as
         * ints into the column pairs of steps s and s + 1 (panel offset o) and s + high, s + high + 1.
         */
        static void nibblePairs(ShortVector v, short[] p, int o, int high) {
            columnPairs(v.and((short) 0x0F).sub((short) 8), v.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).sub((short) 8), p, o);
            columnPairs(v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).sub((short) 8), v.lanewise(VectorOperators.LSHR, 12).sub((short) 8), p, o + high * 4 * SimdShapes.L);
        }

        /**
         * Short lanes 2r, 2r + 1 of a hold a row's values of columns c, c + 2, those of b columns c + 1, c + 3:
         * regrouped as ints into the column pairs (c, c + 1) at panel offset o and (c + 2, c + 3) a step later.
         */
        static void columnPairs(ShortVector a, ShortVector b, short[] p, int o) {
            IntVector x = a.reinterpretAsInts(), y = b.reinterpretAsInts();
            x.and(0xFFFF).or(y.lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts().intoArray(p, o);
            x.lanewise(VectorOperators.LSHR, 16).or(y.and(0xFFFF0000)).reinterpretAsShorts().intoArray(p, o + 4 * SimdShapes.L);
        }

        /**
         * Rows of one panel (2L) times tokens {@code tok[0..3]}, to {@code out[i*2L + r]}. Per block: 8 short
         * accumulators (2 row vectors x 4 tokens), each step one load per row vector and one int broadcast per token;
         * then per accumulator the lane pairs added as ints ({@code (p + (p << 16)) >> 16}: the high half then holds
         * their sum), converted, and scaled into 8 float accumulators.
         */
        static void tile(short[] p, float[] sc, float[] of, int[] xp, float[] dx, float[] xs, int[] tok, int cols, int block, int shift, boolean wide, float[] out) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            int L = SimdShapes.L, half = cols / 2, blocks = cols / block, steps = block / 2, actBlocks = blocks >> shift;
            int x0 = tok[0] * half, x1 = tok[1] * half, x2 = tok[2] * half, x3 = tok[3] * half;
            int d0 = tok[0] * actBlocks, d1 = tok[1] * actBlocks, d2 = tok[2] * actBlocks, d3 = tok[3] * actBlocks;
            int e0 = tok[0] * blocks, e1 = tok[1] * blocks, e2 = tok[2] * blocks, e3 = tok[3] * blocks;
            FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            for (int k = 0, s = 0; k < blocks; k++) {
                ShortVector s00 = ShortVector.zero(S2), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
                for (int e = s + steps; s < e; s++) {
                    int o = s * 4 * L;
                    ShortVector w0 = ShortVector.fromArray(S2, p, o), w1 = ShortVector.fromArray(S2, p, o + 2 * L);
                    ShortVector v = IntVector.broadcast(I, xp[x0 + s]).reinterpretAsShorts();
                    s00 = s00.add(w0.mul(v));
                    s10 = s10.add(w1.mul(v));
                    v = IntVector.broadcast(I, xp[x1 + s]).reinterpretAsShorts();
                    s01 = s01.add(w0.mul(v));
                    s11 = s11.add(w1.mul(v));
                    v = IntVector.broadcast(I, xp[x2 + s]).reinterpretAsShorts();
                    s02 = s02.add(w0.mul(v));
                    s12 = s12.add(w1.mul(v));
                    v = IntVector.broadcast(I, xp[x3 + s]).reinterpretAsShorts();
                    s03 = s03.add(w0.mul(v));
                    s13 = s13.add(w1.mul(v));
                }
                int kb = k >> shift;
                FloatVector c0 = FloatVector.fromArray(F, sc, 2 * k * L), c1 = FloatVector.fromArray(F, sc, (2 * k + 1) * L);
                // the pair sums, written out (as a helper it would not be inlined: see SimdShapes): Q4_0 and Q4_K add the
                // two halves in the high half of the int (one shift less); Q6_K's and Q5_0's may exceed 16 bits there (wide)
                IntVector i00, i01, i02, i03, i10, i11, i12, i13, q;
                if (wide) {
                    q = s00.reinterpretAsInts();
                    i00 = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
                    q = s01.reinterpretAsInts();
                    i01 = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
                    q = s02.reinterpretAsInts();
                    i02 = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
                    q = s03.reinterpretAsInts();
                    i03 = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
                    q = s10.reinterpretAsInts();
                    i10 = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
                    q = s11.reinterpretAsInts();
                    i11 = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
                    q = s12.reinterpretAsInts();
                    i12 = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
                    q = s13.reinterpretAsInts();
                    i13 = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(q.lanewise(VectorOperators.ASHR, 16));
                } else {
                    q = s00.reinterpretAsInts();
                    i00 = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    q = s01.reinterpretAsInts();
                    i01 = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    q = s02.reinterpretAsInts();
                    i02 = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    q = s03.reinterpretAsInts();
                    i03 = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    q = s10.reinterpretAsInts();
                    i10 = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    q = s11.reinterpretAsInts();
                    i11 = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    q = s12.reinterpretAsInts();
                    i12 = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    q = s13.reinterpretAsInts();
                    i13 = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                }
                a00 = ((FloatVector) i00.convert(VectorOperators.I2F, 0)).mul(c0).fma(FloatVector.broadcast(F, dx[d0 + kb]), a00);
                a01 = ((FloatVector) i01.convert(VectorOperators.I2F, 0)).mul(c0).fma(FloatVector.broadcast(F, dx[d1 + kb]), a01);
                a02 = ((FloatVector) i02.convert(VectorOperators.I2F, 0)).mul(c0).fma(FloatVector.broadcast(F, dx[d2 + kb]), a02);
                a03 = ((FloatVector) i03.convert(VectorOperators.I2F, 0)).mul(c0).fma(FloatVector.broadcast(F, dx[d3 + kb]), a03);
                a10 = ((FloatVector) i10.convert(VectorOperators.I2F, 0)).mul(c1).fma(FloatVector.broadcast(F, dx[d0 + kb]), a10);
                a11 = ((FloatVector) i11.convert(VectorOperators.I2F, 0)).mul(c1).fma(FloatVector.broadcast(F, dx[d1 + kb]), a11);
                a12 = ((FloatVector) i12.convert(VectorOperators.I2F, 0)).mul(c1).fma(FloatVector.broadcast(F, dx[d2 + kb]), a12);
                a13 = ((FloatVector) i13.convert(VectorOperators.I2F, 0)).mul(c1).fma(FloatVector.broadcast(F, dx[d3 + kb]), a13);
                if (of != null) {
                    FloatVector o0 = FloatVector.fromArray(F, of, 2 * k * L), o1 = FloatVector.fromArray(F, of, (2 * k + 1) * L);
                    FloatVector y = FloatVector.broadcast(F, xs[e0 + k]);
                    a00 = o0.fma(y, a00);
                    a10 = o1.fma(y, a10);
                    y = FloatVector.broadcast(F, xs[e1 + k]);
                    a01 = o0.fma(y, a01);
                    a11 = o1.fma(y, a11);
                    y = FloatVector.broadcast(F, xs[e2 + k]);
                    a02 = o0.fma(y, a02);
                    a12 = o1.fma(y, a12);
                    y = FloatVector.broadcast(F, xs[e3 + k]);
                    a03 = o0.fma(y, a03);
                    a13 = o1.fma(y, a13);
                }
            }
            a00.intoArray(out, 0);
            a10.intoArray(out, L);
            a01.intoArray(out, 2 * L);
            a11.intoArray(out, 3 * L);
            a02.intoArray(out, 4 * L);
            a12.intoArray(out, 5 * L);
            a03.intoArray(out, 6 * L);
            a13.intoArray(out, 7 * L);
        }
    }
}
