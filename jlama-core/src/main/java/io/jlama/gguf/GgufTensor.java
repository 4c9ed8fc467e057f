package io.jlama.gguf;

import io.jlama.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A tensor of a GGUF file: its name, type, shape in ggml order ({@code ne[0]} is the row length, the fastest
 * dimension), absolute file offset, byte size and the slice of the mapped file that holds it.
 */
public record GgufTensor(String name, GgmlType type, long[] ne, long fileOffset, long byteSize, MemorySegment data) {

    /** Number of elements. */
    public long elementCount() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    /** Row length (ne[0]). */
    public long cols() {
        return ne[0];
    }

    /** Number of rows: the product of ne[1..]. */
    public long rows() {
        long n = 1;
        for (int i = 1; i < ne.length; i++) n *= ne[i];
        return n;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(ne);
    }
}
