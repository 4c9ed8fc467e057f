package io.jlama.model;

/**
 * Keys and values of every layer for positions [0, capacity). Layout per layer: position-major,
 * {@code [pos][kvHead][headDim]}, so one position's heads are stored together as the projections produce them.
 *
 * <p>{@link Type#F32} (the default) keeps the projections exactly. {@link Type#F16} halves the memory, rounding each
 * key and value to f16 when it is stored, as llama.cpp's default cache does; on stories260K that moves logits by up to
 * ~0.02 (llama.cpp measures 0.024 for the same change), so greedy continuations can part after near-ties.
 */
public final class KvCache {
    /** How keys and values are stored. */
    public enum Type { F32, F16 }

    private final Type type;
    private final int capacity;
    private final int kDim;
    private final int vDim;
    /** F32 storage, or null. */
    final float[][] keys, values;
    /** F16 storage (raw f16 bits), or null. */
    final short[][] keys16, values16;

    public KvCache(ModelConfig c, int capacity, Type type) {
        if ((long) capacity * Math.max(c.kDim(), c.vDim()) > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("context length " + capacity + " is too large for one KV cache array of width " + Math.max(c.kDim(), c.vDim()));
        }
        this.type = type;
        this.capacity = capacity;
        this.kDim = c.kDim();
        this.vDim = c.vDim();
        int layers = c.blockCount();
        if (type == Type.F32) {
            keys = new float[layers][capacity * kDim];
            values = new float[layers][capacity * vDim];
            keys16 = values16 = null;
        } else {
            keys16 = new short[layers][capacity * kDim];
            values16 = new short[layers][capacity * vDim];
            keys = values = null;
        }
    }

    public Type type() {
        return type;
    }

    /** Positions the cache can hold: the session's context length. */
    public int capacity() {
        return capacity;
    }

    /** Bytes held by the cache. */
    public long bytes() {
        return (type == Type.F32 ? 4L : 2L) * capacity * (kDim + vDim) * (type == Type.F32 ? keys.length : keys16.length);
    }

    /** Stores n positions of keys and values from {@code k}/{@code v} at {@code pos0}. */
    void store(int layer, int pos0, int n, float[] k, float[] v) {
        if (type == Type.F32) {
            System.arraycopy(k, 0, keys[layer], pos0 * kDim, n * kDim);
            System.arraycopy(v, 0, values[layer], pos0 * vDim, n * vDim);
        } else {
            short[] kk = keys16[layer], vv = values16[layer];
            for (int i = 0, o = pos0 * kDim; i < n * kDim; i++) kk[o + i] = Float.floatToFloat16(k[i]);
            for (int i = 0, o = pos0 * vDim; i < n * vDim; i++) vv[o + i] = Float.floatToFloat16(v[i]);
        }
    }

    /** Copies {@code len} floats of a layer's keys from {@code off} into {@code dst} (F16 caches only). */
    void keys(int layer, int off, float[] dst, int len) {
        short[] kk = keys16[layer];
        for (int i = 0; i < len; i++) dst[i] = Float.float16ToFloat(kk[off + i]);
    }

    void values(int layer, int off, float[] dst, int len) {
        short[] vv = values16[layer];
        for (int i = 0; i < len; i++) dst[i] = Float.float16ToFloat(vv[off + i]);
    }
}
