package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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
 */
public final class IQ4_XSTensor extends Tensor {
    static final int QK = KQuants.QK;
    static final int BLOCK_BYTES = 136;
    static final int SCALES_H = 2; // offset of scales_h
    static final int SCALES_L = 4; // offset of scales_l
    static final int QS = 8;       // offset of the indices
    private static final byte[] KVALUES = IQ4_NLTensor.KVALUES;

    /** The 6-bit scale of sub-block s (0..7) of the super-block at b, stored +32. */
    private int scale(long b, int s) {
        return (data.get(I32_LE, b + SCALES_L) >>> 4 * s & 0x0F) | (data.get(I16_LE, b + SCALES_H) >>> 2 * s & 3) << 4;
    }

    public IQ4_XSTensor(GgufTensor t) {
        super(t);
    }

    public IQ4_XSTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.IQ4_XS, data, rows, cols);
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b));
            for (int s = 0; s < 8; s++) {
                float dl = d * (scale(b, s) - 32);
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
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b));
            for (int s = 0; s < 8; s++) {
                float dl = d * (scale(b, s) - 32);
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
        return Simd.dot(this, row, x, xOff);
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
            MemorySegment data = t.data;
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

        /** {@code (d*(ls-32)) * grid[n]}: the scalar product, then one multiplication in lanes, as the scalar code. */
        static void dequantize(IQ4_XSTensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Float> F = SimdShapes.F;
            MemorySegment data = t.data;
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
