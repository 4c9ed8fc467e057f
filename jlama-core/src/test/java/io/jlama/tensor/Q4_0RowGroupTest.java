package io.jlama.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Q4_0's int8 matrix-vector path: the activation quantization against llama.cpp's own bytes, the row-group layout
 * against the file's bytes, the row-group vector kernel against its scalar twin (the same bits: both sum exact
 * integers per block and then run the same float operations), and the result against llama.cpp's matvec.
 */
class Q4_0RowGroupTest {
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** reference/quant/act/q8_0.cpu.bin: llama.cpp's x86 quantize_row_q8_0 of act/input.f32, with rows of exact ties. */
    @Test
    void activationQuantizationIsLlamaCppsByteForByte() {
        JsonNode act = null;
        for (JsonNode a : QuantReference.index().get("activation")) if (a.get("name").asText().equals("q8_0")) act = a;
        assertTrue(act != null, "index.json has no q8_0 activation entry");
        int rows = act.get("rows").asInt(), cols = act.get("cols").asInt();
        float[] x = SharedData.readF32(QuantReference.file(act.get("input").asText()));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment want = TensorFixtures.map(arena, QuantReference.file(act.get("files").get("cpu").get("quantized").asText()));
            assertEquals((long) rows * cols / 32 * 34, want.byteSize());
            Q8Activations a = new Q8Activations();
            for (int r = 0; r < rows; r++) {
                assertTrue(a.quantize(x, r * cols, cols));
                for (int b = 0; b < cols / 32; b++) {
                    long at = ((long) r * cols / 32 + b) * 34;
                    short d = want.get(I16_LE, at);
                    assertEquals(Float.float16ToFloat(d), a.d[b], "row " + r + " block " + b + " scale");
                    int sum = 0;
                    for (int j = 0; j < 32; j++) {
                        byte q = want.get(ValueLayout.JAVA_BYTE, at + 2 + j);
                        assertEquals(q, a.q[b * 32 + j], "row " + r + " block " + b + " q[" + j + "]");
                        sum += q;
                    }
                    assertEquals(sum, a.sums[b]);
                }
                assertTrue(!a.quantize(x, r * cols, cols), "the same input again is not requantized");
            }
        }
    }

    /** Grouped rows, a tail of ungrouped rows, and row ranges that start and end inside groups. */
    @ParameterizedTest(name = "rows={0} cols={1} [{2}, {3})")
    @CsvSource({"16,32,0,16", "53,64,0,53", "53,256,3,50", "40,4096,8,40", "7,64,0,7", "96,2048,16,80"})
    void rowGroupKernelHasTheScalarTwinsBits(int rows, int cols, int r0, int r1) {
        Random rnd = new Random(31L * rows + cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(GgmlType.Q4_0.rowBytes(cols) * rows);
            VectorScalarTwinTest.fillRandom(seg, GgmlType.Q4_0, rows, cols, rnd);
            Q4_0Tensor t = (Q4_0Tensor) TensorFixtures.wrap(GgmlType.Q4_0, seg, rows, cols);
            if (VectorSupport.ENABLED) {
                int lanes = VectorSupport.floatLanes();
                assertEquals(rows >= lanes ? lanes : 0, t.rowGroup, "row group");
                assertEquals(rows >= lanes ? rows - rows % lanes : 0, t.groupedRows);
            }
            // the layout: every row dequantizes to what the file's bytes say
            for (int r = 0; r < rows; r++) {
                float[] got = TensorFixtures.dequantizeRow(t, r);
                assertArrayEquals(decodeFileRow(seg, r, cols), got, "row " + r);
            }
            for (int trial = 0; trial < 2; trial++) { // the second call reuses the thread's quantized activations
                float[] x = new float[cols + 3];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() * (i % 7 == 0 ? 10 : 1);
                float[] out = new float[rows + 2];
                Arrays.fill(out, Float.NaN);
                t.matmul(x, 3, cols, 1, out, 1, rows, r0, r1);
                for (int r = 0; r < rows; r++) {
                    float got = out[1 + r];
                    if (r < r0 || r >= r1) {
                        assertTrue(Float.isNaN(got), "row " + r + " outside the range was written");
                        continue;
                    }
                    float want = t.matvecScalar(r, x, 3);
                    if (t.int8Activations()) {
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "row " + r + ": " + got + " vs " + want);
                    } else { // fewer rows than lanes: the float kernel, held to the twin tolerance
                        double tol = VectorScalarTwinTest.REL_TOL * VectorScalarTwinTest.absDot(TensorFixtures.dequantizeRow(t, r), x, 3);
                        assertTrue(Math.abs(want - got) <= tol, "row " + r + ": " + got + " vs " + want);
                    }
                }
            }
        }
    }

    /**
     * A few tokens (the row-group kernel) have the bits of one token at a time, also when products of another row
     * length run in between on the same thread (the cached activation patterns move); larger batches (the float
     * GEMM on int8-rounded activations) equal them within the twin tolerance: the same products, summed in another
     * order ({@link VectorScalarTwinTest}), here relative to sum|w_i * xq_i|.
     */
    @ParameterizedTest(name = "tokens={0}")
    @CsvSource({"1", "3", "7"})
    void batchesComputeWhatSingleTokensDo(int n) {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            int rows = 48, colsA = 256, colsB = 1024;
            Tensor a = tensor(arena, rows, colsA, rnd), b = tensor(arena, rows, colsB, rnd);
            float[] xa = gaussian(n * colsA, rnd), xb = gaussian(n * colsB, rnd);
            for (int round = 0; round < 2; round++) {
                for (Tensor t : new Tensor[] {a, b}) {
                    float[] x = t == a ? xa : xb;
                    int cols = t.cols();
                    float[] out = new float[n * rows];
                    t.matmul(x, cols, n, out, rows, 0, rows);
                    for (int tok = 0; tok < n; tok++) {
                        Q8Activations q = new Q8Activations();
                        q.quantize(x, tok * cols, cols);
                        for (int r = 0; r < rows; r++) {
                            float want = t.matvecScalar(r, x, tok * cols), got = out[tok * rows + r];
                            String where = "cols " + cols + " token " + tok + " row " + r + ": " + got + " vs " + want;
                            if (n < Gemm.MIN_TOKENS) {
                                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), where);
                            } else {
                                float[] w = TensorFixtures.dequantizeRow(t, r);
                                double abs = 0;
                                for (int i = 0; i < cols; i++) abs += Math.abs((double) w[i] * q.q[i] * q.d[i / 32]);
                                assertTrue(Math.abs(want - got) <= VectorScalarTwinTest.REL_TOL * abs, where);
                            }
                        }
                    }
                }
            }
        }
    }

    private static Tensor tensor(Arena arena, int rows, int cols, Random rnd) {
        MemorySegment seg = arena.allocate(GgmlType.Q4_0.rowBytes(cols) * rows);
        VectorScalarTwinTest.fillRandom(seg, GgmlType.Q4_0, rows, cols, rnd);
        return TensorFixtures.wrap(GgmlType.Q4_0, seg, rows, cols);
    }

    private static float[] gaussian(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    /**
     * Against llama.cpp's matvec on reference/quant (8 rows x 4096, q8_0 activations): the same quantized activations
     * and the same exact integer sums per block, so only the float summation of 128 block terms differs:
     * {@code 1e-5 * sum|w_i * xq_i|} as in {@link VectorScalarTwinTest}.
     */
    @Test
    void matvecMatchesLlamaCpp() {
        JsonNode index = QuantReference.index();
        JsonNode entry = QuantReference.type(index, "q4_0");
        JsonNode mv = QuantReference.matvecCase(index, "q4_0");
        assertEquals("q8_0", mv.get("vec_dot_type").asText());
        int rows = index.get("matvec").get("rows").asInt(), cols = index.get("matvec").get("cols").asInt();
        float[] x = SharedData.readF32(QuantReference.file(index.get("matvec").get("x").asText()));
        float[] y = SharedData.readF32(QuantReference.file(mv.get("y").asText()));
        try (Arena arena = Arena.ofConfined()) {
            Q4_0Tensor t = (Q4_0Tensor) TensorFixtures.wrap(GgmlType.Q4_0, TensorFixtures.map(arena, QuantReference.file(entry.get("quantized").asText())), rows, cols);
            Q8Activations a = new Q8Activations();
            a.quantize(x, 0, cols);
            for (int r = 0; r < rows; r++) {
                float got = t.int8Dot(r, a);
                float[] w = TensorFixtures.dequantizeRow(t, r);
                double abs = 0;
                for (int i = 0; i < cols; i++) abs += Math.abs((double) w[i] * a.q[i] * a.d[i / 32]);
                double tol = 1e-5 * abs + 1e-30;
                assertTrue(Math.abs(got - y[r]) <= tol, "row " + r + ": ours " + got + " vs llama.cpp " + y[r] + " (tol " + tol + ")");
            }
        }
    }

    private static float[] decodeFileRow(MemorySegment seg, int r, int cols) {
        float[] w = new float[cols];
        long rowBytes = GgmlType.Q4_0.rowBytes(cols);
        for (int b = 0; b < cols / 32; b++) {
            long at = r * rowBytes + b * 18L;
            float d = Float.float16ToFloat(seg.get(I16_LE, at));
            for (int j = 0; j < 16; j++) {
                int q = seg.get(ValueLayout.JAVA_BYTE, at + 2 + j) & 0xFF;
                w[b * 32 + j] = ((q & 15) - 8) * d;
                w[b * 32 + 16 + j] = ((q >>> 4) - 8) * d;
            }
        }
        return w;
    }
}
