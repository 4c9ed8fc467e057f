package io.jlama.tokenizer;

import java.util.Arrays;

/**
 * The merge loop shared by the SentencePiece and the byte-level BPE tokenizers (llama.cpp's {@code llm_tokenizer_spm}
 * and {@code llm_tokenizer_bpe} sessions): a text starts as one symbol per UTF-8 character; while some adjacent pair
 * can merge, the best one (highest priority; ties: the leftmost) is replaced by its concatenation.
 *
 * <p>Symbols form a linked list; candidate pairs wait in a binary heap and are checked when they come out (a pair
 * whose symbols changed since it was queued is dropped). Each merge queues at most two new pairs, so a text of n
 * characters takes O(n log n). A subclass decides which pairs can merge and with what priority ({@link #offer}).
 *
 * <p>Merging always folds the right symbol into the left one, so symbol 0 survives and the chain starts there.
 * Not thread-safe; {@link #reset} reuses the arrays.
 */
abstract class PairMerger {
    protected byte[] text;
    /** Per symbol: byte range in {@link #text} (a merged-away symbol has length 0) and its neighbours (-1: none). */
    protected int[] start = new int[16], length = new int[16], prev = new int[16], next = new int[16];
    protected int count;
    // Max-heap of queued pairs: key = priority << 32 | (MAX - left), so equal priorities pop leftmost first.
    private long[] hKey = new long[16];
    private int[] hSize = new int[16]; // length of the pair when queued: a pair that changed since is stale
    private int hCount;

    /** Starts over on {@code text[from, to)}: one symbol per UTF-8 character (llama.cpp's lengths, cut at the end). */
    final void reset(byte[] text, int from, int to) {
        this.text = text;
        int n = to - from;
        if (start.length < n) {
            int cap = Math.max(n, start.length * 2);
            start = new int[cap];
            length = new int[cap];
            prev = new int[cap];
            next = new int[cap];
        }
        int c = 0;
        for (int off = from; off < to; c++) {
            int len = Math.min(Unicode.utf8Length(text[off]), to - off);
            start[c] = off;
            length[c] = len;
            prev[c] = c - 1;
            next[c] = c + 1;
            off += len;
        }
        count = c;
        if (c > 0) next[c - 1] = -1;
        hCount = 0;
    }

    /** Merges until no queued pair is left. */
    final void run() {
        for (int i = 1; i < count; i++) offer(i - 1, i);
        while (hCount > 0) {
            long key = hKey[0];
            int size = hSize[0];
            pop();
            int l = Integer.MAX_VALUE - (int) key, r = next[l];
            // Stale: the left symbol was merged away, or one side grew since the pair was queued.
            if (length[l] == 0 || r < 0 || length[l] + length[r] != size) continue;
            length[l] = size;
            length[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            merged(l, r, (int) (key >> 32));
            if (prev[l] >= 0) offer(prev[l], l);
            if (next[l] >= 0) offer(l, next[l]);
        }
    }

    /** The first symbol of the chain, or -1 when there is none; continue with {@code next[i]}. */
    final int first() {
        return count == 0 ? -1 : 0;
    }

    /** Looks at the adjacent symbols l and r = next[l]; calls {@link #queue} if they can merge. */
    protected abstract void offer(int l, int r);

    /** Called after symbol r was folded into l by a pair queued with this priority. */
    protected void merged(int l, int r, int priority) {
    }

    /** Queues the pair (l, next[l]): higher priorities merge first. */
    protected final void queue(int l, int r, int priority) {
        push((long) priority << 32 | (Integer.MAX_VALUE - l), length[l] + length[r]);
    }

    private void push(long key, int size) {
        if (hCount == hKey.length) {
            hKey = Arrays.copyOf(hKey, hCount * 2);
            hSize = Arrays.copyOf(hSize, hCount * 2);
        }
        int i = hCount++;
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (hKey[p] >= key) break;
            hKey[i] = hKey[p];
            hSize[i] = hSize[p];
            i = p;
        }
        hKey[i] = key;
        hSize[i] = size;
    }

    private void pop() {
        int n = --hCount;
        if (n == 0) return;
        long key = hKey[n];
        int size = hSize[n];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && hKey[c + 1] > hKey[c]) c++;
            if (hKey[c] <= key) break;
            hKey[i] = hKey[c];
            hSize[i] = hSize[c];
            i = c;
        }
        hKey[i] = key;
        hSize[i] = size;
    }
}
