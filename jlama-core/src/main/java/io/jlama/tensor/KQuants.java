package io.jlama.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Scale unpacking shared by the K-quant types (super-blocks of {@link #QK} elements). Plain integer code, used by
 * the scalar and the vector kernels alike.
 *
 * <p>Q4_K and Q5_K pack eight 6-bit scales and eight 6-bit mins for their sub-blocks of 32 into 12 bytes
 * {@code q[0..11]}: for j &lt; 4 the scale is {@code q[j] & 63} and the min {@code q[j+4] & 63}; for j &gt;= 4 the low
 * 4 bits come from the nibbles of {@code q[j+4]} (scale low, min high) and the top 2 bits from bits 6-7 of
 * {@code q[j-4]} (scale) and {@code q[j]} (min). Q3_K packs sixteen 6-bit scales (stored +32) into 12 bytes: the low
 * 4 bits are the nibbles of {@code q[0..7]} (scales 0-7 low nibbles, 8-15 high nibbles), the top 2 bits come from
 * {@code q[8..11]}, bit pair {@code 2*(j/4)} of byte {@code 8 + j%4}.
 */
final class KQuants {
    private KQuants() {
    }

    /** Elements per super-block. */
    static final int QK = 256;

    /** Scale j (0..7) of a Q4_K/Q5_K super-block whose 12 scale bytes start at {@code s}: ggml's get_scale_min_k4. */
    static int scaleK4(MemorySegment data, long s, int j) {
        if (j < 4) return data.get(Tensor.I8, s + j) & 63;
        return (data.get(Tensor.I8, s + j + 4) & 0x0F) | ((data.get(Tensor.I8, s + j - 4) & 0xFF) >>> 6) << 4;
    }

    /** Min j (0..7) of a Q4_K/Q5_K super-block whose 12 scale bytes start at {@code s}. */
    static int minK4(MemorySegment data, long s, int j) {
        if (j < 4) return data.get(Tensor.I8, s + j + 4) & 63;
        return ((data.get(Tensor.I8, s + j + 4) & 0xFF) >>> 4) | ((data.get(Tensor.I8, s + j) & 0xFF) >>> 6) << 4;
    }

    /**
     * The eight 6-bit scales of a Q4_K/Q5_K super-block, scale j in byte j of the result: the same unpacking as
     * {@link #scaleK4}, done on whole words (each mask keeps the bits that came from the right byte).
     */
    static long scalesK4(MemorySegment data, long s) {
        int a = data.get(Tensor.I32_LE, s), c = data.get(Tensor.I32_LE, s + 8);
        int lo = a & 0x3F3F3F3F;
        int hi = (c & 0x0F0F0F0F) | ((a >>> 2) & 0x30303030);
        return (lo & 0xFFFFFFFFL) | (long) hi << 32;
    }

    /** The eight 6-bit mins of a Q4_K/Q5_K super-block, min j in byte j of the result (see {@link #minK4}). */
    static long minsK4(MemorySegment data, long s) {
        int b = data.get(Tensor.I32_LE, s + 4), c = data.get(Tensor.I32_LE, s + 8);
        int lo = b & 0x3F3F3F3F;
        int hi = ((c >>> 4) & 0x0F0F0F0F) | ((b >>> 2) & 0x30303030);
        return (lo & 0xFFFFFFFFL) | (long) hi << 32;
    }

    /**
     * Scales {@code 8*half .. 8*half+7} (half 0 or 1) of a Q3_K super-block whose 12 scale bytes start at {@code s},
     * as stored (0..63, the signed scale plus 32), scale {@code 8*half + j} in byte j of the result.
     */
    static long scalesQ3(MemorySegment data, long s, int half) {
        int a0 = data.get(Tensor.I32_LE, s), a1 = data.get(Tensor.I32_LE, s + 4), hb = data.get(Tensor.I32_LE, s + 8);
        int sh = 4 * half; // low nibbles for scales 0-7, high nibbles for 8-15
        int w0 = ((a0 >>> sh) & 0x0F0F0F0F) | (((hb >>> (4 * half)) & 0x03030303) << 4);     // scales 8h + 0..3
        int w1 = ((a1 >>> sh) & 0x0F0F0F0F) | (((hb >>> (4 * half + 2)) & 0x03030303) << 4); // scales 8h + 4..7
        return (w0 & 0xFFFFFFFFL) | (long) w1 << 32;
    }

    /** Byte j (0..7) of a packed word, as 0..255. */
    static int at(long packed, int j) {
        return (int) (packed >>> (8 * j)) & 0xFF;
    }

    /** An integer of a row: the value of element e, or the scale of sub-block e, of super-block k. */
    interface RowInt {
        int at(int k, int e);
    }

    /** A float of a row: the scale d of super-block k. */
    interface RowFloat {
        float at(int k);
    }

    /**
     * The twin of the row-group kernels of the K-quants and IQ4_XS without mins (Q3_K, Q6_K, IQ4_XS), which read the
     * row through the given accessors: per super-block the exact integer sum {@code isum = sum_j scale(j) *
     * sum(value * q)} over its sub-blocks of {@code sub} elements, then {@code acc += (isum * dy) * d} as a fused
     * multiply-add.
     */
    static float int8DotScaled(int cols, Q8Activations a, int sub, RowInt value, RowInt scale, RowFloat d) {
        float acc = 0f;
        byte[] q = a.q;
        for (int k = 0, nb = cols / QK; k < nb; k++) {
            int isum = 0;
            for (int j = 0; j < QK / sub; j++) {
                int s = 0;
                for (int e = sub * j; e < sub * j + sub; e++) s += value.at(k, e) * q[QK * k + e];
                isum += scale.at(k, j) * s;
            }
            acc = Math.fma(isum * a.d[k], d.at(k), acc);
        }
        return acc;
    }
}
