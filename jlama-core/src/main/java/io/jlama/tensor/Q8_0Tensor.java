package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q8_0 weights: blocks of 32 elements in 34 bytes, an f16 scale {@code d} then 32 signed bytes {@code q};
 * element j is {@code q[j] * d}.
 */
public final class Q8_0Tensor extends Tensor {
    static final int QK = 32;
    static final int BLOCK_BYTES = 34;
    static final int QS = 2; // offset of the quants in a block

    public Q8_0Tensor(GgufTensor t) {
        this(t.name(), t.data(), Math.toIntExact(t.rows()), Math.toIntExact(t.cols()));
    }

    public Q8_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q8_0, data, rows, cols);
        blocked = REPACK_PAIRS && SimdShapes.L >= 8 && cols > GROUP_SPLIT_COLS ? blockRows(data) : null; // REPACK_PAIRS: with the Vector API, unless -Djlama.repack=false
    }

    /**
     * Rows longer than {@link Tensor#GROUP_SPLIT_COLS} columns, copied for the one-token kernel in column blocks of
     * {@link Tensor#BANDED_BLOCK_COLS} (null otherwise), at {@link Tensor#bandedBase}: band by band, in each band its
     * rows' first block, then their second, and so on, each row pair's blocks interleaved (a pair is one stream). The kernel
     * walks a band block by block and carries each row's lane sums from block to block. Why: the 32 KB of float
     * activations of an 8192-column row leave the 32 KB L1 cache while 17 KB of a row pair's weights stream between two
     * uses of each line (two threads: ffn_down 14-17 GB/s against 27-33 for the 2048-column ffn_gate). The row pairs
     * of {@link #data} still serve prompts and the scalar paths; this costs a copy of these matrices in memory.
     */
    final MemorySegment blocked;

    private MemorySegment blockRows(MemorySegment src) {
        MemorySegment dst = java.lang.foreign.Arena.ofAuto().allocate(rowBytes * rows, 64);
        for (int r = 0; r < rows; r++) {
            int band = r / GROUP_BAND_ROWS * GROUP_BAND_ROWS, bandEnd = Math.min(rows, band + GROUP_BAND_ROWS);
            int first = r - ((r - band) & 1);
            boolean paired = first + 1 < bandEnd;
            for (int k0 = 0; k0 < cols; k0 += BANDED_BLOCK_COLS) {
                long base = bandedBase(first, k0) + (r - first) * (long) BLOCK_BYTES;
                for (int k = k0 / QK, end = Math.min(cols, k0 + BANDED_BLOCK_COLS) / QK; k < end; k++, base += paired ? 2 * BLOCK_BYTES : BLOCK_BYTES) {
                    MemorySegment.copy(src, r * rowBytes + (long) k * BLOCK_BYTES, dst, base, BLOCK_BYTES);
                }
            }
        }
        return dst;
    }

    /** Whole bands per chunk when {@link #blocked} is in use, so that each chunk reads one stream. */
    @Override
    public int rowChunkMultiple() {
        return blocked != null ? GROUP_BAND_ROWS : ROW_TILE;
    }

    /** The scale of the block at byte offset {@code b}. */
    private float scale(long b) {
        return Float.float16ToFloat(data.get(I16_LE, b));
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = 0; i < n; i += QK, b += step) {
            float d = scale(b);
            for (int j = 0; j < QK; j++) dst[off + i + j] = data.get(I8, b + QS + j) * d;
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = 0; i < cols; i += QK, b += step) {
            float d = scale(b);
            for (int j = 0; j < QK; j++) sum += data.get(I8, b + QS + j) * d * x[xOff + i + j];
        }
        return sum;
    }

    @Override
    protected void dequantizeVector(int row, int col0, int n, float[] dst, int off) {
        Simd.dequantize(this, row, col0, n, dst, off);
    }

    @Override
    protected float dotVector(int row, float[] x, int xOff) {
        return Simd.dot(this, row, x, xOff);
    }

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        if (blocked != null) Simd.matvecBlocked(this, x, xOff, out, outOff, r0, r1);
        else if (SimdShapes.L >= 8) Simd.matvec(this, x, xOff, out, outOff, r0, r1);
        else super.matvecVector(x, xOff, out, outOff, r0, r1);
    }

    /**
     * Vector API kernel; a nested class so that it is loaded only when the module is present. Since q*d is exact,
     * a block contributes {@code d * sum(q[j] * x[j])}: the inner sum in lanes, then one fma with d per block.
     * The whole loop is one method: see {@link SimdShapes} for why.
     */
    static final class Simd {
        private static final int L = SimdShapes.L, BL = SimdShapes.BL, PARTS = SimdShapes.PARTS;

        static float dot(Q8_0Tensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc = FloatVector.zero(F);
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += step) {
                FloatVector s = FloatVector.zero(F); // lane-wise sum of q[j] * x[j] over the block
                for (int c = 0; c < QK; c += BL) {
                    ByteVector q = ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS + c, ByteOrder.LITTLE_ENDIAN);
                    s = SimdShapes.bytesToFloats(q, 0).fma(FloatVector.fromArray(F, x, xi + c), s);
                    if (PARTS == 2) s = SimdShapes.bytesToFloats(q, 1).fma(FloatVector.fromArray(F, x, xi + c + L), s);
                }
                acc = s.fma(FloatVector.broadcast(F, t.scale(b)), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }
    
        static void dequantize(Q8_0Tensor t, int row, int col0, int n, float[] dst, int off) {
            MemorySegment data = t.data;
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                FloatVector d = FloatVector.broadcast(SimdShapes.F, t.scale(b));
                for (int c = 0; c < QK; c += BL) {
                    ByteVector q = ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS + c, ByteOrder.LITTLE_ENDIAN);
                    SimdShapes.bytesToFloats(q, 0).mul(d).intoArray(dst, i + c);
                    if (PARTS == 2) SimdShapes.bytesToFloats(q, 1).mul(d).intoArray(dst, i + c + L);
                }
            }
        }
    
        /** Matrix-vector product for 8 or 16 float lanes: rows of an interleaved pair are walked together in one stream. */
        static void matvec(Q8_0Tensor t, float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
            int r = r0;
            if ((r & 1) == 1 && r < r1) {
                out[outOff + r] = dot(t, r, x, xOff);
                r++;
            }
            if (t.blockStep(r) != BLOCK_BYTES) {
                for (; r + 2 <= r1; r += 2) dot2(t, r, x, xOff, out, outOff + r);
            }
            for (; r < r1; r++) out[outOff + r] = dot(t, r, x, xOff);
        }

        private static final ThreadLocal<float[][]> BLOCK_SUMS = ThreadLocal.withInitial(() -> new float[1][0]);

        /**
         * {@link #dot2} of the row pairs of [r0, r1) from {@link Q8_0Tensor#blocked}: band by band, in each block by
         * block, each row's lane sums kept in a per-thread array between blocks (L floats a row), so that each band is
         * read in address order and each block of activations (8 KB) stays in L1. Rows not in a whole stored pair of
         * the range (an odd start or end) go through {@link #dot}.
         */
        static void matvecBlocked(Q8_0Tensor t, float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.blocked;
            int n = t.cols;
            float[][] holder = BLOCK_SUMS.get();
            if (holder[0].length < L * GROUP_BAND_ROWS) holder[0] = new float[L * GROUP_BAND_ROWS];
            float[] sums = holder[0];
            for (int b0 = r0; b0 < r1; ) {
                int band = b0 / GROUP_BAND_ROWS * GROUP_BAND_ROWS, b1 = Math.min(r1, band + GROUP_BAND_ROWS);
                int p0 = b0 + ((b0 - band) & 1), p1 = p0 + (b1 - p0) / 2 * 2; // whole stored pairs [p0, p1)
                if (p0 > b0) out[outOff + b0] = dot(t, b0, x, xOff);
                if (p1 < b1) out[outOff + p1] = dot(t, p1, x, xOff);
                for (int k0 = 0; k0 < n; k0 += BANDED_BLOCK_COLS) {
                    int k1 = Math.min(n, k0 + BANDED_BLOCK_COLS);
                    for (int r = p0, s = 0; r < p1; r += 2, s += 2 * L) {
                        long b = t.bandedBase(r, k0);
                        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
                        if (k0 > 0) {
                            acc0 = FloatVector.fromArray(F, sums, s);
                            acc1 = FloatVector.fromArray(F, sums, s + L);
                        }
                        for (int xi = xOff + k0, end = xOff + k1; xi < end; xi += QK, b += 2 * BLOCK_BYTES) {
                            long c = b + BLOCK_BYTES;
                            FloatVector s0, s1;
                            if (L == 16) {
                                FloatVector xl = FloatVector.fromArray(F, x, xi), xh = FloatVector.fromArray(F, x, xi + 16);
                                ByteVector q = ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS, ByteOrder.LITTLE_ENDIAN);
                                s0 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(xl);
                                q = ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS + 16, ByteOrder.LITTLE_ENDIAN);
                                s0 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(xh, s0);
                                q = ByteVector.fromMemorySegment(SimdShapes.B, data, c + QS, ByteOrder.LITTLE_ENDIAN);
                                s1 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(xl);
                                q = ByteVector.fromMemorySegment(SimdShapes.B, data, c + QS + 16, ByteOrder.LITTLE_ENDIAN);
                                s1 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(xh, s1);
                            } else {
                                FloatVector x0 = FloatVector.fromArray(F, x, xi), x1 = FloatVector.fromArray(F, x, xi + 8);
                                FloatVector x2 = FloatVector.fromArray(F, x, xi + 16), x3 = FloatVector.fromArray(F, x, xi + 24);
                                s0 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).mul(x0);
                                s0 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS + 8, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x1, s0);
                                s0 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS + 16, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x2, s0);
                                s0 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + QS + 24, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x3, s0);
                                s1 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, c + QS, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).mul(x0);
                                s1 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, c + QS + 8, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x1, s1);
                                s1 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, c + QS + 16, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x2, s1);
                                s1 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, c + QS + 24, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x3, s1);
                            }
                            acc0 = s0.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, b))), acc0);
                            acc1 = s1.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, c))), acc1);
                        }
                        if (k1 < n) {
                            acc0.intoArray(sums, s);
                            acc1.intoArray(sums, s + L);
                        } else {
                            out[outOff + r] = acc0.reduceLanes(VectorOperators.ADD);
                            out[outOff + r + 1] = acc1.reduceLanes(VectorOperators.ADD);
                        }
                    }
                }
                b0 = b1;
            }
        }

        /** Two rows, written out without helper methods (see SimdShapes: C2's inlining budget). */
        private static void dot2(Q8_0Tensor t, int row, float[] x, int xOff, float[] out, int o) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
            long step = t.blockStep(row), b0 = t.rowBase(row), b1 = t.rowBase(row + 1);
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b0 += step, b1 += step) {
                FloatVector s0, s1;
                if (L == 16) {
                    FloatVector xl = FloatVector.fromArray(F, x, xi), xh = FloatVector.fromArray(F, x, xi + 16);
                    ByteVector q = ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QS, ByteOrder.LITTLE_ENDIAN);
                    s0 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(xl);
                    q = ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QS + 16, ByteOrder.LITTLE_ENDIAN);
                    s0 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(xh, s0);
                    q = ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + QS, ByteOrder.LITTLE_ENDIAN);
                    s1 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(xl);
                    q = ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + QS + 16, ByteOrder.LITTLE_ENDIAN);
                    s1 = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(xh, s1);
                } else { // 8 lanes: four loads per row written out (a 4-step loop is not unrolled; see Q4_KTensor.Simd.dot2x8)
                    FloatVector x0 = FloatVector.fromArray(F, x, xi), x1 = FloatVector.fromArray(F, x, xi + 8);
                    FloatVector x2 = FloatVector.fromArray(F, x, xi + 16), x3 = FloatVector.fromArray(F, x, xi + 24);
                    s0 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QS, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).mul(x0);
                    s0 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QS + 8, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x1, s0);
                    s0 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QS + 16, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x2, s0);
                    s0 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b0 + QS + 24, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x3, s0);
                    s1 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + QS, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).mul(x0);
                    s1 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + QS + 8, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x1, s1);
                    s1 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + QS + 16, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x2, s1);
                    s1 = ((FloatVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b1 + QS + 24, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).fma(x3, s1);
                }
                acc0 = s0.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, b0))), acc0);
                acc1 = s1.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(I16_LE, b1))), acc1);
            }
            out[o] = acc0.reduceLanes(VectorOperators.ADD);
            out[o + 1] = acc1.reduceLanes(VectorOperators.ADD);
        }
    }
}
