package io.jlama.gguf;

import java.lang.reflect.Array;

/**
 * A GGUF metadata array. {@code values} is a primitive array for numeric element types (byte[] for u8/i8/bool,
 * short[] for u16/i16, int[] for u32/i32, long[] for u64/i64, float[], double[]), a String[] for strings, and a
 * GgufArray[] for nested arrays. Unsigned values are kept as their bit pattern.
 */
public record GgufArray(GgufValueType elementType, Object values) {
    public int length() {
        return Array.getLength(values);
    }

    @Override
    public String toString() {
        return "[" + elementType.ggufName() + " x " + length() + "]";
    }
}
