package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** F32 weights: 4 bytes per element, little-endian. */
public final class F32Tensor extends Tensor {

    public F32Tensor(GgufTensor t) {
        super(t);
    }

    public F32Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.F32, data, rows, cols);
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long base = row * rowBytes + 4L * col0;
        for (int i = 0; i < n; i++) dst[off + i] = data.get(F32_LE, base + 4L * i);
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long base = row * rowBytes;
        float sum = 0f;
        for (int i = 0; i < cols; i++) sum += data.get(F32_LE, base + 4L * i) * x[xOff + i];
        return sum;
    }

    @Override
    protected void dequantizeVector(int row, int col0, int n, float[] dst, int off) {
        MemorySegment.copy(data, F32_LE, row * rowBytes + 4L * col0, dst, off, n);
    }

    @Override
    protected float dotVector(int row, float[] x, int xOff) {
        return Simd.dot(this, row, x, xOff);
    }

    /** Vector API kernels; a nested class so that it is loaded only when the module is present. */
    static final class Simd {
        static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

        static float dot(F32Tensor t, int row, float[] x, int xOff) {
            long base = row * t.rowBytes;
            int n = t.cols;
            int bound = F.loopBound(n);
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int i = 0;
            int step = F.length();
            for (; i + 2 * step <= bound; i += 2 * step) {
                FloatVector w0 = FloatVector.fromMemorySegment(F, t.data, base + 4L * i, ByteOrder.LITTLE_ENDIAN);
                FloatVector w1 = FloatVector.fromMemorySegment(F, t.data, base + 4L * (i + step), ByteOrder.LITTLE_ENDIAN);
                acc0 = w0.fma(FloatVector.fromArray(F, x, xOff + i), acc0);
                acc1 = w1.fma(FloatVector.fromArray(F, x, xOff + i + step), acc1);
            }
            for (; i < bound; i += step) {
                FloatVector w0 = FloatVector.fromMemorySegment(F, t.data, base + 4L * i, ByteOrder.LITTLE_ENDIAN);
                acc0 = w0.fma(FloatVector.fromArray(F, x, xOff + i), acc0);
            }
            float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
            for (; i < n; i++) sum += t.data.get(F32_LE, base + 4L * i) * x[xOff + i];
            return sum;
        }
        }
}
