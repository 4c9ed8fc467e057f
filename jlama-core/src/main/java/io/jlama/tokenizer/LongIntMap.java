package io.jlama.tokenizer;

import java.util.Arrays;

/** A map from long keys to non-negative ints (open addressing, no boxing); {@link #get} gives -1 for a missing key. */
final class LongIntMap {
    private final long[] keys;
    private final int[] values; // value + 1; 0 = empty
    private final int mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(8, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new int[cap];
        mask = cap - 1;
    }

    /** Stores the value unless the key is present; the map must not fill up (it holds at most the expected count). */
    void putIfAbsent(long key, int value) {
        int s = slot(key);
        while (values[s] != 0) {
            if (keys[s] == key) return;
            s = (s + 1) & mask;
        }
        keys[s] = key;
        values[s] = value + 1;
    }

    int get(long key) {
        int s = slot(key);
        while (values[s] != 0) {
            if (keys[s] == key) return values[s] - 1;
            s = (s + 1) & mask;
        }
        return -1;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29) ^ (h >>> 47)) & mask;
    }

    @Override
    public String toString() {
        return "LongIntMap[" + Arrays.stream(values).filter(v -> v != 0).count() + " entries]";
    }
}
