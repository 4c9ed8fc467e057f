package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** Test helpers: wrapping raw ggml bytes in the tensor class of their type, and the types of this task. */
final class TensorFixtures {
    private TensorFixtures() {
    }

    /** The weight types with a reference in shared/reference/quant, by llama.cpp's name. */
    static final List<String> REFERENCE_TYPES = List.of("f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_K", "q6_K", "q5_K", "q3_K", "q2_K", "iq4_nl", "iq4_xs", "mxfp4", "tq2_0", "tq1_0");

    /** Wraps {@code data} as a {@code rows x cols} tensor of {@code type}, through {@link Tensors#of} as a model would. */
    static Tensor wrap(GgmlType type, MemorySegment data, int rows, int cols) {
        long bytes = type.rowBytes(cols) * rows;
        GgufTensor t = new GgufTensor("test." + type, type, new long[] {cols, rows}, 0, bytes, data.asSlice(0, bytes));
        return Tensors.of(Path.of("test.gguf"), t);
    }

    /** Maps a file read-only for the lifetime of {@code arena}. */
    static MemorySegment map(Arena arena, Path p) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static float[] dequantizeRow(Tensor t, int row) {
        float[] w = new float[t.cols()];
        t.dequantizeRow(row, w, 0);
        return w;
    }
}
