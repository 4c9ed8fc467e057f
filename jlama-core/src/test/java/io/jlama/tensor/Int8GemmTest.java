package io.jlama.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The int8 GEMM of prompt batches ({@link Int8Gemm}, Q4_0, Q5_0, Q4_K and Q6_K): its panels hold the file's weights, its vector
 * kernel has the bits of its scalar twin, and a batch computes what one token at a time computes (the int8
 * row-group kernel, whose twin {@link Tensor#int8Dot} is held to llama.cpp in {@link Int8RowGroupTest}) up to the
 * float order of the per-block terms.
 */
class Int8GemmTest {
    /**
     * Every panel entry (step s, lane 2r + h: row r, column 2s + h) is the weight the file holds there:
     * {@code p * sc} exactly for Q4_0 and Q6_K (an f16 scale, times Q6_K's 8-bit scale, times a small integer);
     * {@code p * sc + of} for Q4_K, where the
     * offset {@code 8*d*sc - dmin*m} is one float rounding from exact (ggml rounds {@code d*sc*q - dmin*m} once too), so
     * within one ulp of the offset.
     */
    @ParameterizedTest(name = "{0} rows={1} cols={2}")
    @CsvSource({"Q4_0,64,256", "Q4_0,96,2048", "Q4_0,64,2080", "Q5_0,64,256", "Q5_0,96,2048", "Q5_0,64,2080", "Q4_K,64,256", "Q4_K,96,1024", "Q4_K,64,2304", "Q6_K,64,256",
            "Q6_K,96,1024", "Q6_K,64,2304", "Q4_K,288,2304"}) // 2080 and 2304: rows stored in column blocks (Tensor.GROUP_COLS); 288: bands (GROUP_BAND_ROWS)
    void panelsHoldTheFilesWeights(GgmlType type, int rows, int cols) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = tensor(arena, type, rows, cols, new Random(rows + cols));
            assumeTrue(t.int8Activations(), "int8 activations off (scalar kernels or -Djlama.repack=false)");
            int tile = Int8Gemm.tileRows(), block = t.int8GemmBlock(), max = type == GgmlType.Q6_K ? 32 : type == GgmlType.Q5_0 ? 16 : 8;
            short[] p = new short[tile * cols];
            float[] sc = new float[tile * cols / block], of = new float[tile * cols / block];
            for (int row = 0; row + tile <= t.groupedRows; row += tile) {
                Arrays.fill(of, 0f);
                t.int8GemmPanel(row, p, sc, of);
                float[][] w = new float[tile][];
                for (int i = 0; i < tile; i++) w[i] = TensorFixtures.dequantizeRow(t, row + i);
                for (int s = 0; s < cols / 2; s++) {
                    int k = 2 * s / block;
                    for (int i = 0; i < tile; i++) {
                        for (int h = 0; h < 2; h++) {
                            int v = p[2 * s * tile + 2 * i + h];
                            assertTrue(v >= -max && v < max, "row " + (row + i) + " step " + s + ": " + v);
                            double got = (double) v * sc[k * tile + i] + of[k * tile + i], want = w[i][2 * s + h];
                            double tol = type == GgmlType.Q4_K ? Math.ulp(of[k * tile + i]) : 0;
                            assertTrue(Math.abs(got - want) <= tol, type + " row " + (row + i) + " col " + (2 * s + h) + ": " + got + " vs " + want);
                        }
                    }
                }
            }
        }
    }

    /**
     * The vector micro-kernel against its scalar twin on random panels and activations: the same bits, with and
     * without offsets, blocks of 32 (one scale per activation block, as Q4_0, or eight, as Q4_K) and of 16 (Q6_K:
     * values -32..31), blocks of 32 with values -16..15 (Q5_0: lane pairs added as two ints), and repeated tokens (a
     * batch's short last group). Values at the ends of their ranges are frequent, so that the 16-bit lane sums come
     * near their bounds.
     */
    @ParameterizedTest(name = "cols={0} block={1} shift={2} offsets={3} wide={4}")
    @CsvSource({"32,32,0,false,false", "256,32,0,false,false", "2048,32,0,false,false", "256,32,3,true,false", "2048,32,3,true,false",
            "256,32,3,false,false", "256,16,4,false,true", "2048,16,4,false,true", "256,32,0,false,true", "2048,32,0,false,true"})
    void kernelHasTheScalarTwinsBits(int cols, int block, int shift, boolean offsets, boolean wide) {
        assumeTrue(VectorSupport.ENABLED, "vector kernels off");
        Random rnd = new Random(cols + shift);
        int tile = Int8Gemm.tileRows(), blocks = cols / block, n = 6, max = block == 16 ? 32 : wide ? 16 : 8;
        short[] p = new short[tile * cols];
        for (int i = 0; i < p.length; i++) p[i] = (short) (rnd.nextInt(4) == 0 ? -max : rnd.nextInt(2 * max) - max);
        float[] sc = new float[tile * blocks], of = offsets ? new float[tile * blocks] : null;
        for (int i = 0; i < sc.length; i++) {
            sc[i] = (float) Math.abs(rnd.nextGaussian()) * 1e-2f;
            if (of != null) of[i] = (float) rnd.nextGaussian() * 1e-2f;
        }
        int[] xp = new int[n * cols / 2];
        for (int i = 0; i < xp.length; i++) {
            int lo = rnd.nextInt(4) == 0 ? 127 : rnd.nextInt(255) - 127, hi = rnd.nextInt(4) == 0 ? 127 : rnd.nextInt(255) - 127;
            xp[i] = lo & 0xFFFF | hi << 16;
        }
        if (wide) { // row 0 all -max and token 0 all 127: each lane sums 16 (or 8) products -127 * max, the pair -65024
            for (int st = 0; st < cols / 2; st++) p[2 * st * tile] = p[2 * st * tile + 1] = (short) -max;
            for (int i = 0; i < cols / 2; i++) xp[i] = 127 | 127 << 16;
        }
        float[] dx = new float[n * (blocks >> shift)], xs = new float[n * blocks];
        for (int i = 0; i < dx.length; i++) dx[i] = rnd.nextFloat() * 0.1f;
        for (int i = 0; i < xs.length; i++) xs[i] = (float) rnd.nextGaussian() * 50;
        for (int[] tok : new int[][] {{0, 1, 2, 3}, {2, 5, 4, 1}, {5, 5, 5, 5}}) {
            float[] got = new float[Int8Gemm.NT * tile], want = new float[Int8Gemm.NT * tile];
            Int8Gemm.Simd.tile(p, sc, of, xp, dx, xs, tok, cols, block, shift, wide, got);
            Int8Gemm.tileScalar(p, sc, of, xp, dx, xs, tok, cols, block, shift, want);
            for (int i = 0; i < got.length; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "tokens " + Arrays.toString(tok) + " entry " + i + ": " + got[i] + " vs " + want[i]);
            }
        }
    }

    /**
     * Batches through the int8 GEMM against one token at a time ({@link Tensor#matvecScalar}: the scalar twin of the
     * row-group kernel), within 1e-5 * sum|w_i * xq_i| (the same integer sums per block, float terms added in another
     * order), for batches that are not a multiple of the kernel's 4 tokens, rows past the last whole tile (the float
     * GEMM on int8-rounded activations), and row ranges that start and end inside tiles; rows outside are not written.
     */
    @ParameterizedTest(name = "{0} rows={1} cols={2} tokens={3} [{4}, {5})")
    @CsvSource({"Q4_0,64,256,4,0,64", "Q4_0,69,256,5,0,69", "Q4_0,96,2048,9,3,90", "Q4_0,128,512,128,0,128",
            "Q4_K,64,256,4,0,64", "Q4_K,69,256,5,0,69", "Q4_K,96,2048,9,3,90", "Q4_K,128,512,128,0,128",
            "Q6_K,64,256,4,0,64", "Q6_K,69,256,5,0,69", "Q6_K,96,2048,9,3,90", "Q6_K,128,512,128,0,128",
            "Q4_0,64,2080,5,0,64", "Q4_K,64,2304,5,0,64", "Q6_K,64,2304,5,0,64", "Q4_0,300,2080,5,32,288", "Q6_K,300,2304,6,0,300",
            "Q5_0,64,256,4,0,64", "Q5_0,69,256,5,0,69", "Q5_0,96,2048,9,3,90", "Q5_0,300,2080,5,32,288"})
    void batchesComputeWhatOneTokenAtATimeDoes(GgmlType type, int rows, int cols, int n, int r0, int r1) {
        Random rnd = new Random(rows * 31L + n);
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = tensor(arena, type, rows, cols, rnd);
            assumeTrue(t.int8Activations(), "int8 activations off (scalar kernels or -Djlama.repack=false)");
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() * (i % 11 == 0 ? 8 : 1);
            float[] out = new float[n * rows];
            for (int round = 0; round < 2; round++) { // the second round changes every token's values
                Arrays.fill(out, Float.NaN);
                t.matmul(x, cols, n, out, rows, r0, r1);
                for (int tok = 0; tok < n; tok++) {
                    Q8Activations q = new Q8Activations(Q8Activations.Kind.of(type));
                    q.quantize(x, tok * cols, cols);
                    for (int r = 0; r < rows; r++) {
                        float got = out[tok * rows + r];
                        if (r < r0 || r >= r1) {
                            assertTrue(Float.isNaN(got), "row " + r + " outside the range was written");
                            continue;
                        }
                        float want = t.matvecScalar(r, x, tok * cols);
                        float[] w = TensorFixtures.dequantizeRow(t, r);
                        double abs = 0;
                        for (int i = 0; i < cols; i++) abs += Math.abs((double) w[i] * q.q[i] * q.d[i / q.kind.block]);
                        assertTrue(Math.abs(want - got) <= VectorScalarTwinTest.REL_TOL * abs, "token " + tok + " row " + r + ": " + got + " vs " + want);
                    }
                }
                for (int i = 0; i < x.length; i++) x[i] = -x[i] * 0.5f;
            }
        }
    }

    /**
     * A batch quantized in two token ranges on two threads holds, per token, what {@link Q8Activations} (held to
     * llama.cpp's bytes in {@link Int8RowGroupTest}) makes of it: the int8 values as lane pairs, the scales, the sums;
     * so does the per-thread batch, also after the values of one token change.
     */
    @ParameterizedTest(name = "{0} cols={1} tokens={2}")
    @CsvSource({"Q8_0,256,5", "Q8_0,96,1", "Q8_K,512,13"})
    void preparedBatchesHoldEachTokensQuantization(Int8Batch.Format format, int cols, int n) throws InterruptedException {
        Random rnd = new Random(cols + n);
        int stride = cols + 5;
        float[] x = new float[3 + n * stride];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() * (i % 13 == 0 ? 6 : 1);
        Int8Batch b = new Int8Batch(format);
        b.reset(x, 3, stride, n, cols);
        Thread other = new Thread(() -> b.quantize(0, n / 2));
        other.start();
        b.quantize(n / 2, n);
        other.join();
        assertHolds(b, format, x, stride, n, cols);
        assertHolds(Int8Batch.forThread(format, x, 3, stride, n, cols), format, x, stride, n, cols);
        x[3 + (n - 1) * stride + 7] += 3f; // one value of the last token
        assertHolds(Int8Batch.forThread(format, x, 3, stride, n, cols), format, x, stride, n, cols);
    }

    private static void assertHolds(Int8Batch b, Int8Batch.Format format, float[] x, int stride, int n, int cols) {
        Q8Activations.Kind kind = format.kind;
        for (int tok = 0; tok < n; tok++) {
            Q8Activations q = new Q8Activations(kind);
            q.quantize(x, 3 + tok * stride, cols);
            for (int i = 0; i < cols / 2; i++) {
                assertEquals((q.q[2 * i] & 0xFFFF) | (q.q[2 * i + 1] << 16), b.xp[tok * cols / 2 + i], "token " + tok + " pair " + i);
            }
            for (int k = 0; k < cols / kind.block; k++) assertEquals(q.d[k], b.d[tok * cols / kind.block + k], "token " + tok + " scale " + k);
            for (int k = 0; k < cols / kind.sumGroup; k++) assertEquals(q.sums[k], b.sums[tok * cols / kind.sumGroup + k], "token " + tok + " sum " + k);
        }
    }

    /**
     * A product given a prepared batch has the bits of the same product preparing its own, and refuses a batch of
     * other tokens.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"Q4_0", "Q5_0", "Q4_K", "Q6_K", "Q5_K", "Q3_K", "IQ4_XS"}) // the last three: the float GEMM on the rounded values
    void aPreparedBatchGivesTheSameBits(GgmlType type) {
        Random rnd = new Random(3);
        int rows = 96, cols = 512, n = 9;
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = tensor(arena, type, rows, cols, rnd);
            Int8Batch.Format format = t.int8BatchFormat(n);
            assumeTrue(format != null, "int8 activations off (scalar kernels or -Djlama.repack=false)");
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            Int8Batch b = new Int8Batch(format);
            b.reset(x, 0, cols, n, cols);
            if (t.int8BatchFloats()) b.requestFloats(); // as MatmulTask prepares it: the rounded values are taken from it
            b.quantize(0, n);
            float[] want = new float[n * rows], got = new float[n * rows];
            t.matmul(x, 0, cols, n, want, 0, rows, 0, rows);
            t.matmul(x, 0, cols, n, got, 0, rows, 0, rows, b);
            for (int i = 0; i < got.length; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "entry " + i);
            assertEquals(null, t.int8BatchFormat(Gemm.MIN_TOKENS - 1));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> t.matmul(x, 0, cols, n - 1, got, 0, rows, 0, rows, b));
        }
    }

    private static Tensor tensor(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        MemorySegment seg = arena.allocate(type.rowBytes(cols) * rows);
        VectorScalarTwinTest.fillRandom(seg, type, rows, cols, rnd);
        return TensorFixtures.wrap(type, seg, rows, cols);
    }
}
