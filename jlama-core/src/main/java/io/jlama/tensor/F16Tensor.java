package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** F16 weights: IEEE half precision, 2 bytes per element, little-endian. */
public final class F16Tensor extends Tensor {
    /**
     * No element is infinite or NaN (checked once at load, with the vector kernels): the kernels then convert
     * halfs with a shift and a mask instead of 7 lane operations (see {@link Simd#finiteHalfs}, {@link Simd#dotHalfs}).
     */
    final boolean finite;
    /**
     * Rows longer than {@link Tensor#GROUP_SPLIT_COLS} columns, copied for the one-token kernel in column blocks of
     * {@link Tensor#BANDED_BLOCK_COLS} (null otherwise: the file's rows serve), at {@link Tensor#bandedBase}: band by
     * band, in each band the rows' first block one after another, then their second, and so on; the kernel walks a band
     * block by block and carries each row's vector sums from block to block, so it adds what {@link Simd#dotHalfs} adds, in
     * the same order in each lane. Why: an 8192-column row streams 16 KB of weights between two uses of each line
     * of its 16 KB of half activations, which then leave the 32 KB L1 cache; 2048-column rows did not (one thread
     * over the F16 model's ffn_gate and ffn_down matrices: 16.5-19.8 against 9.8-14.0 GB/s). The file's rows still
     * serve prompts and the scalar paths; this costs a copy of these matrices (ffn_down) in memory.
     */
    final MemorySegment blocked;

    public F16Tensor(GgufTensor t) {
        this(t.name(), t.data(), Math.toIntExact(t.rows()), Math.toIntExact(t.cols()));
    }

    public F16Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.F16, data, rows, cols);
        finite = VectorSupport.ENABLED && Simd.allFinite(data, (long) rows * cols);
        blocked = finite && REPACK_PAIRS && cols > GROUP_SPLIT_COLS && cols % (2 * SimdShapes.L) == 0 ? blockRows(data) : null;
    }

    private MemorySegment blockRows(MemorySegment src) {
        MemorySegment dst = java.lang.foreign.Arena.ofAuto().allocate(rowBytes * rows, 64);
        for (int r = 0; r < rows; r++) {
            for (int k0 = 0; k0 < cols; k0 += BANDED_BLOCK_COLS) {
                MemorySegment.copy(src, r * rowBytes + 2L * k0, dst, bandedBase(r, k0), 2L * Math.min(BANDED_BLOCK_COLS, cols - k0));
            }
        }
        return dst;
    }

    /** Whole bands per chunk when {@link #blocked} is in use, so that each chunk reads one stream. */
    @Override
    public int rowChunkMultiple() {
        return blocked != null ? GROUP_BAND_ROWS : ROW_TILE;
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long base = row * rowBytes + 2L * col0;
        for (int i = 0; i < n; i++) dst[off + i] = Float.float16ToFloat(data.get(I16_LE, base + 2L * i));
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long base = row * rowBytes;
        float sum = 0f;
        for (int i = 0; i < cols; i++) sum += Float.float16ToFloat(data.get(I16_LE, base + 2L * i)) * x[xOff + i];
        return sum;
    }

    @Override
    protected void dequantizeVector(int row, int col0, int n, float[] dst, int off) {
        Simd.dequantize(this, row, col0, n, dst, off);
    }

    @Override
    protected float dotVector(int row, float[] x, int xOff) {
        return Simd.dot(this, row, x, xOff, finite);
    }

    /**
     * Rounds the activations to halfs first, as llama.cpp does for F16 weights (its {@code vec_dot_type} is F16), when
     * they all round to finite halfs (|x| < 65520) and the weights are finite; otherwise the float dot kernel. Besides
     * matching llama.cpp's products, the halfs take half the cache of floats: a row of 8192 columns reads 16 KB of
     * activations per 16 KB of weights instead of 32 KB, which no longer pushes them out of the 32 KB L1 cache; on the
     * development machine that took the 8192-column products from 10-11 to 15 GB/s of weights and one-thread F16
     * decoding from 7.6-8.4 to 10.0-10.2 tokens/s.
     */
    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        short[] halfs = finite ? halfs(x, xOff, cols, threadHalfs(cols)) : null;
        if (halfs == null) {
            super.matvecVector(x, xOff, out, outOff, r0, r1);
            return;
        }
        if (blocked != null) Simd.matvecBlocked(this, r0, r1, halfs, out, outOff);
        else for (int r = r0; r < r1; r++) out[outOff + r] = Simd.dotHalfs(this, r, halfs);
    }

    private static final ThreadLocal<float[][]> BLOCK_SUMS = ThreadLocal.withInitial(() -> new float[1][0]);

    /** The matrix-vector product's arithmetic in plain scalar code: the twin of {@link #matvecVector}. */
    @Override
    float matvecScalar(int row, float[] x, int xOff) {
        short[] h = finite ? halfs(x, xOff, cols, new short[cols]) : null;
        if (h == null) return dotScalar(row, x, xOff);
        long base = row * rowBytes;
        float sum = 0f;
        for (int i = 0; i < cols; i++) sum += Float.float16ToFloat(data.get(I16_LE, base + 2L * i)) * Float.float16ToFloat(h[i]);
        return sum;
    }

    /**
     * Each token of a batch rounded to halfs (and back to floats) as {@link #matvecVector} rounds one token, so that a
     * prompt computes what decoding it token by token does, up to summation order; a token with a value that rounds to
     * an infinity, or a NaN, stays as is. Kept per thread and reused by the other row chunks of the same product
     * ({@link RoundedBatch}): rounding the batch again in every chunk had cost F16 prompts 6-10%.
     */
    @Override
    float[] gemmActivations(float[] x, int xOff, int xStride, int n) {
        return finite ? HALF_BATCH.get().values(x, xOff, xStride, n, cols) : null;
    }

    private static final ThreadLocal<RoundedBatch> HALF_BATCH = ThreadLocal.withInitial(() -> new RoundedBatch() {
        @Override
        void round(float[] x, int at, int cols, float[] dst, int dstOff) {
            for (int i = 0; i < cols; i++) dst[dstOff + i] = Float.float16ToFloat(Float.floatToFloat16(x[at + i]));
            if (!(Simd.maxAbs(x, at, cols) < 65520f)) System.arraycopy(x, at, dst, dstOff, cols);
        }
    });

    private static final ThreadLocal<short[][]> HALFS = ThreadLocal.withInitial(() -> new short[1][0]);

    /** The calling thread's buffer for n halfs; grown, never shrunk. */
    private static short[] threadHalfs(int n) {
        short[][] holder = HALFS.get();
        if (holder[0].length < n) holder[0] = new short[n];
        return holder[0];
    }

    /**
     * {@code x[xOff ..+n)} rounded to halfs (to nearest even, as llama.cpp's conversion) into dst; null when one of them
     * rounds to an infinity (|x| >= 65520) or is NaN. The check is a vector max and the conversion a loop without
     * branches (C2 vectorizes it): each chunk of rows of a product converts its input again. Only with the Vector API.
     */
    static short[] halfs(float[] x, int xOff, int n, short[] dst) {
        if (!(Simd.maxAbs(x, xOff, n) < 65520f)) return null;
        for (int i = 0; i < n; i++) dst[i] = Float.floatToFloat16(x[xOff + i]);
        return dst;
    }

    /** Vector API kernel; a nested class so that it is loaded only when the module is present. */
    static final class Simd {
        private static final int L = SimdShapes.L;

        private static FloatVector load(MemorySegment data, long off) {
            return SimdShapes.f16ToFloats(ShortVector.fromMemorySegment(SimdShapes.S, data, off, ByteOrder.LITTLE_ENDIAN));
        }

        /**
         * {@link SimdShapes#f16ToFloats} for halfs that are neither infinite nor NaN: the sign-extended half shifted
         * up 13 bits and masked to sign, exponent and mantissa, times 2^112, is exact for normals, subnormals and
         * zeros alike; only exponent 31 would need the extra compare and blend.
         */
        static FloatVector finiteHalfs(MemorySegment data, long off) {
            IntVector v = (IntVector) ShortVector.fromMemorySegment(SimdShapes.S, data, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, SimdShapes.I, 0);
            return v.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
        }

        /** 2^112: a half's bits shifted into a float's place read as that half times 2^-112. */
        private static final float HALF_SCALE = 0x1p112f;

        /**
         * A finite row dotted with finite halfs. Each int lane holds two halfs, columns 2j (low) and 2j + 1 (high), of
         * the weights and of the activations alike, so no lane widening is needed: a half moved to bits 13..28 with its
         * sign at 31 (shift and mask, one more shift for the low one) reads as the half times 2^-112. The activations
         * are scaled back exactly (times 2^112), the weights are not: the sums run at 2^-112 of the true ones and are
         * scaled back once per row. The products are exact; the sums are rounded as floats except while smaller than
         * 2^-126 (true sums below 2^-14), where their rounding error is at most 2^-38 per addition.
         */
        static float dotHalfs(F16Tensor t, int row, short[] xh) {
            MemorySegment data = t.data;
            long base = row * t.rowBytes;
            int n = t.cols, m = n - n % (2 * L);
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            FloatVector acc0 = FloatVector.zero(SimdShapes.F), acc1 = acc0;
            for (int i = 0; i < m; i += 2 * L) {
                IntVector w = IntVector.fromMemorySegment(I, data, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
                IntVector x = ShortVector.fromArray(S2, xh, i).reinterpretAsInts();
                FloatVector xLow = x.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().mul(HALF_SCALE);
                FloatVector xHigh = x.lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().mul(HALF_SCALE);
                acc0 = w.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().fma(xLow, acc0);
                acc1 = w.lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().fma(xHigh, acc1);
            }
            float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD) * HALF_SCALE;
            for (int i = m; i < n; i++) sum += Float.float16ToFloat(data.get(I16_LE, base + 2L * i)) * Float.float16ToFloat(xh[i]);
            return sum;
        }

        /**
         * {@link #dotHalfs} of rows [r0, r1) from {@link F16Tensor#blocked}: band by band, in each block by block,
         * each row's two vector sums kept in a per-thread array between blocks (2L floats a row, 16 KB for a band at
         * 16 lanes), so that each band is read in address order and each block of activations (4 KB) stays in L1.
         */
        static void matvecBlocked(F16Tensor t, int r0, int r1, short[] xh, float[] out, int outOff) {
            MemorySegment data = t.blocked;
            int n = t.cols;
            VectorSpecies<Integer> I = SimdShapes.I;
            VectorSpecies<Short> S2 = SimdShapes.S2;
            VectorSpecies<Float> F = SimdShapes.F;
            float[][] holder = BLOCK_SUMS.get();
            if (holder[0].length < 2 * L * GROUP_BAND_ROWS) holder[0] = new float[2 * L * GROUP_BAND_ROWS];
            float[] sums = holder[0];
            for (int b0 = r0; b0 < r1; ) {
                int b1 = Math.min(r1, (b0 / GROUP_BAND_ROWS + 1) * GROUP_BAND_ROWS); // within one band
                for (int k0 = 0; k0 < n; k0 += BANDED_BLOCK_COLS) {
                    int k1 = Math.min(n, k0 + BANDED_BLOCK_COLS);
                    for (int r = b0, s = 0; r < b1; r++, s += 2 * L) {
                        long base = t.bandedBase(r, k0) - 2L * k0;
                        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
                        if (k0 > 0) {
                            acc0 = FloatVector.fromArray(F, sums, s);
                            acc1 = FloatVector.fromArray(F, sums, s + L);
                        }
                        for (int i = k0; i < k1; i += 2 * L) {
                            IntVector w = IntVector.fromMemorySegment(I, data, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
                            IntVector x = ShortVector.fromArray(S2, xh, i).reinterpretAsInts();
                            FloatVector xLow = x.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().mul(HALF_SCALE);
                            FloatVector xHigh = x.lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().mul(HALF_SCALE);
                            acc0 = w.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().fma(xLow, acc0);
                            acc1 = w.lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().fma(xHigh, acc1);
                        }
                        if (k1 < n) {
                            acc0.intoArray(sums, s);
                            acc1.intoArray(sums, s + L);
                        } else {
                            out[outOff + r] = acc0.add(acc1).reduceLanes(VectorOperators.ADD) * HALF_SCALE;
                        }
                    }
                }
                b0 = b1;
            }
        }

        /** max |x[off ..+n)|; NaN when one is NaN. */
        static float maxAbs(float[] x, int off, int n) {
            VectorSpecies<Float> F = SimdShapes.F;
            FloatVector max = FloatVector.zero(F);
            int i = 0;
            for (; i + L <= n; i += L) max = max.max(FloatVector.fromArray(F, x, off + i).abs());
            float m = max.reduceLanes(VectorOperators.MAX);
            for (; i < n; i++) m = Math.max(m, Math.abs(x[off + i]));
            return m;
        }

        /** Whether none of the first n halfs has exponent 31 (infinite or NaN). */
        static boolean allFinite(MemorySegment data, long n) {
            VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
            ShortVector top = ShortVector.zero(S);
            long i = 0;
            for (; i + S.length() <= n; i += S.length()) top = top.max(ShortVector.fromMemorySegment(S, data, 2 * i, ByteOrder.LITTLE_ENDIAN).and((short) 0x7C00));
            boolean finite = top.reduceLanes(VectorOperators.MAX) != 0x7C00;
            for (; i < n; i++) finite &= (data.get(I16_LE, 2 * i) & 0x7C00) != 0x7C00;
            return finite;
        }

        /** With {@code finite}, the halfs go through {@link #finiteHalfs} (C2 unswitches the loops on it). */
        static float dot(F16Tensor t, int row, float[] x, int xOff, boolean finite) {
            MemorySegment data = t.data;
            long base = row * t.rowBytes;
            int n = t.cols;
            FloatVector acc0 = FloatVector.zero(SimdShapes.F), acc1 = FloatVector.zero(SimdShapes.F);
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                long a = base + 2L * i, b = a + 2L * L;
                acc0 = (finite ? finiteHalfs(data, a) : load(data, a)).fma(FloatVector.fromArray(SimdShapes.F, x, xOff + i), acc0);
                acc1 = (finite ? finiteHalfs(data, b) : load(data, b)).fma(FloatVector.fromArray(SimdShapes.F, x, xOff + i + L), acc1);
            }
            if (i + L <= n) {
                long a = base + 2L * i;
                acc0 = (finite ? finiteHalfs(data, a) : load(data, a)).fma(FloatVector.fromArray(SimdShapes.F, x, xOff + i), acc0);
                i += L;
            }
            float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
            for (; i < n; i++) sum += Float.float16ToFloat(data.get(I16_LE, base + 2L * i)) * x[xOff + i];
            return sum;
        }
    
        static void dequantize(F16Tensor t, int row, int col0, int n, float[] dst, int off) {
            MemorySegment data = t.data;
            long base = row * t.rowBytes + 2L * col0;
            int i = 0;
            for (; i + L <= n; i += L) load(data, base + 2L * i).intoArray(dst, off + i);
            t.dequantizeScalar(row, col0 + i, n - i, dst, off + i);
        }
    }
}
