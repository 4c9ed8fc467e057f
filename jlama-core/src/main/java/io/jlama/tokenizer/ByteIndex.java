package io.jlama.tokenizer;

import java.util.Arrays;

/**
 * Exact lookup of a byte string among the token texts, without allocating: open addressing over the token ids,
 * keyed by the token bytes. When two tokens have the same text the higher id wins, as in llama.cpp's
 * {@code token_to_id} map (filled in id order).
 */
final class ByteIndex {
    private final byte[][] keys;
    private final int[] slots; // token id + 1; 0 = empty
    private final int mask;
    private final int maxLength;

    ByteIndex(byte[][] keys) {
        this.keys = keys;
        int cap = Integer.highestOneBit(Math.max(8, keys.length * 2 - 1)) << 1;
        slots = new int[cap];
        mask = cap - 1;
        int max = 0;
        for (int id = 0; id < keys.length; id++) {
            byte[] k = keys[id];
            max = Math.max(max, k.length);
            int s = hash(k, 0, k.length) & mask;
            while (true) {
                int cur = slots[s];
                if (cur == 0) {
                    slots[s] = id + 1;
                    break;
                }
                if (Arrays.equals(keys[cur - 1], k)) {
                    slots[s] = id + 1; // a later duplicate replaces the earlier id
                    break;
                }
                s = (s + 1) & mask;
            }
        }
        maxLength = max;
    }

    /** The longest key, in bytes. */
    int maxLength() {
        return maxLength;
    }

    /** The id whose text is exactly {@code buf[off, off + len)}, or -1. */
    int find(byte[] buf, int off, int len) {
        if (len > maxLength) return -1;
        int s = hash(buf, off, len) & mask;
        while (true) {
            int cur = slots[s];
            if (cur == 0) return -1;
            byte[] k = keys[cur - 1];
            if (k.length == len && Arrays.equals(k, 0, len, buf, off, off + len)) return cur - 1;
            s = (s + 1) & mask;
        }
    }

    private static int hash(byte[] b, int off, int len) {
        int h = 0x811C9DC5; // FNV-1a, then a final mix so that the low bits depend on every byte
        for (int i = off, end = off + len; i < end; i++) h = (h ^ (b[i] & 0xFF)) * 0x01000193;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        return h;
    }
}
