package io.jlama.tensor;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiled prompt GEMM (vector panels and 4x4 micro-kernel) against its scalar twin, for every weight type, on
 * row ranges and batch sizes that leave remainders of the 4-row and 4-token tiles, and odd row lengths.
 */
class GemmTwinTest {

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (GgmlType type : Tensors.supported()) {
            int[] colsList = type.blockSize == 1 ? new int[] {1, 17, 172, 1001} : type.blockSize == 32 ? new int[] {32, 96, 4128} : new int[] {256, 768, 4352};
            for (int cols : colsList) for (int n : new int[] {4, 5, 7, 9}) out.add(Arguments.of(type, cols, n));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} cols={1} n={2}")
    @MethodSource("cases")
    void gemmEqualsScalarTwin(GgmlType type, int cols, int n) {
        Assumptions.assumeTrue(VectorSupport.ENABLED, "Vector API not enabled");
        Random rnd = new Random(7919L * type.id + 31L * cols + n);
        int rows = 11, r0 = 1, r1 = 10; // 9 rows: two full 4-row panels and a remainder, starting on an odd row
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(type.rowBytes(cols) * rows);
            VectorScalarTwinTest.fillRandom(seg, type, rows, cols, rnd);
            Tensor t = TensorFixtures.wrap(type, seg, rows, cols);
            int xStride = cols + 3, outStride = rows + 1;
            float[] x = new float[n * xStride];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] got = new float[n * outStride], want = new float[n * outStride];
            Arrays.fill(got, Float.NaN);
            Arrays.fill(want, Float.NaN);
            t.matmul(x, xStride, n, got, outStride, r0, r1); // n >= 4: the GEMM path
            // types with int8 activations multiply the int8-rounded activations (Q8Activations.Batch)
            // F16 rounds them to halfs (F16Tensor.gemmActivations, as one token's kernel does)
            float[] xs = x;
            if (t.int8Activations()) xs = int8Rounded(x, xStride, n, cols, Q8Activations.Kind.of(type));
            else if (t instanceof F16Tensor f && f.finite) xs = halfRounded(x);
            Gemm.matmulScalar(t, xs, xStride, n, want, outStride, r0, r1);
            for (int tok = 0; tok < n; tok++) {
                for (int r = 0; r < outStride; r++) {
                    float g = got[tok * outStride + r], w = want[tok * outStride + r];
                    if (r < r0 || r >= r1) {
                        assertTrue(Float.isNaN(g), "row " + r + " outside [r0, r1) was written");
                        continue;
                    }
                    // the same exact products summed in another order: within the twin tolerance
                    double tol = VectorScalarTwinTest.REL_TOL * VectorScalarTwinTest.absDot(TensorFixtures.dequantizeRow(t, r), x, tok * xStride) + 1e-6;
                    assertTrue(Math.abs(g - w) <= tol, type + " token " + tok + " row " + r + ": " + g + " vs " + w);
                }
            }
        }
    }

    /** x with every value rounded to a half and back (all finite here). */
    static float[] halfRounded(float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) r[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        return r;
    }

    /**
     * The slice form (input offset, negative output offset: an expert's rows [r0, r1) written compactly) gives the
     * values of the plain call (up to the lane-sum order of a reduction, see below), on the per-row path (2 tokens)
     * and the GEMM path (5, 7, 9 tokens).
     */
    @ParameterizedTest(name = "{0} cols={1} n={2}")
    @MethodSource("cases")
    void sliceEqualsPlainCall(GgmlType type, int cols, int n) {
        int rows = 11, r0 = 1, r1 = 10, m = n == 4 ? 2 : n, xOff = 5;
        Random rnd = new Random(31L * type.id + cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(type.rowBytes(cols) * rows);
            VectorScalarTwinTest.fillRandom(seg, type, rows, cols, rnd);
            Tensor t = TensorFixtures.wrap(type, seg, rows, cols);
            float[] x = new float[xOff + m * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] plain = new float[m * rows], slice = new float[3 + m * (r1 - r0)];
            t.matmul(Arrays.copyOfRange(x, xOff, x.length), cols, m, plain, rows, r0, r1);
            t.matmul(x, xOff, cols, m, slice, 3 - r0, r1 - r0, r0, r1);
            for (int tok = 0; tok < m; tok++) {
                for (int r = r0; r < r1; r++) {
                    float p = plain[tok * rows + r], q = slice[3 + tok * (r1 - r0) + r - r0];
                    // the same kernel on the same data; equal up to the order in which C2 sums the lanes of a
                    // reduction, which changes once the kernel is compiled (so not always bit for bit)
                    double tol = VectorScalarTwinTest.REL_TOL * VectorScalarTwinTest.absDot(TensorFixtures.dequantizeRow(t, r), x, xOff + tok * cols) + 1e-6;
                    assertTrue(Math.abs(p - q) <= tol, type + " token " + tok + " row " + r + ": " + p + " vs " + q);
                }
            }
        }
    }

    /** Each token's activations quantized to int8 blocks of a kind and back ({@code q * d}), in the same layout. */
    static float[] int8Rounded(float[] x, int xStride, int n, int cols, Q8Activations.Kind kind) {
        float[] r = x.clone();
        Q8Activations a = new Q8Activations(kind);
        for (int t = 0; t < n; t++) {
            a.quantize(x, t * xStride, cols);
            for (int i = 0; i < cols; i++) r[t * xStride + i] = a.q[i] * a.d[i / kind.block];
        }
        return r;
    }
}
