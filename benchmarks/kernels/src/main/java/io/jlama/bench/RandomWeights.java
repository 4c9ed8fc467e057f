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
                // Random quants; every block starts with an f16 scale (and an f16 min for the _1 types): make them sane.
                for (long i = 0; i < bytes; i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
                for (long b = 0; b < bytes; b += type.typeSize) {
                    seg.set(h, b, Float.floatToFloat16(0.001f + r.nextFloat() * 0.01f));
                    if (type == GgmlType.Q4_1 || type == GgmlType.Q5_1) seg.set(h, b + 2, Float.floatToFloat16(-0.01f * r.nextFloat()));
                }
            }
        }
        GgufTensor t = new GgufTensor("bench." + type, type, new long[] {cols, rows}, 0, bytes, seg);
        return Tensors.of(Path.of("random"), t);
    }
}
