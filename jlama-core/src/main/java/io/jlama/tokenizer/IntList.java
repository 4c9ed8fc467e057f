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

    int get(int i) {
        return a[i];
    }

    int size() {
        return n;
    }

    int[] toArray() {
        return Arrays.copyOf(a, n);
    }
}
