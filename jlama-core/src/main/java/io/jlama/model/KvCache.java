package io.jlama.model;

/**
 * Keys and values of every layer for positions [0, capacity), in F32. Layout per layer: position-major,
 * {@code [pos][kvHead][headDim]}, so one position's heads are stored together as the projections produce them.
 */
public final class KvCache {
    private final int capacity;
    private final int kDim;
    private final int vDim;
    final float[][] keys;
    final float[][] values;

    public KvCache(ModelConfig c, int capacity) {
        if ((long) capacity * Math.max(c.kDim(), c.vDim()) > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("context length " + capacity + " is too large for one KV cache array of width " + Math.max(c.kDim(), c.vDim()));
        }
        this.capacity = capacity;
        this.kDim = c.kDim();
        this.vDim = c.vDim();
        keys = new float[c.blockCount()][capacity * kDim];
        values = new float[c.blockCount()][capacity * vDim];
    }

    /** Positions the cache can hold: the session's context length. */
    public int capacity() {
        return capacity;
    }

    /** Bytes held by the cache. */
    public long bytes() {
        return 4L * capacity * (kDim + vDim) * keys.length;
    }
}
