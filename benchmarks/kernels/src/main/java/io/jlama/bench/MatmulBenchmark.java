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
 * One-token matrix-vector product per weight type on one thread, the decode hot path. The {@code weightBytes}
 * counter is the rate of weight bytes read: divide by 1e9 for GB/s and compare with {@code shared/peers/bin/membw}.
 * The default shape is a Llama-3.2-1B FFN matrix (2048 x 8192).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar MatmulBenchmark -p type=Q4_0,Q8_0</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class MatmulBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    public String type;

    @Param({"8192"})
    public int rows;

    @Param({"2048"})
    public int cols;

    private Arena arena;
    private Tensor w;
    private float[] x;
    private float[] out;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        public long weightBytes;
    }

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        w = RandomWeights.make(GgmlType.valueOf(type), rows, cols, 42, arena);
        x = new float[cols];
        Random r = new Random(7);
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        out = new float[rows];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** The single-row dot kernel, row by row (what matvec does without a multi-row kernel). */
    @Benchmark
    public float[] rowDots(Counters c) {
        for (int r = 0; r < rows; r++) out[r] = w.dot(r, x, 0);
        c.weightBytes += w.data().byteSize();
        return out;
    }

    @Benchmark
    public float[] matvec(Counters c) {
        w.matmul(x, cols, 1, out, rows, 0, rows);
        c.weightBytes += w.data().byteSize();
        return out;
    }
}
