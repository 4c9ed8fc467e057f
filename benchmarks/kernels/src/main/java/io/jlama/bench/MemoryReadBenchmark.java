package io.jlama.bench;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * The ceiling the matrix-vector kernels stream weights against: a plain Vector API read of memory (int lanes added
 * into 4 independent accumulators), each thread over its own buffer ({@code -t 2}: two streams at once, as in a
 * 2-thread decode). The {@code bytes} counter is bytes read per second. {@code shared/peers/bin/membw}'s "read" is a
 * scalar sum (one add chain) and reads slower than the kernels do; compare with this instead.
 *
 * <pre>java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar MemoryReadBenchmark -t 2</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class MemoryReadBenchmark {
    /** MiB per thread: far beyond the caches. */
    @Param({"512"})
    public int mib;

    private Arena arena;
    private MemorySegment data;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        public long bytes;
    }

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        data = arena.allocate((long) mib << 20, 64);
        for (long o = 0; o < data.byteSize(); o += 4096) data.set(ValueLayout.JAVA_BYTE, o, (byte) 1); // touch every page
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public int read(Counters c) {
        VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
        int step = I.vectorByteSize();
        IntVector a = IntVector.zero(I), b = a, d = a, e = a;
        for (long o = 0, end = data.byteSize(); o < end; o += 4L * step) {
            a = a.add(IntVector.fromMemorySegment(I, data, o, ByteOrder.LITTLE_ENDIAN));
            b = b.add(IntVector.fromMemorySegment(I, data, o + step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(IntVector.fromMemorySegment(I, data, o + 2L * step, ByteOrder.LITTLE_ENDIAN));
            e = e.add(IntVector.fromMemorySegment(I, data, o + 3L * step, ByteOrder.LITTLE_ENDIAN));
        }
        c.bytes += data.byteSize();
        return a.add(b).add(d).add(e).reduceLanes(VectorOperators.ADD);
    }
}
