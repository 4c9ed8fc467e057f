package io.jlama.tensor;

import jdk.incubator.vector.ShortVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API kernel of every weight type against its scalar twin, and the scalar twin against a float64 dot of
 * the dequantized row, on seeded random blocks and awkward shapes: one block, odd block counts, lengths below, at and
 * past the vector width, tails.
 *
 * <p>Tolerance: {@code |a - b| <= 1e-5 * sum|w_i * x_i|}. Both kernels sum the same products in float (the products
 * are exact or rounded once), only in a different order (lanes, several accumulators, FMA, a per-block scale
 * factored out where q*d is exact). A float sum of n terms is off by at most (n-1)u * sum|w_i x_i| (u = 2^-24), and
 * since rounding errors behave like a random walk the realistic size is about sqrt(n) u * sum|w_i x_i|: 3.8e-6 for
 * the longest row here (n = 4128), and a float64 dot has no error of its own on this scale. 1e-5 covers that, and it
 * stays below what one mis-decoded weight among n changes (about 1/n of the sum, 2.4e-4 for n = 4128).
 */
class VectorScalarTwinTest {
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final double REL_TOL = 1e-5;

    @BeforeAll
    static void vectorApiPresent() {
        // The build adds the module to the test JVM; without it this test would only compare the scalar kernel with itself.
        assertTrue(VectorSupport.AVAILABLE, "jdk.incubator.vector is not in the test JVM");
        System.out.println("VectorScalarTwinTest: " + VectorSupport.describe() + ", kernel lanes " + SimdShapes.L
                + ", byte lanes " + SimdShapes.BL + " x " + SimdShapes.PARTS + " parts");
    }

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (GgmlType t : List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16)) {
            for (int cols : new int[] {1, 3, 8, 16, 17, 31, 33, 1000, 4099}) out.add(Arguments.of(t, cols));
        }
        for (GgmlType t : Tensors.supported()) {
            if (t.isQuantized()) for (int cols : quantizedCols(t)) out.add(Arguments.of(t, cols));
        }
        return out;
    }

    /** Row lengths for a block type: one block, a few (odd counts), and a long row of an odd block count. */
    static int[] quantizedCols(GgmlType t) {
        return switch (t.blockSize) {
            case 32 -> new int[] {32, 64, 96, 160, 4128};
            case 256 -> new int[] {256, 768, 4352};
            default -> throw new AssertionError("no test shapes for block size " + t.blockSize + " of " + t);
        };
    }

    /** A random finite f16 scale, |d| in [2^-10, 2^-3), either sign. */
    static short randomScale(Random rnd) {
        float mag = (float) Math.scalb(1.0 + rnd.nextDouble(), -10 + rnd.nextInt(7));
        return Float.floatToFloat16(rnd.nextBoolean() ? mag : -mag);
    }

    /** A random finite f16 weight: mostly normal over a few binades, sometimes subnormal or zero. */
    static short randomF16(Random rnd) {
        int sign = rnd.nextBoolean() ? 0x8000 : 0;
        int k = rnd.nextInt(50);
        int exp = k == 0 ? 0 : 8 + rnd.nextInt(14); // 2^-7 .. 2^6; exponent field 0: subnormal or zero
        return (short) (sign | exp << 10 | rnd.nextInt(1 << 10));
    }

    /** A random bf16 weight: normal over a few binades, sometimes an f32-subnormal or zero pattern. */
    static short randomBf16(Random rnd) {
        int sign = rnd.nextBoolean() ? 0x8000 : 0;
        int exp = rnd.nextInt(50) == 0 ? 0 : 120 + rnd.nextInt(14);
        return (short) (sign | exp << 7 | rnd.nextInt(1 << 7));
    }

    /** Random bytes in the layout of {@code type}: random quants and fifth bits, valid finite f16 scales and offsets. */
    static void fillRandom(MemorySegment seg, GgmlType type, int rows, int cols, Random rnd) {
        long n = (long) rows * cols;
        switch (type) {
            case F32 -> {
                for (long i = 0; i < n; i++) seg.set(F32_LE, 4 * i, (float) rnd.nextGaussian());
            }
            case F16 -> {
                for (long i = 0; i < n; i++) seg.set(I16_LE, 2 * i, randomF16(rnd));
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) seg.set(I16_LE, 2 * i, randomBf16(rnd));
            }
            default -> {
                byte[] b = new byte[Math.toIntExact(type.rowBytes(cols) * rows)];
                rnd.nextBytes(b);
                MemorySegment.copy(MemorySegment.ofArray(b), 0, seg, 0, b.length);
                boolean hasMin = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
                int[] dOff = scaleOffsets(type);
                for (long blk = 0; blk < n / type.blockSize; blk++) {
                    long off = blk * type.typeSize;
                    if (type == GgmlType.MXFP4) {
                        // an E8M0 scale byte: 2^(e-128) with the doubled e2m1 grid, so |w| up to 6 * 2^(e-127);
                        // e over 2^-10 .. 2^-3 as randomScale, now and then the subnormal scales of e = 0 and 1
                        seg.set(ValueLayout.JAVA_BYTE, off, (byte) (rnd.nextInt(50) == 0 ? rnd.nextInt(2) : 118 + rnd.nextInt(8)));
                        continue;
                    }
                    short d = randomScale(rnd);
                    seg.set(I16_LE, off + dOff[0], d);
                    // q4_1/q5_1: an offset around -(a few) * d, as quantization makes it (min of the block), so weights
                    // cross zero and the sum has cancellation.
                    if (hasMin) seg.set(I16_LE, off + 2, Float.floatToFloat16(-Float.float16ToFloat(d) * (float) (rnd.nextDouble() * 20 - 2)));
                    // K-quants with mins: dmin*m (m a random 6- or 4-bit min) of the order of d*sc*q, so that here too
                    // weights cross zero; dmin is positive, as quantization stores it.
                    if (dOff.length > 1) seg.set(I16_LE, off + dOff[1], Float.floatToFloat16(Math.abs(Float.float16ToFloat(d)) * (float) (rnd.nextDouble() * 4)));
                }
            }
        }
    }

    /** Byte offsets in a block of its f16 super-block scale d, and of dmin where the type has one. */
    static int[] scaleOffsets(GgmlType type) {
        return switch (type) {
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            case TQ2_0 -> new int[] {64};
            // TQ1_0: random qs bytes include the 13 values past 3^5 - 1, which still decode to digits 0..2 as in ggml
            case TQ1_0 -> new int[] {52};
            default -> new int[] {0}; // the 32-blocks and IQ4_XS start with d (MXFP4 with an E8M0 byte, set apart)
        };
    }

    static double dotF64(float[] w, float[] x, int xOff) {
        double s = 0;
        for (int i = 0; i < w.length; i++) s += (double) w[i] * x[xOff + i];
        return s;
    }

    static double absDot(float[] w, float[] x, int xOff) {
        double s = 0;
        for (int i = 0; i < w.length; i++) s += Math.abs((double) w[i] * x[xOff + i]);
        return s;
    }

    @ParameterizedTest(name = "{0} cols={1}")
    @MethodSource("cases")
    void vectorMatchesScalarAndScalarMatchesFloat64(GgmlType type, int cols) {
        Random rnd = new Random(31L * type.id + cols);
        for (int rows = 1; rows <= 7; rows++) {
            try (Arena arena = Arena.ofConfined()) {
                int misalign = 1 + rnd.nextInt(3); // the tensor starts at an odd address: nothing may assume alignment
                long bytes = type.rowBytes(cols) * rows;
                MemorySegment seg = arena.allocate(bytes + misalign).asSlice(misalign, bytes);
                fillRandom(seg, type, rows, cols, rnd);
                Tensor t = TensorFixtures.wrap(type, seg, rows, cols);

                int xOff = rnd.nextInt(5);
                float[] x = new float[xOff + cols + 3];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();

                for (int r = 0; r < rows; r++) {
                    float[] w = TensorFixtures.dequantizeRow(t, r);
                    double ref = dotF64(w, x, xOff);
                    double tol = REL_TOL * absDot(w, x, xOff);
                    float scalar = t.dotScalar(r, x, xOff);
                    float vector = t.dotVector(r, x, xOff);
                    String where = type + " " + rows + "x" + cols + " row " + r;
                    assertTrue(Double.isFinite(ref), where + ": test data overflowed");
                    assertTrue(Math.abs(scalar - ref) <= tol,
                            () -> where + ": scalar " + scalar + " vs float64 " + ref + " (tolerance " + tol + ")");
                    assertTrue(Math.abs(vector - scalar) <= tol,
                            () -> where + ": vector " + vector + " vs scalar " + scalar + " (tolerance " + tol + ")");
                    // The dispatching dot() runs the same kernel, but it may be compiled differently (interpreted vs C2
                    // reduction order), so it is held to the same tolerance rather than to equal bits.
                    float dispatched = t.dot(r, x, xOff);
                    float expected = VectorSupport.ENABLED ? vector : scalar;
                    assertTrue(Math.abs(dispatched - expected) <= tol,
                            () -> where + ": dot() dispatch " + dispatched + " vs " + expected + " (tolerance " + tol + ")");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} cols={1}")
    @MethodSource("cases")
    void vectorDequantizationHasTheScalarBits(GgmlType type, int cols) {
        Random rnd = new Random(4099L * type.id + cols);
        int rows = 3;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(type.rowBytes(cols) * rows);
            fillRandom(seg, type, rows, cols, rnd);
            Tensor t = TensorFixtures.wrap(type, seg, rows, cols);
            int bs = type.blockSize;
            for (int r = 0; r < rows; r++) {
                // the whole row, then a random block-aligned range written at an odd offset
                int blocks = cols / bs;
                int b0 = rnd.nextInt(blocks), nb = 1 + rnd.nextInt(blocks - b0);
                for (int[] range : new int[][] {{0, cols}, {b0 * bs, nb * bs}}) {
                    int off = 1 + rnd.nextInt(7);
                    float[] want = new float[off + range[1] + 2], got = new float[off + range[1] + 2];
                    java.util.Arrays.fill(want, -7f);
                    java.util.Arrays.fill(got, -7f);
                    t.dequantizeScalar(r, range[0], range[1], want, off);
                    t.dequantizeVector(r, range[0], range[1], got, off);
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
                                type + " row " + r + " cols [" + range[0] + ", +" + range[1] + ") index " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} cols={1}")
    @MethodSource("cases")
    void matmulOverSeveralTokensEqualsRowDots(GgmlType type, int cols) {
        Random rnd = new Random(977L * type.id + cols);
        int rows = 6, n = 3, r0 = 1, r1 = 5;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(type.rowBytes(cols) * rows);
            fillRandom(seg, type, rows, cols, rnd);
            Tensor t = TensorFixtures.wrap(type, seg, rows, cols);

            int xStride = cols + 5, outStride = rows + 2;
            float[] x = new float[n * xStride];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] out = new float[n * outStride];
            Arrays.fill(out, Float.NaN);
            t.matmul(x, xStride, n, out, outStride, r0, r1);

            for (int tok = 0; tok < n; tok++) {
                for (int r = 0; r < outStride; r++) {
                    float got = out[tok * outStride + r];
                    if (r >= r0 && r < r1) {
                        // What one token's product computes (int8 activations first for some types), in scalar code.
                        float want = t.matvecScalar(r, x, tok * xStride);
                        // Same arithmetic, possibly in another order: equal within the twin tolerance, not bit for bit.
                        double tol = REL_TOL * absDot(TensorFixtures.dequantizeRow(t, r), x, tok * xStride);
                        assertTrue(Math.abs(want - got) <= tol, "token " + tok + " row " + r + ": " + got + " vs " + want);
                    } else {
                        assertTrue(Float.isNaN(got), "token " + tok + " row " + r + " is outside [r0, r1) but was written");
                    }
                }
            }
        }
    }

    /**
     * The lane f16 conversion against {@link Float#float16ToFloat} for every one of the 65536 bit patterns: bit-exact
     * for all numbers (subnormals, zeros and infinities included); a NaN must give a NaN of the same sign.
     */
    @Test
    void f16LaneConversionIsExactForAllBitPatterns() {
        checkAllHalfPatterns(false);
    }

    @Test
    void bf16LaneConversionIsExactForAllBitPatterns() {
        checkAllHalfPatterns(true);
    }

    /** The F16 kernels' shorter conversion for tensors without infinities or NaNs: bit-exact for every finite half. */
    @Test
    void f16FiniteLaneConversionIsExactForAllFinitePatterns() {
        Assumptions.assumeTrue(VectorSupport.ENABLED, "Vector API not enabled");
        short[] h = new short[1 << 16];
        for (int i = 0; i < h.length; i++) h[i] = (short) i;
        MemorySegment seg = MemorySegment.ofArray(h);
        float[] got = new float[SimdShapes.L];
        for (int i = 0; i < h.length; i += SimdShapes.L) {
            F16Tensor.Simd.finiteHalfs(seg, 2L * i).intoArray(got, 0);
            for (int l = 0; l < SimdShapes.L; l++) {
                if ((h[i + l] & 0x7C00) == 0x7C00) continue; // infinities and NaNs take the other conversion
                assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(h[i + l])), Float.floatToRawIntBits(got[l]), String.format("f16 0x%04x", h[i + l] & 0xFFFF));
            }
        }
    }

    /**
     * Q8_0 rows longer than 2048 columns are multiplied from their column-blocked copy ({@link Q8_0Tensor#blocked}:
     * bands of 128 rows, blocks of 2048 columns, the last one partial, row pairs interleaved) as the row-pair kernel over
     * {@link Tensor#data} does, within {@link #REL_TOL} of sum|w x| (the same lane sums; the final sum of the lanes is
     * ordered by C2 or the interpreter). 301 rows: two whole bands and a third of 45 (a row without a pair); ranges
     * that start and end inside bands and pairs.
     */
    @Test
    void q8ColumnBlockedRowsMatchTheRowPairKernel() {
        Assumptions.assumeTrue(Tensor.REPACK_PAIRS && SimdShapes.L >= 8, "Vector API with 8+ float lanes, repacking on");
        Random rnd = new Random(4129);
        int rows = 301, cols = 4128;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(GgmlType.Q8_0.rowBytes(cols) * rows);
            fillRandom(seg, GgmlType.Q8_0, rows, cols, rnd);
            Q8_0Tensor t = (Q8_0Tensor) TensorFixtures.wrap(GgmlType.Q8_0, seg, rows, cols);
            assertTrue(t.blocked != null, "rows of " + cols + " columns are copied in column blocks");
            float[] x = new float[cols + 3];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            assertRangesMatch(t, x, 3, new int[][] {{0, rows}, {37, 290}, {128, 256}, {3, 4}, {255, 301}}, r -> Q8_0Tensor.Simd.dot(t, r, x, 3));
        }
    }

    /**
     * Runs t's matrix-vector kernel over each row range: each row within {@link #REL_TOL} of sum|w x| of want(r), rows
     * outside the range untouched.
     */
    private static void assertRangesMatch(Tensor t, float[] x, int xOff, int[][] ranges, java.util.function.IntToDoubleFunction want) {
        int rows = t.rows();
        for (int[] range : ranges) {
            float[] out = new float[rows];
            Arrays.fill(out, Float.NaN);
            t.matvecVector(x, xOff, out, 0, range[0], range[1]);
            for (int r = 0; r < rows; r++) {
                if (r < range[0] || r >= range[1]) {
                    assertTrue(Float.isNaN(out[r]), "row " + r + " is outside " + Arrays.toString(range));
                    continue;
                }
                double w = want.applyAsDouble(r), tol = REL_TOL * absDot(TensorFixtures.dequantizeRow(t, r), x, xOff);
                assertTrue(Math.abs(w - out[r]) <= tol, "row " + r + " of " + Arrays.toString(range) + ": " + out[r] + " vs " + w);
            }
        }
    }

    /**
     * Rows longer than 2048 columns are multiplied from their column-blocked copy ({@link F16Tensor#blocked}: bands of
     * 128 rows, blocks of 2048 columns, the last one partial) as the one-pass kernel over the file's rows does
     * ({@link F16Tensor.Simd#dotHalfs}): the same lane sums in the same order, so equal up to the final sum of the
     * lanes, whose order differs between C2's reduction and the interpreter's ({@link #REL_TOL} of sum|w x|; a
     * misplaced block is off by the size of the products). 300 rows: two whole bands and a partial third; row ranges
     * that start and end inside bands.
     */
    @Test
    void f16ColumnBlockedRowsMatchTheOnePassKernel() {
        Assumptions.assumeTrue(Tensor.REPACK_PAIRS, "Vector API with repacking on");
        Random rnd = new Random(4128);
        int rows = 300, cols = 4128;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(GgmlType.F16.rowBytes(cols) * rows);
            for (long i = 0; i < (long) rows * cols; i++) seg.set(I16_LE, 2 * i, Float.floatToFloat16((float) rnd.nextGaussian()));
            F16Tensor t = (F16Tensor) TensorFixtures.wrap(GgmlType.F16, seg, rows, cols);
            assertTrue(t.blocked != null, "rows of " + cols + " columns are copied in column blocks");
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
            short[] h = F16Tensor.halfs(x, 0, cols, new short[cols]);
            assertRangesMatch(t, x, 0, new int[][] {{0, rows}, {37, 290}, {128, 256}}, r -> F16Tensor.Simd.dotHalfs(t, r, h));
        }
    }

    /**
     * The F16 matrix-vector kernel of finite tensors rounds the activations to halfs, as llama.cpp does, and multiplies
     * both in their shifted bits: its scalar twin ({@link F16Tensor#matvecScalar}, the same halfs, plain products and
     * sums) for weights over every finite half pattern (subnormals, +-65504) and activations from subnormal floats
     * (which round to half subnormals or zero) to 65519 (which rounds to 65504). Within {@link #REL_TOL} of sum|w x|
     * (summation order) plus 2^-38 per addition (the kernel's sums run at 2^-112 of the true ones, below the normal floats while
     * smaller than 2^-14). With an activation that rounds to an infinity (65520, 70000) or a NaN it takes the float dot
     * kernel, as the twin does.
     */
    @ParameterizedTest(name = "cols={0}")
    @ValueSource(ints = {1, 17, 1003, 2048, 4128}) // 4128: the column-blocked copy (F16Tensor.blocked)
    void f16MatvecOnHalfActivationsMatchesItsScalarTwin(int cols) {
        Assumptions.assumeTrue(VectorSupport.ENABLED, "Vector API not enabled");
        Random rnd = new Random(cols);
        int rows = 5;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(GgmlType.F16.rowBytes(cols) * rows);
            for (long i = 0; i < (long) rows * cols; i++) {
                short h;
                do h = (short) rnd.nextInt(1 << 16); while ((h & 0x7C00) == 0x7C00);
                seg.set(I16_LE, 2 * i, h);
            }
            F16Tensor t = (F16Tensor) TensorFixtures.wrap(GgmlType.F16, seg, rows, cols);
            assertTrue(t.finite);
            float[] x = new float[cols + 2];
            for (float big : new float[] {65519f, 65520f, 70000f, Float.NaN}) {
                for (int i = 0; i < x.length; i++) {
                    double g = rnd.nextGaussian();
                    x[i] = (float) switch (i % 5) {
                        case 0 -> g * 1e-40; // subnormal floats: zero as halfs
                        case 1 -> g * 1e-6; // half subnormals
                        case 2 -> g * 1e4;
                        default -> g;
                    };
                }
                x[2 + cols / 2] = big;
                boolean halfs = big < 65520f;
                assertEquals(halfs, F16Tensor.halfs(x, 2, cols, new short[cols]) != null);
                float[] out = new float[rows + 1];
                t.matvecVector(x, 2, out, 1, 0, rows);
                for (int r = 0; r < rows; r++) {
                    float want = t.matvecScalar(r, x, 2);
                    if (Float.isNaN(big)) {
                        assertTrue(Float.isNaN(out[1 + r]) && Float.isNaN(want), "row " + r + " with NaN");
                        continue;
                    }
                    if (!halfs) assertEquals(t.dotScalar(r, x, 2), want, "row " + r + ": the twin takes the float dot");
                    double tol = REL_TOL * absDot(TensorFixtures.dequantizeRow(t, r), x, 2) + cols * 0x1p-38;
                    assertTrue(Math.abs(want - out[1 + r]) <= tol, "row " + r + " with " + big + ": " + out[1 + r] + " vs " + want);
                }
            }
        }
    }

    /** An F16 tensor holding an infinity keeps the full conversion: its dot products are those of the scalar twin. */
    @Test
    void f16TensorWithAnInfinityTakesTheExactConversion() {
        Assumptions.assumeTrue(VectorSupport.ENABLED, "Vector API not enabled");
        Random rnd = new Random(3);
        int rows = 3, cols = 96;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(GgmlType.F16.rowBytes(cols) * rows);
            fillRandom(seg, GgmlType.F16, rows, cols, rnd);
            assertTrue(((F16Tensor) TensorFixtures.wrap(GgmlType.F16, seg, rows, cols)).finite);
            seg.set(I16_LE, 2L * (cols + 5), (short) 0x7C00); // +inf in row 1
            F16Tensor t = (F16Tensor) TensorFixtures.wrap(GgmlType.F16, seg, rows, cols);
            assertTrue(!t.finite);
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
            x[5] = 0.5f;
            assertEquals(Float.POSITIVE_INFINITY, t.dotScalar(1, x, 0));
            assertEquals(Float.POSITIVE_INFINITY, t.dotVector(1, x, 0));
            float want = t.dotScalar(0, x, 0), got = t.dotVector(0, x, 0);
            assertTrue(Math.abs(want - got) <= REL_TOL * absDot(TensorFixtures.dequantizeRow(t, 0), x, 0), got + " vs " + want);
        }
    }

    private static void checkAllHalfPatterns(boolean bf16) {
        short[] h = new short[1 << 16];
        for (int i = 0; i < h.length; i++) h[i] = (short) i;
        float[] got = new float[SimdShapes.L];
        for (int i = 0; i < h.length; i += SimdShapes.L) {
            ShortVector v = ShortVector.fromArray(SimdShapes.S, h, i);
            (bf16 ? SimdShapes.bf16ToFloats(v) : SimdShapes.f16ToFloats(v)).intoArray(got, 0);
            for (int l = 0; l < SimdShapes.L; l++) {
                short s = h[i + l];
                float want = bf16 ? Float.intBitsToFloat(s << 16) : Float.float16ToFloat(s);
                if (!bf16 && Float.isNaN(want)) {
                    assertTrue(Float.isNaN(got[l]) && (Float.floatToRawIntBits(got[l]) < 0) == (s < 0), String.format("f16 NaN 0x%04x", s & 0xFFFF));
                    continue;
                }
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[l]),
                        String.format("%s 0x%04x", bf16 ? "bf16" : "f16", s & 0xFFFF));
            }
        }
    }
}
