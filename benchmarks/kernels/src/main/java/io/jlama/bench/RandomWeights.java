package io.jlama.bench;

import io.jlama.gguf.GgufTensor;
import io.jlama.tensor.GgmlType;
import io.jlama.tensor.Tensor;
import io.jlama.tensor.Tensors;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

/** Random weight matrices of any supported type, laid out as in a GGUF file, for kernel benchmarks. */
public final class RandomWeights {
    private RandomWeights() {
    }

    public static Tensor make(GgmlType type, int rows, int cols, long seed, Arena arena) {
        long bytes = type.rowBytes(cols) * rows;
        MemorySegment seg = arena.allocate(bytes, 64);
        Random r = new Random(seed);
        ValueLayout.OfShort h = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < bytes; i += 4) seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, (float) r.nextGaussian() * 0.02f);
            }
            case F16 -> {
                for (long i = 0; i < bytes; i += 2) seg.set(h, i, Float.floatToFloat16((float) r.nextGaussian() * 0.02f));
            }
            case BF16 -> {
                for (long i = 0; i < bytes; i += 2) seg.set(h, i, (short) (Float.floatToRawIntBits((float) r.nextGaussian() * 0.02f) >>> 16));
            }
            default -> {
                // Random quants; every block has an f16 scale (and an f16 min for the _1 types and dmin for the K-quants
                // with mins): make them sane. Most blocks start with it; Q2_K, Q3_K and Q6_K keep theirs at the end.
                for (long i = 0; i < bytes; i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
                int d = switch (type) {
                    case Q2_K -> 80;
                    case Q3_K -> 108;
                    case Q6_K -> 208;
                    default -> 0;
                };
                int min = switch (type) {
                    case Q4_1, Q5_1, Q4_K, Q5_K -> 2;
                    case Q2_K -> 82;
                    default -> -1;
                };
                for (long b = 0; b < bytes; b += type.typeSize) {
                    seg.set(h, b + d, Float.floatToFloat16(0.001f + r.nextFloat() * 0.01f));
                    if (min >= 0) seg.set(h, b + min, Float.floatToFloat16((type.blockSize == 256 ? 0.01f : -0.01f) * r.nextFloat()));
                }
            }
        }
        GgufTensor t = new GgufTensor("bench." + type, type, new long[] {cols, rows}, 0, bytes, seg);
        return Tensors.of(Path.of("random"), t);
    }
}
