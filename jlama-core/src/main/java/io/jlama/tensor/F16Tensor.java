package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** F16 weights: IEEE half precision, 2 bytes per element, little-endian. */
public final class F16Tensor extends Tensor {

    public F16Tensor(GgufTensor t) {
        super(t);
    }

    public F16Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.F16, data, rows, cols);
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
        return Simd.dot(this, row, x, xOff);
    }

    /** Vector API kernel; a nested class so that it is loaded only when the module is present. */
    static final class Simd {
        private static final int L = SimdShapes.L;

        private static FloatVector load(MemorySegment data, long off) {
            return SimdShapes.f16ToFloats(ShortVector.fromMemorySegment(SimdShapes.S, data, off, ByteOrder.LITTLE_ENDIAN));
        }

        static float dot(F16Tensor t, int row, float[] x, int xOff) {
            MemorySegment data = t.data;
            long base = row * t.rowBytes;
            int n = t.cols;
            FloatVector acc0 = FloatVector.zero(SimdShapes.F), acc1 = FloatVector.zero(SimdShapes.F);
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                acc0 = load(data, base + 2L * i).fma(FloatVector.fromArray(SimdShapes.F, x, xOff + i), acc0);
                acc1 = load(data, base + 2L * (i + L)).fma(FloatVector.fromArray(SimdShapes.F, x, xOff + i + L), acc1);
            }
            if (i + L <= n) {
                acc0 = load(data, base + 2L * i).fma(FloatVector.fromArray(SimdShapes.F, x, xOff + i), acc0);
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
