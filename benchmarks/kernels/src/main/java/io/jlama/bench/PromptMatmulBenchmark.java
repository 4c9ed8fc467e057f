package io.jlama.bench;

import io.jlama.tensor.GgmlType;
import io.jlama.tensor.Tensor;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A prompt batch's matrix-matrix product per weight type on one thread, the prompt hot path: {@code tokens} tokens
 * through the tiled GEMM (the int8 GEMM for types whose products take int8 activations, the float GEMM for the
 * others), activations quantized again on each call as in a model run. The {@code macs} counter is the rate of
 * multiply-adds: divide by 1e9 for GMAC/s. The default shapes are a Llama-3.2-1B FFN matrix, up (8192 x 2048) and
 * down (2048 x 8192).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar PromptMatmulBenchmark -p type=Q4_0,Q4_K</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class PromptMatmulBenchmark {
    @Param({"F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;

    @Param({"8192x2048", "2048x8192"})
    public String shape;

    @Param({"128"})
    public int tokens;

    private Arena arena;
    private Tensor w;
    private int rows, cols;
    private float[] x;
    private float[] out;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        public long macs;
    }

    @Setup(Level.Trial)
    public void setup() {
        String[] rc = shape.split("x");
        rows = Integer.parseInt(rc[0]);
        cols = Integer.parseInt(rc[1]);
        arena = Arena.ofShared();
        w = RandomWeights.make(GgmlType.valueOf(type), rows, cols, 42, arena);
        x = new float[tokens * cols];
        Random r = new Random(7);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        out = new float[tokens * rows];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] gemm(Counters c) {
        for (int t = 0; t < tokens; t++) x[t * cols] = -x[t * cols]; // new activations, as each product of a model has
        w.matmul(x, cols, tokens, out, rows, 0, rows);
        c.macs += (long) rows * cols * tokens;
        return out;
    }
}
