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
     * halfs with 4 lane operations instead of 7 (see {@link Simd#finiteHalfs}); decoding is bound by them.
     */
    final boolean finite;

    public F16Tensor(GgufTensor t) {
        this(t.name(), t.data(), Math.toIntExact(t.rows()), Math.toIntExact(t.cols()));
    }

    public F16Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.F16, data, rows, cols);
        finite = VectorSupport.ENABLED && Simd.allFinite(data, (long) rows * cols);
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

    @Override
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        float[] scaled = finite ? Simd.scaled(x, xOff, cols) : null;
        if (scaled == null) {
            super.matvecVector(x, xOff, out, outOff, r0, r1);
            return;
        }
        for (int r = r0; r < r1; r++) out[outOff + r] = Simd.dotScaled(this, r, scaled);
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

        /** 2^112: a half's bits shifted into a float's place read as that float times 2^-112. */
        private static final float HALF_SCALE = 0x1p112f;

        private static final ThreadLocal<float[][]> SCALED = ThreadLocal.withInitial(() -> new float[1][0]);

        /**
         * {@code x * 2^112} in the calling thread's buffer, so that the finite-half kernel can multiply the halfs'
         * shifted bits (the half times 2^-112, exact) by it without scaling them back first: one lane operation fewer
         * per 16 weights, the same products (exact inside the fma) and so the same bits. Null when some |x| >= 2^15,
         * whose scaled value could overflow.
         */
        static float[] scaled(float[] x, int xOff, int n) {
            float[][] holder = SCALED.get();
            if (holder[0].length < n) holder[0] = new float[n];
            float[] s = holder[0];
            VectorSpecies<Float> F = SimdShapes.F;
            FloatVector max = FloatVector.zero(F);
            int i = 0;
            for (; i + L <= n; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, xOff + i);
                max = max.max(v.abs());
                v.mul(HALF_SCALE).intoArray(s, i);
            }
            float m = max.reduceLanes(VectorOperators.MAX);
            for (; i < n; i++) {
                m = Math.max(m, Math.abs(x[xOff + i]));
                s[i] = x[xOff + i] * HALF_SCALE;
            }
            return m < 0x1p15f ? s : null; // NaN: not less, so the plain kernel
        }

        /** {@link #dot} of a finite row with {@link #scaled} activations. */
        static float dotScaled(F16Tensor t, int row, float[] xs) {
            MemorySegment data = t.data;
            long base = row * t.rowBytes;
            int n = t.cols;
            VectorSpecies<Float> F = SimdShapes.F;
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                long a = base + 2L * i;
                IntVector v = (IntVector) ShortVector.fromMemorySegment(SimdShapes.S, data, a, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, SimdShapes.I, 0);
                IntVector w = (IntVector) ShortVector.fromMemorySegment(SimdShapes.S, data, a + 2L * L, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, SimdShapes.I, 0);
                acc0 = v.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().fma(FloatVector.fromArray(F, xs, i), acc0);
                acc1 = w.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().fma(FloatVector.fromArray(F, xs, i + L), acc1);
            }
            if (i + L <= n) {
                IntVector v = (IntVector) ShortVector.fromMemorySegment(SimdShapes.S, data, base + 2L * i, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, SimdShapes.I, 0);
                acc0 = v.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().fma(FloatVector.fromArray(F, xs, i), acc0);
                i += L;
            }
            float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
            for (; i < n; i++) sum += Float.float16ToFloat(data.get(I16_LE, base + 2L * i)) * (xs[i] / HALF_SCALE);
            return sum;
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
