package io.jlama.model;

import io.jlama.parallel.WorkerPool;
import io.jlama.tensor.Q4_0Tensor;
import io.jlama.tensor.Q4_KTensor;
import io.jlama.tensor.Q6_KTensor;
import io.jlama.tensor.Tensor;
import io.jlama.tensor.VectorSupport;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forward pass's parallel products with their int8 inputs prepared once per task (Transformer.MatmulTask: a
 * quantization pass over the distinct inputs on all workers, then the products, each given its input's batch) give
 * the bits of each product run on its own, which quantizes its own input ({@code Int8GemmTest} holds that path to
 * one token at a time).
 */
class MatmulTaskTest {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void preparedProductsHaveTheBitsOfProductsOnTheirOwn() {
        Random rnd = new Random(17);
        int cols = 512, n = 21;
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) { // shared: the workers read the weights
            // Q/K/V-like products sharing one input (two formats: Q8_K for Q4_K and Q6_K, Q8_0 for Q4_0), one with
            // another slice of the input, one with too few tokens for a batch
            Tensor q = q4k(arena, 96, cols, rnd), k = q4k(arena, 64, cols, rnd), v = q6k(arena, 64, cols, rnd), o = q40(arena, 128, cols, rnd);
            float[] x = new float[(n + 3) * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            Tensor[] ws = {q, k, v, o, k, q};
            int[] inOff = {0, 0, 0, 0, 3 * cols, 0}, ns = {n, n, n, n, n, 3};
            Transformer.MatmulTask task = new Transformer.MatmulTask(ws.length);
            float[][] outs = new float[ws.length][], want = new float[ws.length][];
            for (int j = 0; j < ws.length; j++) {
                int rows = ws[j].rows();
                outs[j] = new float[ns[j] * rows];
                Arrays.fill(outs[j], Float.NaN);
                want[j] = new float[ns[j] * rows];
                ws[j].matmul(x, inOff[j], cols, ns[j], want[j], 0, rows, 0, rows);
                task.add(ws[j], x, inOff[j], ns[j], outs[j], 0, rows, 0, rows);
            }
            for (int round = 0; round < 3; round++) { // later rounds reuse the task's batches
                int batches = task.prepareInt8();
                if (q.int8BatchFormat(n) != null) assertEquals(3, batches, "inputs to quantize: Q8_K and Q8_0 of x, Q8_K of x + 3 cols");
                pool.run(task.quantize);
                task.plan(pool.threads());
                if (round < 2) {
                    pool.run(task);
                } else { // a worker that never joins: worker 0 does its own chunks and takes all of worker 1's
                    task.run(0, pool.threads());
                }
                for (int j = 0; j < ws.length; j++) {
                    // int8 products sum exact integers per block, then the same float operations: the same bits. Float
                    // kernels (-Djlama.repack=false, scalar) may not: a lane reduction is ordered one way by C2 and another
                    // by the interpreter's Java fallback, so a product run before and after compilation can differ in its
                    // last bit (seen once in 9 runs): those are held to a few ulps of float summation instead.
                    boolean exact = VectorSupport.int8Activations(ws[j].type(), ws[j].rows());
                    for (int i = 0; i < want[j].length; i++) {
                        String where = "product " + j + " entry " + i + ": " + outs[j][i] + " vs " + want[j][i];
                        if (exact) assertEquals(Float.floatToRawIntBits(want[j][i]), Float.floatToRawIntBits(outs[j][i]), where);
                        else assertTrue(Math.abs(outs[j][i] - want[j][i]) <= 1e-5f * (Math.abs(want[j][i]) + 1f), where);
                    }
                }
                for (int i = 0; i < x.length; i++) x[i] = -x[i];
                for (int j = 0; j < ws.length; j++) ws[j].matmul(x, inOff[j], cols, ns[j], want[j], 0, ws[j].rows(), 0, ws[j].rows());
            }
            assertTrue(Float.isFinite(outs[0][0]));
        }
    }

    /** Random bytes with every block's f16 scales set to small finite values. */
    private static MemorySegment blocks(Arena arena, int rows, int cols, int blockBytes, int[] scaleOffsets, Random rnd) {
        long count = (long) rows * cols / 256 * (256 / (blockBytes == 18 ? 32 : 256));
        MemorySegment seg = arena.allocate(count * blockBytes);
        byte[] b = new byte[(int) seg.byteSize()];
        rnd.nextBytes(b);
        MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, 0, b.length);
        for (long i = 0; i < count; i++) {
            for (int off : scaleOffsets) seg.set(F16, i * blockBytes + off, Float.floatToFloat16((float) (0.001 + rnd.nextDouble() * 0.01)));
        }
        return seg;
    }

    private static Tensor q4k(Arena arena, int rows, int cols, Random rnd) {
        return new Q4_KTensor("q4k", blocks(arena, rows, cols, 144, new int[] {0, 2}, rnd), rows, cols);
    }

    private static Tensor q6k(Arena arena, int rows, int cols, Random rnd) {
        return new Q6_KTensor("q6k", blocks(arena, rows, cols, 210, new int[] {208}, rnd), rows, cols);
    }

    private static Tensor q40(Arena arena, int rows, int cols, Random rnd) {
        return new Q4_0Tensor("q40", blocks(arena, rows, cols, 18, new int[] {0}, rnd), rows, cols);
    }
}
