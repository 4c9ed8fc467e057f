package io.jlama.model;

/**
 * Keys and values of every layer for positions [0, capacity). Layout per layer: position-major,
 * {@code [pos][kvHead][headDim]}, so one position's heads are stored together as the projections produce them.
 *
 * <p>Sliding-window layers keep only what their window can still see: a ring of {@code window + maxBatch}
 * positions (position p lives in slot {@code p % ring}), enough for every query of a batch to find its window
 * while the batch's own keys are being added, as llama.cpp sizes its SWA cache. Full-attention layers keep the whole
 * context.
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
    /** Slots of each layer: the context length, or the ring size of a sliding-window layer. */
    private final int[] slots;
    private final int kDim;
    private final int vDim;
    /** F32 storage, or null. */
    final float[][] keys, values;
    /** F16 storage (raw f16 bits), or null. */
    final short[][] keys16, values16;

    public KvCache(ModelConfig c, int capacity, Type type) {
        this(c, capacity, type, capacity);
    }

    /**
     * @param maxBatch the most tokens fed in one step: a sliding-window layer's ring holds its window plus a batch
     */
    public KvCache(ModelConfig c, int capacity, Type type, int maxBatch) {
        if ((long) capacity * Math.max(c.kDim(), c.vDim()) > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("context length " + capacity + " is too large for one KV cache array of width " + Math.max(c.kDim(), c.vDim()));
        }
        this.type = type;
        this.capacity = capacity;
        this.kDim = c.kDim();
        this.vDim = c.vDim();
        int layers = c.blockCount();
        slots = new int[layers];
        for (int l = 0; l < layers; l++) {
            boolean swa = c.slidingWindow() > 0 && c.swaLayers() != null && c.swaLayers()[l];
            slots[l] = swa ? (int) Math.min(capacity, (long) c.slidingWindow() + maxBatch) : capacity;
        }
        if (type == Type.F32) {
            keys = new float[layers][];
            values = new float[layers][];
            for (int l = 0; l < layers; l++) {
                keys[l] = new float[slots[l] * kDim];
                values[l] = new float[slots[l] * vDim];
            }
            keys16 = values16 = null;
        } else {
            keys16 = new short[layers][];
            values16 = new short[layers][];
            for (int l = 0; l < layers; l++) {
                keys16[l] = new short[slots[l] * kDim];
                values16[l] = new short[slots[l] * vDim];
            }
            keys = values = null;
        }
    }

    /** Slots of a layer: positions p and p + slots share one (sliding-window layers keep only their window). */
    int slots(int layer) {
        return slots[layer];
    }

    /** The slot of position {@code pos} in a layer (the position itself unless the layer is a sliding-window ring). */
    int slot(int layer, int pos) {
        int n = slots[layer];
        return pos < n ? pos : pos % n;
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
        long positions = 0;
        for (int n : slots) positions += n;
        return (type == Type.F32 ? 4L : 2L) * positions * (kDim + vDim);
    }

    /** Stores n positions of keys and values from {@code k}/{@code v} at {@code pos0}. */
    void store(int layer, int pos0, int n, float[] k, float[] v) {
        for (int t = 0; t < n; t++) {
            int slot = slot(layer, pos0 + t);
            if (type == Type.F32) {
                System.arraycopy(k, t * kDim, keys[layer], slot * kDim, kDim);
                System.arraycopy(v, t * vDim, values[layer], slot * vDim, vDim);
            } else {
                short[] kk = keys16[layer], vv = values16[layer];
                for (int i = 0; i < kDim; i++) kk[slot * kDim + i] = Float.floatToFloat16(k[t * kDim + i]);
                for (int i = 0; i < vDim; i++) vv[slot * vDim + i] = Float.floatToFloat16(v[t * vDim + i]);
            }
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
