package io.jlama.tokenizer;

import java.util.Arrays;

/** A growable int array (no boxing). */
final class IntList {
    private int[] a;
    private int n;

    IntList(int capacity) {
        a = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (n == a.length) a = Arrays.copyOf(a, a.length + (a.length >> 1) + 1);
        a[n++] = v;
    }

    void addAll(int[] v) {
        if (n + v.length > a.length) a = Arrays.copyOf(a, Math.max(n + v.length, a.length + (a.length >> 1) + 1));
        System.arraycopy(v, 0, a, n, v.length);
        n += v.length;
    }

    /** A copy of the elements from index {@code from} on. */
    int[] tail(int from) {
        return Arrays.copyOfRange(a, from, n);
    }

    int get(int i) {
        return a[i];
    }

    int size() {
        return n;
    }

    /** Drops the elements from index n on. */
    void truncate(int n) {
        if (n < this.n) this.n = n;
    }

    int[] toArray() {
        return Arrays.copyOf(a, n);
    }
}
