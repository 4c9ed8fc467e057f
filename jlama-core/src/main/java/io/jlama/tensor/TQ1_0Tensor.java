package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * TQ1_0 weights (ternary): blocks of 256 elements in 54 bytes, 48 bytes {@code qs} of 5 base-3 digits each, 4 bytes
 * {@code qh} of 4 digits each, then an f16 scale {@code d} at byte 52. A byte holds its digits as a fixed-point
 * fraction: digit n of byte v is the integer part of {@code 3 * ((v * 3^n) mod 256) / 256}, i.e. {@code ((uint8)(v *
 * 3^n) * 3) >> 8}, and a digit t stands for {@code (t - 1) * d} (exact). Element order, as ggml's dequantizer:
 * digit n of {@code qs[m]} is element {@code 32n + m} for m < 32, digit n of {@code qs[32 + m]} is element
 * {@code 160 + 16n + m} for m < 16, and digit n (n < 4) of {@code qh[j]} is element {@code 240 + 4n + j}. Every
 * byte gives digits 0..2, so any bytes decode.
 */
public final class TQ1_0Tensor extends Tensor {
    static final int QK = 256;
    static final int BLOCK_BYTES = 54;
    static final int QS_BYTES = 48;
    static final int QH = 48; // offset of qh in a block
    static final int D = 52;  // offset of the scale in a block

    public TQ1_0Tensor(GgufTensor t) {
        super(t);
    }

    public TQ1_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.TQ1_0, data, rows, cols);
    }

    /** Digit n (0..2) of byte v, multiplied by {@code pw = 3^n}. */
    private static int digit(int v, int pw) {
        return (((v * pw) & 0xFF) * 3) >>> 8;
    }

    /** The element of digit 0 of qs byte p; digit n adds {@code n * stride(p)}. */
    private static int element(int p) {
        return p < 32 ? p : 128 + p;
    }

    private static int stride(int p) {
        return p < 32 ? 32 : 16;
    }

    @Override
    protected void dequantizeScalar(int row, int col0, int n, float[] dst, int off) {
        long step = blockStep(row), b = rowBase(row) + (long) (col0 / QK) * step;
        for (int i = off, end = off + n; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D));
            for (int p = 0; p < QS_BYTES; p++) {
                int v = data.get(I8, b + p) & 0xFF, e = i + element(p), s = stride(p);
                for (int k = 0, pw = 1; k < 5; k++, pw *= 3) dst[e + k * s] = (digit(v, pw) - 1) * d;
            }
            for (int j = 0; j < 4; j++) {
                int v = data.get(I8, b + QH + j) & 0xFF;
                for (int k = 0, pw = 1; k < 4; k++, pw *= 3) dst[i + 240 + 4 * k + j] = (digit(v, pw) - 1) * d;
            }
        }
    }

    @Override
    public float dotScalar(int row, float[] x, int xOff) {
        long step = blockStep(row), b = rowBase(row);
        float sum = 0f;
        for (int i = xOff, end = xOff + cols; i < end; i += QK, b += step) {
            float d = Float.float16ToFloat(data.get(I16_LE, b + D));
            for (int p = 0; p < QS_BYTES; p++) {
                int v = data.get(I8, b + p) & 0xFF, e = i + element(p), s = stride(p);
                for (int k = 0, pw = 1; k < 5; k++, pw *= 3) sum += (digit(v, pw) - 1) * d * x[e + k * s];
            }
            for (int j = 0; j < 4; j++) {
                int v = data.get(I8, b + QH + j) & 0xFF;
                for (int k = 0, pw = 1; k < 4; k++, pw *= 3) sum += (digit(v, pw) - 1) * d * x[i + 240 + 4 * k + j];
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
     * Vector API kernels; a nested class so that it is loaded only when the module is present. The 48 qs bytes go L
     * at a time into int lanes (zero-extended; with 4 lanes read as one int and shifted apart, so no read passes the
     * block), and each digit is ggml's multiply trick in lanes: {@code ((v * 3^n & 0xFF) * 3) >> 8}, minus 1,
     * converted exactly to float; digit n of L consecutive bytes is L consecutive elements. The 4 qh bytes (16
     * elements, interleaved by 4) are decoded in scalar code. A block contributes {@code d * sum((t-1) * x)}. Each
     * kernel calls nothing but the Vector API: see {@link SimdShapes}.
     */
    static final class Simd {
        private static final int L = SimdShapes.L;

        static float dot(TQ1_0Tensor t, int row, float[] x, int xOff) {
            VectorSpecies<Float> F = SimdShapes.F;
            VectorSpecies<Integer> I = SimdShapes.I;
            MemorySegment data = t.data;
            IntVector shifts = L == 4 ? IntVector.fromArray(I, SimdShapes.BYTE_SHIFT, 0) : null;
            long step = t.blockStep(row), b = t.rowBase(row);
            FloatVector acc = FloatVector.zero(F);
            float tail = 0f;
            for (int xi = xOff, end = xOff + t.cols; xi < end; xi += QK, b += step) {
                FloatVector s = FloatVector.zero(F);
                for (int p = 0; p < QS_BYTES; p += L) {
                    IntVector v = L == 4
                            ? IntVector.broadcast(I, data.get(I32_LE, b + p)).lanewise(VectorOperators.LSHR, shifts).and(0xFF)
                            : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + p, ByteOrder.LITTLE_ENDIAN)
                                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    int e = xi + (p < 32 ? p : 128 + p), stride = p < 32 ? 32 : 16;
                    for (int k = 0, pw = 1; k < 5; k++, pw *= 3, e += stride) {
                        IntVector dg = v.mul(pw).and(0xFF).mul(3).lanewise(VectorOperators.LSHR, 8).sub(1);
                        s = ((FloatVector) dg.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, e), s);
                    }
                }
                float d = Float.float16ToFloat(data.get(I16_LE, b + D));
                float h = 0f;
                for (int j = 0; j < 4; j++) {
                    int v = data.get(I8, b + QH + j) & 0xFF;
                    for (int k = 0, pw = 1; k < 4; k++, pw *= 3) h += ((((v * pw) & 0xFF) * 3 >>> 8) - 1) * x[xi + 240 + 4 * k + j];
                }
                acc = s.fma(FloatVector.broadcast(F, d), acc);
                tail += h * d;
            }
            return acc.reduceLanes(VectorOperators.ADD) + tail;
        }

        /** {@code (t-1) * d}: one exact conversion and one multiplication in lanes, as the scalar code. */
        static void dequantize(TQ1_0Tensor t, int row, int col0, int n, float[] dst, int off) {
            VectorSpecies<Integer> I = SimdShapes.I;
            MemorySegment data = t.data;
            IntVector shifts = L == 4 ? IntVector.fromArray(I, SimdShapes.BYTE_SHIFT, 0) : null;
            long step = t.blockStep(row), b = t.rowBase(row) + (long) (col0 / QK) * step;
            for (int i = off, end = off + n; i < end; i += QK, b += step) {
                float df = Float.float16ToFloat(data.get(I16_LE, b + D));
                FloatVector d = FloatVector.broadcast(SimdShapes.F, df);
                for (int p = 0; p < QS_BYTES; p += L) {
                    IntVector v = L == 4
                            ? IntVector.broadcast(I, data.get(I32_LE, b + p)).lanewise(VectorOperators.LSHR, shifts).and(0xFF)
                            : (IntVector) ByteVector.fromMemorySegment(SimdShapes.B, data, b + p, ByteOrder.LITTLE_ENDIAN)
                                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    int e = i + (p < 32 ? p : 128 + p), stride = p < 32 ? 32 : 16;
                    for (int k = 0, pw = 1; k < 5; k++, pw *= 3, e += stride) {
                        IntVector dg = v.mul(pw).and(0xFF).mul(3).lanewise(VectorOperators.LSHR, 8).sub(1);
                        ((FloatVector) dg.convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, e);
                    }
                }
                for (int j = 0; j < 4; j++) {
                    int v = data.get(I8, b + QH + j) & 0xFF;
                    for (int k = 0, pw = 1; k < 4; k++, pw *= 3) dst[i + 240 + 4 * k + j] = ((((v * pw) & 0xFF) * 3 >>> 8) - 1) * df;
                }
            }
        }
    }
}
