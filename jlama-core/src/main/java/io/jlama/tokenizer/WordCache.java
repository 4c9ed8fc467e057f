package io.jlama.tokenizer;

import java.util.Arrays;

/**
 * Remembers the ids of recently tokenized words (byte strings), so that the words a text repeats are merged once.
 * Looking up does not allocate. When it is full it starts over. Not thread-safe: one per encoding session.
 */
final class WordCache {
    private static final int CAPACITY = 1 << 14; // slots; at most half of them are used
    private final byte[][] keys = new byte[CAPACITY][];
    private final int[][] values = new int[CAPACITY][];
    private int size;

    /** The ids cached for {@code b[0, len)}, or null. */
    int[] get(byte[] b, int len) {
        for (int s = hash(b, len) & (CAPACITY - 1); ; s = (s + 1) & (CAPACITY - 1)) {
            byte[] k = keys[s];
            if (k == null) return null;
            if (k.length == len && Arrays.equals(k, 0, len, b, 0, len)) return values[s];
        }
    }

    /** Caches the ids of {@code b[0, len)} (which must not be cached yet). */
    void put(byte[] b, int len, int[] ids) {
        if (size >= CAPACITY / 2) {
            Arrays.fill(keys, null);
            Arrays.fill(values, null);
            size = 0;
        }
        int s = hash(b, len) & (CAPACITY - 1);
        while (keys[s] != null) s = (s + 1) & (CAPACITY - 1);
        keys[s] = Arrays.copyOf(b, len);
        values[s] = ids;
        size++;
    }

    private static int hash(byte[] b, int len) {
        int h = 0x811C9DC5;
        for (int i = 0; i < len; i++) h = (h ^ (b[i] & 0xFF)) * 0x01000193;
        return h ^ (h >>> 15);
    }
}
