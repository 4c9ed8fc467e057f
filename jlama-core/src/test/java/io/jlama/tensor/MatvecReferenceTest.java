package io.jlama.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our dot products of the reference weights ({@code <type>.bin}, 8 rows x 4096) with {@code matvec/x.f32} against
 * llama.cpp's CPU matvec ({@code matvec/<type>.y.f32}) and the float64 dots listed in index.json.
 *
 * <p>llama.cpp does not multiply by x itself: it first converts x to the type's {@code vec_dot_type} (q8_0 for
 * q4_0/q5_0/q8_0, q8_1 for q4_1/q5_1, q8_K for the K-quants, f16 or bf16), and it saved that converted x as
 * {@code matvec/<type>.xq.bin}.
 * Three checks per row, from tight to loose:
 * <ol>
 * <li>against index.json's float64 dot of the same dequantized weights with the f32 x: float rounding only;</li>
 * <li>with x replaced by llama.cpp's converted x (dequantized exactly): then llama.cpp and we compute the same sum,
 * so they must agree to float rounding, plus, for q8_1, the f16 rounding of the block sums {@code s} that llama.cpp
 * uses for the {@code m} term (computed exactly from the file);</li>
 * <li>llama.cpp's y against our dot with the f32 x, within the error that converting x introduces, computed from x
 * and the conversion's error bound (see {@link #activationErrorBound}).</li>
 * </ol>
 */
class MatvecReferenceTest {
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final List<String> TYPES = TensorFixtures.REFERENCE_TYPES;

    /** Float summation rounding, relative to sum|w_i x_i|: see {@link VectorScalarTwinTest}. */
    static final double REL_ROUNDING = 1e-5;
    /** index.json prints the float64 dots with 9 significant digits. */
    static final double REL_PRINTED = 1e-8;

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void dotMatchesLlamaCppMatvec(String name) {
        JsonNode index = QuantReference.index();
        JsonNode entry = QuantReference.type(index, name);
        JsonNode mv = QuantReference.matvecCase(index, name);
        int rows = index.get("matvec").get("rows").asInt(), cols = index.get("matvec").get("cols").asInt();
        assertEquals(entry.get("rows").asInt(), rows);
        assertEquals(entry.get("cols").asInt(), cols);
        GgmlType type = GgmlType.byName(name);
        String vecDotType = mv.get("vec_dot_type").asText();

        float[] x = SharedData.readF32(QuantReference.file(index.get("matvec").get("x").asText()));
        float[] y = SharedData.readF32(QuantReference.file(mv.get("y").asText()));
        assertEquals(cols, x.length);
        assertEquals(rows, y.length);
        JsonNode f64 = mv.get("f64_dot_of_dequantized_w_and_f32_x");
        assertTrue(f64 != null && f64.size() == rows, "index.json lists no float64 dots for " + name);

        try (Arena arena = Arena.ofConfined()) {
            Tensor w = TensorFixtures.wrap(type, TensorFixtures.map(arena, QuantReference.file(entry.get("quantized").asText())), rows, cols);
            MemorySegment xqBytes = TensorFixtures.map(arena, QuantReference.file(mv.get("xq").asText()));
            Activations xq = Activations.decode(vecDotType, xqBytes, cols);
            double[] e = activationErrorBound(vecDotType, x);

            List<String> failures = new ArrayList<>();
            System.out.printf("%-5s row %12s %14s %14s %14s %10s%n", name, "llama.cpp y", "ours(x)", "ours(xq)", "float64", "tol(3)");
            for (int r = 0; r < rows; r++) {
                float[] wr = TensorFixtures.dequantizeRow(w, r);
                double absWx = 0, absWxq = 0, sumW2e2 = 0, sumWe = 0;
                for (int i = 0; i < cols; i++) {
                    absWx += Math.abs((double) wr[i] * x[i]);
                    absWxq += Math.abs((double) wr[i] * xq.values[i]);
                    sumWe += Math.abs(wr[i]) * e[i];
                    sumW2e2 += (double) wr[i] * wr[i] * e[i] * e[i];
                }
                float ours = w.dot(r, x, 0);
                float oursXq = w.dot(r, xq.values, 0);
                // q8_1: per-block bounds of the m * s error, as independent terms like the e_i.
                double[] mTerm = xq.sums == null ? new double[0] : minTermErrors(w, r, x);
                for (double c : mTerm) {
                    sumWe += c;
                    sumW2e2 += c * c;
                }

                // 1. float64 dot of the dequantized weights with the f32 x.
                double want1 = f64.get(r).asDouble();
                double tol1 = REL_ROUNDING * absWx + REL_PRINTED * Math.abs(want1);
                if (!(Math.abs(ours - want1) <= tol1)) failures.add(String.format("row %d: ours %s vs float64 %s (tol %.3g)", r, ours, want1, tol1));

                // 2. llama.cpp's own converted activations: the same sum up to rounding (and q8_1's rounded block sums).
                double tol2 = REL_ROUNDING * absWxq + xq.sumRoundingError(w, r) + 1e-30;
                if (!(Math.abs(oursXq - y[r]) <= tol2)) failures.add(String.format("row %d: ours(xq) %s vs llama.cpp %s (tol %.3g)", r, oursXq, y[r], tol2));

                // 3. f32 x: llama.cpp's result differs by sum w_i (x_i - xq_i), errors bounded by e_i and independent of
                // w. Tolerance: the worst case sum |w_i| e_i, or, when that is loose (many terms), 6 standard deviations
                // of the sum, each error taken as uniform on [-|w_i| e_i, |w_i| e_i] (variance (w_i e_i)^2 / 3: an
                // overestimate, as the actual errors are smaller than their bounds).
                double tol3 = Math.min(sumWe, 6 * Math.sqrt(sumW2e2 / 3)) + REL_ROUNDING * (absWx + absWxq);
                if (!(Math.abs(ours - y[r]) <= tol3)) failures.add(String.format("row %d: ours(x) %s vs llama.cpp %s (tol %.3g)", r, ours, y[r], tol3));

                System.out.printf("%-5s %3d %12.6g %14.8g %14.8g %14.8g %10.3g%n", name, r, y[r], ours, oursXq, want1, tol3);
            }
            assertTrue(failures.isEmpty(), name + ":\n  " + String.join("\n  ", failures));
        }
    }

    /**
     * The F16 matrix-vector product (one token through {@link Tensor#matmul}, the kernel decoding uses) rounds x to
     * halfs as llama.cpp does: the same halfs as its {@code matvec/f16.xq.bin}, bit for bit, and llama.cpp's y within
     * float summation rounding ({@link #REL_ROUNDING} of sum|w xq|), much tighter than check 3 above.
     */
    @Test
    void f16MatvecRoundsActivationsAsLlamaCpp() {
        Assumptions.assumeTrue(VectorSupport.ENABLED, "the scalar fallback multiplies by the float activations");
        JsonNode index = QuantReference.index();
        JsonNode entry = QuantReference.type(index, "f16");
        JsonNode mv = QuantReference.matvecCase(index, "f16");
        int rows = index.get("matvec").get("rows").asInt(), cols = index.get("matvec").get("cols").asInt();
        float[] x = SharedData.readF32(QuantReference.file(index.get("matvec").get("x").asText()));
        float[] y = SharedData.readF32(QuantReference.file(mv.get("y").asText()));
        try (Arena arena = Arena.ofConfined()) {
            F16Tensor w = (F16Tensor) TensorFixtures.wrap(GgmlType.F16, TensorFixtures.map(arena, QuantReference.file(entry.get("quantized").asText())), rows, cols);
            assertTrue(w.finite);
            MemorySegment xq = TensorFixtures.map(arena, QuantReference.file(mv.get("xq").asText()));
            short[] halfs = F16Tensor.halfs(x, 0, cols, new short[cols]);
            assertTrue(halfs != null);
            for (int i = 0; i < cols; i++) assertEquals(xq.get(I16_LE, 2L * i), halfs[i], "half of x[" + i + "]");
            float[] xqValues = Activations.decode("f16", xq, cols).values();
            float[] out = new float[rows];
            w.matmul(x, 0, cols, 1, out, 0, rows, 0, rows);
            for (int r = 0; r < rows; r++) {
                float[] wr = TensorFixtures.dequantizeRow(w, r);
                double absWxq = 0;
                for (int i = 0; i < cols; i++) absWxq += Math.abs((double) wr[i] * xqValues[i]);
                assertEquals(y[r], out[r], REL_ROUNDING * absWxq, "row " + r);
            }
        }
    }

    /**
     * Largest |x_i - xq_i| that llama.cpp's conversion to {@code vecDotType} can make, from x alone.
     * f16: round to nearest, half an ulp, at most |x| 2^-11 (2^-25 among subnormals). bf16: |x| 2^-8.
     * q8_0/q8_1: per 32-block d = amax/127 and q = round(x/d) (|x - q d| <= d/2), then d is stored as f16, which moves
     * q*d by at most 127 * d * 2^-11 = 0.062 d: 0.57 d in all.
     * q8_K: per 256-block d = -max/127 kept as f32 and q = round(x/d): |x - q d| <= d/2, plus float rounding of
     * 1/d and x/d (a few ulps): 0.51 d.
     */
    static double[] activationErrorBound(String vecDotType, float[] x) {
        double[] e = new double[x.length];
        switch (vecDotType) {
            case "f16" -> {
                for (int i = 0; i < x.length; i++) e[i] = Math.max(Math.abs(x[i]) * 0x1p-11, 0x1p-25);
            }
            case "bf16" -> {
                for (int i = 0; i < x.length; i++) e[i] = Math.max(Math.abs(x[i]) * 0x1p-8, 0x1p-134);
            }
            case "q8_0", "q8_1" -> {
                for (int b = 0; b < x.length; b += 32) {
                    double amax = 0;
                    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]));
                    for (int j = 0; j < 32; j++) e[b + j] = 0.57 * amax / 127;
                }
            }
            case "q8_K" -> {
                for (int b = 0; b < x.length; b += 256) {
                    double amax = 0;
                    for (int j = 0; j < 256; j++) amax = Math.max(amax, Math.abs(x[b + j]));
                    for (int j = 0; j < 256; j++) e[b + j] = 0.51 * amax / 127;
                }
            }
            default -> throw new AssertionError("unexpected vec_dot_type " + vecDotType);
        }
        return e;
    }

    /**
     * For q8_1 (weights q4_1/q5_1, w = q d + m): llama.cpp adds {@code m * s} per block, where s is the f16 of
     * d_x * sum(qx), instead of m * sum(xq). Per block, a bound of that difference from x alone:
     * |s - sum xq| <= 2^-10 |d_x sum(qx)| (2^-11 for rounding s to f16, 2^-11 for s using the f32 d_x where xq uses the
     * f16 one), with |d_x sum(qx)| <= |sum x| + sum e.
     */
    private static double[] minTermErrors(Tensor w, int r, float[] x) {
        double[] e = activationErrorBound("q8_1", x);
        double[] err = new double[x.length / 32];
        for (int b = 0; b < err.length; b++) {
            double sum = 0, sumE = 0;
            for (int j = 0; j < 32; j++) {
                sum += x[b * 32 + j];
                sumE += e[b * 32 + j];
            }
            err[b] = Math.abs(Activations.blockMin(w, r, b)) * (Math.abs(sum) + sumE) * 0x1p-10;
        }
        return err;
    }

    /** llama.cpp's converted activations, dequantized exactly; for q8_1 also the stored block sums s. */
    record Activations(float[] values, float[] sums) {
        static Activations decode(String vecDotType, MemorySegment bytes, int cols) {
            float[] v = new float[cols];
            float[] s = null;
            switch (vecDotType) {
                case "f16" -> new F16Tensor("xq", bytes, 1, cols).dequantizeRow(0, v, 0);
                case "bf16" -> new BF16Tensor("xq", bytes, 1, cols).dequantizeRow(0, v, 0);
                case "q8_0" -> new Q8_0Tensor("xq", bytes, 1, cols).dequantizeRow(0, v, 0);
                case "q8_1" -> { // f16 d, f16 s = d * sum(q), 32 int8
                    assertEquals(cols / 32 * 36L, bytes.byteSize());
                    s = new float[cols / 32];
                    for (int b = 0; b < cols / 32; b++) {
                        long off = b * 36L;
                        float d = Float.float16ToFloat(bytes.get(I16_LE, off));
                        s[b] = Float.float16ToFloat(bytes.get(I16_LE, off + 2));
                        for (int j = 0; j < 32; j++) v[b * 32 + j] = bytes.get(ValueLayout.JAVA_BYTE, off + 4 + j) * d;
                    }
                }
                case "q8_K" -> { // f32 d, 256 int8, 16 int16 block sums (exact sums of the int8, not needed here)
                    assertEquals(cols / 256 * 292L, bytes.byteSize());
                    for (int b = 0; b < cols / 256; b++) {
                        long off = b * 292L;
                        float d = bytes.get(F32_LE, off);
                        for (int j = 0; j < 256; j++) v[b * 256 + j] = d * bytes.get(ValueLayout.JAVA_BYTE, off + 4 + j);
                    }
                }
                default -> throw new AssertionError("unexpected vec_dot_type " + vecDotType);
            }
            return new Activations(v, s);
        }

        /** Exactly what llama.cpp's use of s instead of sum(xq) changes in row r: sum over blocks |m| |s - sum xq|. */
        double sumRoundingError(Tensor w, int r) {
            if (sums == null) return 0;
            double err = 0;
            for (int b = 0; b < sums.length; b++) {
                double sum = 0;
                for (int j = 0; j < 32; j++) sum += values[b * 32 + j];
                err += Math.abs(blockMin(w, r, b)) * Math.abs(sums[b] - sum);
            }
            return err;
        }

        /** The f16 offset m of block b of row r of a Q4_1/Q5_1 tensor (bytes 2..3 of the block). */
        static float blockMin(Tensor w, int r, int b) {
            assertTrue(w.type() == GgmlType.Q4_1 || w.type() == GgmlType.Q5_1, "q8_1 activations with " + w.type());
            long off = r * w.type().rowBytes(w.cols()) + (long) b * w.type().typeSize + 2;
            return Float.float16ToFloat(w.data().get(I16_LE, off));
        }
    }
}
