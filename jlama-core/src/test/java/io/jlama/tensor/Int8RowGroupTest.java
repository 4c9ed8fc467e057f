package io.jlama.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

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
 * The int8 matrix-vector path of the types that have one (Q4_0, Q5_0, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS): the activation quantization against
 * llama.cpp's own bytes, the row-group layout against the file's bytes, the row-group vector kernel against its
 * scalar twin {@link Tensor#int8Dot} (the same bits: both sum exact integers per block and then run the same float
 * operations), and the result against llama.cpp's matvec.
 */
class Int8RowGroupTest {
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * reference/quant/act/{q8_0,q8_K}.cpu.bin: llama.cpp's x86 quantize_row_q8_0 / quantize_row_q8_K of
     * act/input.f32, with rows of exact rounding ties. Q8_0 blocks: f16 d, 32 q; Q8_K: f32 d, 256 q, 16 int16 sums.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q8_K"})
    void activationQuantizationIsLlamaCppsByteForByte(String kindName) {
        Q8Activations.Kind kind = Q8Activations.Kind.valueOf(kindName);
        JsonNode act = null;
        for (JsonNode a : QuantReference.index().get("activation")) if (a.get("name").asText().equalsIgnoreCase(kindName)) act = a;
        assertTrue(act != null, "index.json has no " + kindName + " activation entry");
        int rows = act.get("rows").asInt(), cols = act.get("cols").asInt(), block = kind.block;
        boolean k = kind == Q8Activations.Kind.Q8_K;
        int blockBytes = k ? 4 + 256 + 32 : 34, qAt = k ? 4 : 2;
        float[] x = SharedData.readF32(QuantReference.file(act.get("input").asText()));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment want = TensorFixtures.map(arena, QuantReference.file(act.get("files").get("cpu").get("quantized").asText()));
            assertEquals((long) rows * cols / block * blockBytes, want.byteSize());
            Q8Activations a = new Q8Activations(kind);
            for (int r = 0; r < rows; r++) {
                assertTrue(a.quantize(x, r * cols, cols));
                for (int b = 0; b < cols / block; b++) {
                    long at = ((long) r * cols / block + b) * blockBytes;
                    float d = k ? want.get(F32_LE, at) : Float.float16ToFloat(want.get(I16_LE, at));
                    assertEquals(Float.floatToRawIntBits(d), Float.floatToRawIntBits(a.d[b]), "row " + r + " block " + b + " scale");
                    for (int j = 0; j < block; j++) {
                        assertEquals(want.get(ValueLayout.JAVA_BYTE, at + qAt + j), a.q[b * block + j], "row " + r + " block " + b + " q[" + j + "]");
                    }
                    for (int g = 0; g < block / kind.sumGroup; g++) {
                        int sum = 0;
                        for (int j = 0; j < kind.sumGroup; j++) sum += a.q[b * block + g * kind.sumGroup + j];
                        assertEquals(sum, a.sums[b * block / kind.sumGroup + g], "row " + r + " block " + b + " sum " + g);
                        if (k && d != 0f) assertEquals(sum, want.get(I16_LE, at + 4 + 256 + 2L * g), "row " + r + " block " + b + " llama.cpp's sum " + g);
                    }
                }
                assertTrue(!a.quantize(x, r * cols, cols), "the same input again is not requantized");
            }
        }
    }

    /**
     * The vector quantizers have their scalar twins' bits on random blocks, blocks of exact rounding ties (k + 0.5
     * with the largest magnitude 127, so that the scale is 1), all-zero blocks, and blocks whose largest magnitude is
     * negative or occurs twice with both signs.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q8_K"})
    void vectorQuantizationHasTheScalarBits(String kindName) {
        org.junit.jupiter.api.Assumptions.assumeTrue(VectorSupport.ENABLED, "Vector API not enabled");
        Q8Activations.Kind kind = Q8Activations.Kind.valueOf(kindName);
        int cols = 4096, block = kind.block;
        Random rnd = new Random(11);
        float[] x = new float[cols];
        for (int b = 0; b < cols / block; b++) {
            for (int j = 0; j < block; j++) {
                int i = b * block + j;
                x[i] = switch (b % 5) {
                    case 0 -> (float) rnd.nextGaussian() * (float) Math.pow(10, rnd.nextInt(6) - 3);
                    case 1 -> j == 0 ? 127f : rnd.nextInt(254) - 127 + 0.5f;
                    case 2 -> 0f;
                    case 3 -> j == 3 ? -50f : (float) rnd.nextGaussian();
                    default -> j == 1 ? 8f : j == 5 ? -8f : (float) rnd.nextGaussian();
                };
            }
        }
        int nb = cols / block, ns = cols / kind.sumGroup;
        byte[] qs = new byte[cols], qv = new byte[cols];
        float[] ds = new float[nb], dv = new float[nb];
        int[] ss = new int[ns], sv = new int[ns];
        if (kind == Q8Activations.Kind.Q8_0) {
            Q8Activations.quantizeQ8_0(x, qs, ds, ss, cols);
            Q8Activations.Simd.quantizeQ8_0(x, qv, dv, sv, cols);
        } else {
            Q8Activations.quantizeQ8_K(x, qs, ds, ss, cols);
            Q8Activations.Simd.quantizeQ8_K(x, qv, dv, sv, cols);
        }
        assertArrayEquals(qs, qv);
        for (int b = 0; b < nb; b++) assertEquals(Float.floatToRawIntBits(ds[b]), Float.floatToRawIntBits(dv[b]), "scale " + b);
        assertArrayEquals(ss, sv);
    }

    /**
     * Grouped rows, a tail of ungrouped rows, row ranges that start and end inside groups, and rows longer than a
     * column block ({@link Tensor#GROUP_COLS}; 4096: four whole ones, 2080 and 2304: a partial last one), and 300 rows:
     * two whole bands ({@link Tensor#GROUP_BAND_ROWS}), a partial third and ungrouped rows: the kernel has the
     * twin's bits, and the twin (which reads the row-group layout) equals the float dot product of the file's
     * dequantized rows with the quantized activations within 1e-5 * sum|w_i * xq_i| (a float sum in another order).
     */
    @ParameterizedTest(name = "{0} rows={1} cols={2} [{3}, {4})")
    @CsvSource({"Q5_0,16,32,0,16", "Q5_0,53,64,0,53", "Q5_0,53,256,3,50", "Q5_0,40,4096,8,40", "Q5_0,7,64,0,7", "Q5_0,96,2048,16,80", "Q5_0,70,2080,3,66", "Q5_0,300,2080,37,290",
            "Q4_0,16,32,0,16", "Q4_0,53,64,0,53", "Q4_0,53,256,3,50", "Q4_0,40,4096,8,40", "Q4_0,7,64,0,7", "Q4_0,96,2048,16,80", "Q4_0,70,2080,3,66", "Q4_0,300,2080,37,290",
            "Q4_K,16,256,0,16", "Q4_K,53,512,0,53", "Q4_K,53,256,3,50", "Q4_K,40,4096,8,40", "Q4_K,7,256,0,7", "Q4_K,96,2048,16,80", "Q4_K,70,2304,3,66", "Q4_K,300,2304,37,290",
            "Q3_K,16,256,0,16", "Q3_K,53,512,0,53", "Q3_K,53,256,3,50", "Q3_K,40,4096,8,40", "Q3_K,7,256,0,7", "Q3_K,96,2048,16,80", "Q3_K,70,2304,3,66", "Q3_K,300,2304,37,290",
            "Q5_K,16,256,0,16", "Q5_K,53,512,0,53", "Q5_K,53,256,3,50", "Q5_K,40,4096,8,40", "Q5_K,7,256,0,7", "Q5_K,96,2048,16,80", "Q5_K,70,2304,3,66", "Q5_K,300,2304,37,290",
            "IQ4_XS,16,256,0,16", "IQ4_XS,53,512,0,53", "IQ4_XS,53,256,3,50", "IQ4_XS,40,4096,8,40", "IQ4_XS,7,256,0,7", "IQ4_XS,96,2048,16,80", "IQ4_XS,70,2304,3,66", "IQ4_XS,300,2304,37,290",
            "Q6_K,16,256,0,16", "Q6_K,53,512,0,53", "Q6_K,53,256,3,50", "Q6_K,40,4096,8,40", "Q6_K,7,256,0,7", "Q6_K,96,2048,16,80", "Q6_K,70,2304,3,66", "Q6_K,300,2304,37,290"})
    void rowGroupKernelHasTheScalarTwinsBits(GgmlType type, int rows, int cols, int r0, int r1) {
        Random rnd = new Random(31L * rows + cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(type.rowBytes(cols) * rows);
            VectorScalarTwinTest.fillRandom(seg, type, rows, cols, rnd);
            Tensor t = TensorFixtures.wrap(type, seg, rows, cols);
            int lanes = VectorSupport.int8Activations(type, rows) ? VectorSupport.int8GroupRows(type) : 0; // 0: scalar or -Djlama.repack=false
            assertEquals(lanes, t.rowGroup, "row group");
            assertEquals(lanes > 0 ? rows - rows % lanes : 0, t.groupedRows);
            for (int r = 0; r < rows; r++) assertArrayEquals(fileRow(type, seg, r, cols), TensorFixtures.dequantizeRow(t, r), "row " + r);
            for (int trial = 0; trial < 2; trial++) { // the second call reuses the thread's quantized activations
                float[] x = new float[cols + 3];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() * (i % 7 == 0 ? 10 : 1);
                float[] out = new float[rows + 2];
                Arrays.fill(out, Float.NaN);
                t.matmul(x, 3, cols, 1, out, 1, rows, r0, r1);
                Q8Activations q = new Q8Activations(Q8Activations.Kind.of(type));
                q.quantize(x, 3, cols);
                for (int r = 0; r < rows; r++) {
                    float got = out[1 + r];
                    if (r < r0 || r >= r1) {
                        assertTrue(Float.isNaN(got), "row " + r + " outside the range was written");
                        continue;
                    }
                    float want = t.matvecScalar(r, x, 3);
                    float[] w = fileRow(type, seg, r, cols);
                    if (t.int8Activations()) {
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "row " + r + ": " + got + " vs " + want);
                        double dot = 0, abs = 0;
                        for (int i = 0; i < cols; i++) {
                            double p = (double) w[i] * q.q[i] * q.d[i / q.kind.block];
                            dot += p;
                            abs += Math.abs(p);
                        }
                        assertTrue(Math.abs(want - dot) <= 1e-5 * abs + 1e-30, "row " + r + ": twin " + want + " vs float64 " + dot);
                    } else { // fewer rows than lanes: the float kernel, held to the twin tolerance
                        double tol = VectorScalarTwinTest.REL_TOL * VectorScalarTwinTest.absDot(w, x, 3);
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
    @ParameterizedTest(name = "{0} tokens={1}")
    @CsvSource({"Q4_0,1", "Q4_0,3", "Q4_0,7", "Q5_0,1", "Q5_0,3", "Q5_0,7", "Q4_K,1", "Q4_K,3", "Q4_K,7", "Q3_K,1", "Q3_K,3", "Q3_K,7", "Q5_K,1", "Q5_K,3", "Q5_K,7", "Q6_K,1", "Q6_K,3", "Q6_K,7", "IQ4_XS,1", "IQ4_XS,3", "IQ4_XS,7"})
    void batchesComputeWhatSingleTokensDo(GgmlType type, int n) {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            int rows = 48, colsA = 256, colsB = 2304; // colsB: two column blocks and part of a third (Tensor.GROUP_COLS)
            Tensor a = tensor(arena, type, rows, colsA, rnd), b = tensor(arena, type, rows, colsB, rnd);
            float[] xa = gaussian(n * colsA, rnd), xb = gaussian(n * colsB, rnd);
            for (int round = 0; round < 2; round++) {
                for (Tensor t : new Tensor[] {a, b}) {
                    float[] x = t == a ? xa : xb;
                    int cols = t.cols();
                    float[] out = new float[n * rows];
                    t.matmul(x, cols, n, out, rows, 0, rows);
                    for (int tok = 0; tok < n; tok++) {
                        Q8Activations q = new Q8Activations(Q8Activations.Kind.of(type));
                        q.quantize(x, tok * cols, cols);
                        for (int r = 0; r < rows; r++) {
                            float want = t.matvecScalar(r, x, tok * cols), got = out[tok * rows + r];
                            String where = "cols " + cols + " token " + tok + " row " + r + ": " + got + " vs " + want;
                            if (!t.int8Activations()) { // -Djlama.repack=false: the float kernels, at the twin tolerance
                                double tol = VectorScalarTwinTest.REL_TOL * VectorScalarTwinTest.absDot(TensorFixtures.dequantizeRow(t, r), x, tok * cols);
                                assertTrue(Math.abs(want - got) <= tol, where);
                            } else if (n < Gemm.MIN_TOKENS) {
                                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), where);
                            } else {
                                float[] w = TensorFixtures.dequantizeRow(t, r);
                                double abs = 0;
                                for (int i = 0; i < cols; i++) abs += Math.abs((double) w[i] * q.q[i] * q.d[i / q.kind.block]);
                                assertTrue(Math.abs(want - got) <= VectorScalarTwinTest.REL_TOL * abs, where);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Against llama.cpp's matvec on reference/quant (8 rows x 4096; x quantized to q8_0 / q8_K, whose bytes
     * llama.cpp also wrote: ours must equal them): the same quantized activations and the same exact integer sums per
     * block, so only the float summation of the block terms differs: {@code 1e-5 * sum|w_i * xq_i|} as in
     * {@link VectorScalarTwinTest}. The 8 rows are repeated to 32 so that they form whole row groups at every lane
     * count, and run through the kernel.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"q4_0", "q5_0", "q3_K", "q4_K", "q5_K", "q6_K", "iq4_xs"})
    void matvecMatchesLlamaCpp(String name) {
        GgmlType type = GgmlType.byName(name);
        JsonNode index = QuantReference.index();
        JsonNode entry = QuantReference.type(index, name);
        JsonNode mv = QuantReference.matvecCase(index, name);
        Q8Activations.Kind kind = Q8Activations.Kind.of(type);
        assertEquals(kind.name(), mv.get("vec_dot_type").asText().toUpperCase(java.util.Locale.ROOT));
        int rows = index.get("matvec").get("rows").asInt(), cols = index.get("matvec").get("cols").asInt(), copies = 4;
        float[] x = SharedData.readF32(QuantReference.file(index.get("matvec").get("x").asText()));
        float[] y = SharedData.readF32(QuantReference.file(mv.get("y").asText()));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ref = TensorFixtures.map(arena, QuantReference.file(entry.get("quantized").asText()));
            MemorySegment seg = arena.allocate(ref.byteSize() * copies);
            for (int c = 0; c < copies; c++) MemorySegment.copy(ref, 0, seg, c * ref.byteSize(), ref.byteSize());
            Tensor t = TensorFixtures.wrap(type, seg, rows * copies, cols);
            Q8Activations a = new Q8Activations(kind);
            a.quantize(x, 0, cols);
            MemorySegment xq = TensorFixtures.map(arena, QuantReference.file(mv.get("xq").asText()));
            int qAt = kind == Q8Activations.Kind.Q8_K ? 4 : 2, blockBytes = kind == Q8Activations.Kind.Q8_K ? 292 : 34;
            for (int i = 0; i < cols; i++) assertEquals(xq.get(ValueLayout.JAVA_BYTE, (long) i / kind.block * blockBytes + qAt + i % kind.block), a.q[i], "xq[" + i + "]");
            float[] out = new float[rows * copies];
            t.matmul(x, cols, 1, out, rows * copies, 0, rows * copies);
            for (int r = 0; r < rows * copies; r++) {
                float got = t.int8Dot(r, a); // reads the row-group layout or, without groups, the file's
                if (t.int8Activations()) assertEquals(Float.floatToRawIntBits(got), Float.floatToRawIntBits(out[r]), "row " + r + ": kernel vs twin");
                float[] w = TensorFixtures.dequantizeRow(t, r);
                double abs = 0;
                for (int i = 0; i < cols; i++) abs += Math.abs((double) w[i] * a.q[i] * a.d[i / kind.block]);
                double tol = 1e-5 * abs + 1e-30;
                assertTrue(Math.abs(got - y[r % rows]) <= tol, "row " + r + ": ours " + got + " vs llama.cpp " + y[r % rows] + " (tol " + tol + ")");
            }
        }
    }

    /** Row r of the bytes, decoded as a one-row tensor (which keeps the file's layout: fewer rows than lanes). */
    private static float[] fileRow(GgmlType type, MemorySegment seg, int r, int cols) {
        long rowBytes = type.rowBytes(cols);
        return TensorFixtures.dequantizeRow(TensorFixtures.wrap(type, seg.asSlice(r * rowBytes, rowBytes), 1, cols), 0);
    }

    private static Tensor tensor(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        MemorySegment seg = arena.allocate(type.rowBytes(cols) * rows);
        VectorScalarTwinTest.fillRandom(seg, type, rows, cols, rnd);
        return TensorFixtures.wrap(type, seg, rows, cols);
    }

    private static float[] gaussian(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
