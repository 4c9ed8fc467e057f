package io.jlama.quantize;

/**
 * Quantizes float rows to ggml's K-quant types Q2_K..Q6_K (super-blocks of 256), producing the very bytes of ggml's
 * reference quantizers without an importance matrix ({@code quantize_row_q*_K_ref}), which is what
 * {@code llama-quantize} writes when no imatrix is given.
 *
 * <p>The reference picks scales by iterative searches (a least-squares fit over 16 or 21 trial scales with an
 * optional min, or a coordinate descent for Q3_K). Every step is a float32 operation whose rounding feeds the next
 * decision, so byte identity needs ggml's exact operation order: products are evaluated left to right
 * ({@code w*l*l} is {@code (w*l)*l}), sums accumulate sequentially, integers are converted to float where C converts
 * them, and nothing is fused (no FMA; the reference library was built without contraction). Comparisons keep
 * ggml's strictness ({@code >} keeps the first of equal candidates).
 *
 * <p>{@link #nearestInt} is ggml's magic-number rounding: add 1.5*2^23 and read the low mantissa bits, i.e. round
 * half to even for |x| &lt;= 2^22; it is reproduced bit for bit rather than with {@code Math.rint} so that even
 * out-of-range inputs give the same integer. Quants are found by dividing by the f16-rounded scale
 * ({@code x/d}, not {@code x*(1/d)}), as the reference does; a sub-block whose rounded scale is 0 keeps the quants
 * of the search.
 *
 * <p>Block layouts (little-endian), as read by the dequantizers in {@code io.jlama.tensor}:
 * <ul>
 * <li>Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min), qs[64] (2 bits), f16 d, f16 dmin.</li>
 * <li>Q3_K (110): hmask[32] (bit j/32 of byte j%32 is the high bit of element j), qs[64], scales[12] (sixteen
 * 6-bit scales stored +32), f16 d.</li>
 * <li>Q4_K (144): f16 d, f16 dmin, scales[12] (eight 6-bit scales and mins), qs[128].</li>
 * <li>Q5_K (176): f16 d, f16 dmin, scales[12], qh[32], qs[128].</li>
 * <li>Q6_K (210): ql[128], qh[64], int8 scales[16], f16 d.</li>
 * </ul>
 * Scratch arrays are allocated once per call (one row), never per block.
 */
final class KQuantizer {
    private KQuantizer() {
    }

    static final int QK = 256;
    /** ggml's GROUP_MAX_EPS, a float constant: below it a group counts as all zero. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    /** ggml's nearest_int, bit for bit. */
    static int nearestInt(float v) {
        int i = Float.floatToRawIntBits(v + 12582912f);
        return (i & 0x007fffff) - 0x00400000;
    }

    private static float h2f(byte[] b, int p) {
        return Float.float16ToFloat((short) ((b[p] & 0xFF) | (b[p + 1] << 8)));
    }

    private static void putF16(byte[] b, int p, float v) {
        short h = Float.floatToFloat16(v);
        b[p] = (byte) h;
        b[p + 1] = (byte) (h >>> 8);
    }

    // ---------------------------------------------------------------- Q2_K

    /** Quantizes {@code n} floats (a multiple of 256) to Q2_K, 84 bytes per super-block. */
    static void q2K(float[] x, int xOff, int n, byte[] y, int yOff) {
        int[] L = new int[QK];
        int[] laux = new int[16];
        float[] weights = new float[16];
        float[] scales = new float[16];
        float[] mins = new float[16];
        for (int b = 0; b < n / QK; b++) {
            int o = xOff + QK * b, p = yOff + 84 * b;
            float maxScale = 0f, maxMin = 0f;
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) weights[l] = Math.abs(x[o + 16 * j + l]);
                scales[j] = makeQkx2(16, 3, x, o + 16 * j, weights, L, 16 * j, mins, j, laux, -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            int sc = p, qs = p + 16, dp = p + 80;
            if (maxScale > 0f) {
                float iscale = 15f / maxScale;
                for (int j = 0; j < 16; j++) y[sc + j] = (byte) nearestInt(iscale * scales[j]);
                putF16(y, dp, maxScale / 15f);
            } else {
                for (int j = 0; j < 16; j++) y[sc + j] = 0;
                putF16(y, dp, 0f);
            }
            if (maxMin > 0f) {
                float iscale = 15f / maxMin;
                for (int j = 0; j < 16; j++) y[sc + j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
                putF16(y, dp + 2, maxMin / 15f);
            } else {
                putF16(y, dp + 2, 0f);
            }
            float dAll = h2f(y, dp), mAll = h2f(y, dp + 2);
            for (int j = 0; j < 16; j++) {
                int s = y[sc + j] & 0xFF;
                float d = dAll * (s & 0xF);
                if (d == 0f) continue;
                float dm = mAll * (s >>> 4);
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt((x[o + 16 * j + ii] + dm) / d);
                    L[16 * j + ii] = Math.max(0, Math.min(3, l));
                }
            }
            packQ2(L, y, qs);
        }
    }

    /** Four 2-bit planes: byte {@code 32*h + l} holds elements {@code 128*h + l + 32*k} at bits {@code 2k}. */
    private static void packQ2(int[] L, byte[] y, int qs) {
        for (int j = 0; j < QK; j += 128) {
            for (int l = 0; l < 32; l++) {
                y[qs + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }

    /**
     * ggml's make_qkx2_quants: fits {@code x ≈ scale*L + min} (min &lt;= 0) over levels 0..nmax, starting from the
     * min/max grid and trying {@code nstep+1} widened or narrowed grids, each refined by weighted least squares;
     * keeps the one with the smallest weighted error (absolute if {@code mad}, squared otherwise). Writes the levels
     * to {@code L[lo..]}, {@code -min} to {@code minOut[mi]}, and returns the scale.
     */
    private static float makeQkx2(int n, int nmax, float[] x, int xo, float[] w, int[] L, int lo, float[] minOut, int mi,
                                  int[] laux, float rmin, float rdelta, int nstep, boolean mad) {
        float min = x[xo], max = x[xo];
        float sumW = w[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float v = x[xo + i];
            if (v < min) min = v;
            if (v > max) max = v;
            float wi = w[i];
            sumW += wi;
            sumX += wi * v;
        }
        if (min > 0f) min = 0f;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            minOut[mi] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0f;
        for (int i = 0; i < n; i++) {
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xo + i] - min))));
            L[lo + i] = l;
            float diff = scale * l + min - x[xo + i];
            diff = mad ? Math.abs(diff) : diff * diff;
            bestError += w[i] * diff;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0f, sumL2 = 0f, sumXL = 0f;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (v - min))));
                laux[i] = l;
                float wi = w[i];
                sumL += wi * l;
                sumL2 += wi * l * l;
                sumXL += wi * l * v;
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0f) {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0f) {
                    thisMin = 0f;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0f;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    diff = mad ? Math.abs(diff) : diff * diff;
                    curError += w[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lo, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[mi] = -min;
        return scale;
    }

    // ---------------------------------------------------------------- Q3_K

    /** Quantizes {@code n} floats (a multiple of 256) to Q3_K, 110 bytes per super-block. */
    static void q3K(float[] x, int xOff, int n, byte[] y, int yOff) {
        int[] L = new int[QK];
        float[] scales = new float[16];
        for (int b = 0; b < n / QK; b++) {
            int o = xOff + QK * b, p = yOff + 110 * b;
            int hmask = p, qs = p + 32, sc = p + 96, dp = p + 108;
            float maxScale = 0f, amax = 0f;
            for (int j = 0; j < 16; j++) {
                scales[j] = makeQ3(16, 4, x, o + 16 * j, L, 16 * j);
                float s = Math.abs(scales[j]);
                if (s > amax) {
                    amax = s;
                    maxScale = scales[j];
                }
            }
            for (int k = 0; k < 12; k++) y[sc + k] = 0;
            if (maxScale != 0f) {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++) {
                    int l = (byte) nearestInt(iscale * scales[j]);
                    l = Math.max(-32, Math.min(31, l)) + 32;
                    if (j < 8) y[sc + j] = (byte) (l & 0xF);
                    else y[sc + j - 8] |= (byte) ((l & 0xF) << 4);
                    l >>= 4;
                    y[sc + 8 + j % 4] |= (byte) (l << (2 * (j / 4)));
                }
                putF16(y, dp, 1 / iscale);
            } else {
                putF16(y, dp, 0f);
            }
            float dAll = h2f(y, dp);
            for (int j = 0; j < 16; j++) {
                int s = j < 8 ? y[sc + j] & 0xF : (y[sc + j - 8] & 0xFF) >>> 4;
                s = (s | (((y[sc + 8 + j % 4] & 0xFF) >>> (2 * (j / 4))) & 3) << 4) - 32;
                float d = dAll * s;
                if (d == 0f) continue;
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt(x[o + 16 * j + ii] / d);
                    L[16 * j + ii] = Math.max(-4, Math.min(3, l)) + 4;
                }
            }
            for (int k = 0; k < 32; k++) y[hmask + k] = 0;
            for (int j = 0; j < QK; j++) {
                if (L[j] > 3) {
                    y[hmask + (j & 31)] |= (byte) (1 << (j >>> 5));
                    L[j] -= 4;
                }
            }
            packQ2(L, y, qs);
        }
    }

    /**
     * ggml's make_q3_quants with do_rmse: symmetric levels -nmax..nmax-1 from the signed largest value, then up to five
     * passes of coordinate descent on the x²-weighted least-squares scale. Writes levels + nmax (0 for an all-zero
     * group) to {@code L[lo..]} and returns the scale.
     */
    private static float makeQ3(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = RowQuantizer.signedMax(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0f, suml2 = 0f;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * v)));
            L[lo + i] = l;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                float w = v * v;
                int li = L[lo + i];
                float slx = sumlx - w * v * li;
                if (slx > 0f) {
                    float sl2 = suml2 - w * li * li;
                    int nl = Math.max(-nmax, Math.min(nmax - 1, nearestInt(v * sl2 / slx)));
                    if (nl != li) {
                        slx += w * v * nl;
                        sl2 += w * nl * nl;
                        if (sl2 > 0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = nl;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[lo + i] += nmax;
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    // ---------------------------------------------------------------- Q4_K / Q5_K

    /** Quantizes {@code n} floats (a multiple of 256) to Q4_K, 144 bytes per super-block. */
    static void q4K(float[] x, int xOff, int n, byte[] y, int yOff) {
        int[] L = new int[QK];
        int[] laux = new int[32];
        float[] weights = new float[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        for (int b = 0; b < n / QK; b++) {
            int o = xOff + QK * b, p = yOff + 144 * b;
            scalesAndMinsK4(x, o, 15, -1f, 20, L, laux, weights, scales, mins, y, p);
            for (int j = 0; j < QK; j += 64) {
                int q = p + 16 + j / 2;
                for (int l = 0; l < 32; l++) y[q + l] = (byte) (L[j + l] | (L[j + l + 32] << 4));
            }
        }
    }

    /** Quantizes {@code n} floats (a multiple of 256) to Q5_K, 176 bytes per super-block. */
    static void q5K(float[] x, int xOff, int n, byte[] y, int yOff) {
        int[] L = new int[QK];
        int[] laux = new int[32];
        float[] weights = new float[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        for (int b = 0; b < n / QK; b++) {
            int o = xOff + QK * b, p = yOff + 176 * b;
            scalesAndMinsK4(x, o, 31, -0.5f, 15, L, laux, weights, scales, mins, y, p);
            int qh = p + 16, ql = p + 48;
            for (int k = 0; k < 32; k++) y[qh + k] = 0;
            int m1 = 1, m2 = 2;
            for (int s = 0; s < QK; s += 64) {
                for (int j = 0; j < 32; j++) {
                    int l1 = L[s + j], l2 = L[s + j + 32];
                    if (l1 > 15) {
                        l1 -= 16;
                        y[qh + j] |= (byte) m1;
                    }
                    if (l2 > 15) {
                        l2 -= 16;
                        y[qh + j] |= (byte) m2;
                    }
                    y[ql + j] = (byte) (l1 | (l2 << 4));
                }
                m1 <<= 2;
                m2 <<= 2;
                ql += 32;
            }
        }
    }

    /**
     * The common part of Q4_K and Q5_K: per 32-element sub-block a make_qkx2_quants fit with weights
     * {@code sqrt(mean(x²)) + |x|}, the eight scales and mins quantized to 6 bits against their maxima and packed
     * (get_scale_min_k4 layout) into {@code y[p+4..p+15]}, f16 d and dmin at {@code p}, {@code p+2}, then the final
     * levels 0..nmax in {@code L}.
     */
    private static void scalesAndMinsK4(float[] x, int o, int nmax, float rmin, int nstep, int[] L, int[] laux, float[] weights,
                                        float[] scales, float[] mins, byte[] y, int p) {
        float maxScale = 0f, maxMin = 0f;
        for (int j = 0; j < 8; j++) {
            int xo = o + 32 * j;
            float sumX2 = 0f;
            for (int l = 0; l < 32; l++) sumX2 += x[xo + l] * x[xo + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[xo + l]);
            scales[j] = makeQkx2(32, nmax, x, xo, weights, L, 32 * j, mins, j, laux, rmin, 0.1f, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0f ? 63f / maxScale : 0f;
        float invMin = maxMin > 0f ? 63f / maxMin : 0f;
        int sc = p + 4;
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                y[sc + j] = (byte) ls;
                y[sc + j + 4] = (byte) lm;
            } else {
                y[sc + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                y[sc + j - 4] |= (byte) ((ls >>> 4) << 6);
                y[sc + j] |= (byte) ((lm >>> 4) << 6);
            }
        }
        putF16(y, p, maxScale / 63f);
        putF16(y, p + 2, maxMin / 63f);
        float dAll = h2f(y, p), mAll = h2f(y, p + 2);
        for (int j = 0; j < 8; j++) {
            int s, m;
            if (j < 4) {
                s = y[sc + j] & 63;
                m = y[sc + j + 4] & 63;
            } else {
                s = (y[sc + j + 4] & 0xF) | (((y[sc + j - 4] & 0xFF) >>> 6) << 4);
                m = ((y[sc + j + 4] & 0xFF) >>> 4) | (((y[sc + j] & 0xFF) >>> 6) << 4);
            }
            float d = dAll * s;
            if (d == 0f) continue;
            float dm = mAll * m;
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[o + 32 * j + ii] + dm) / d);
                L[32 * j + ii] = Math.max(0, Math.min(nmax, l));
            }
        }
    }

    // ---------------------------------------------------------------- Q6_K

    /** Quantizes {@code n} floats (a multiple of 256) to Q6_K, 210 bytes per super-block. */
    static void q6K(float[] x, int xOff, int n, byte[] y, int yOff) {
        int[] L = new int[QK];
        float[] scales = new float[16];
        float[] wt = new float[16], wx = new float[16];
        for (int b = 0; b < n / QK; b++) {
            int o = xOff + QK * b, p = yOff + 210 * b;
            int sc = p + 192, dp = p + 208;
            float maxScale = 0f, maxAbsScale = 0f;
            for (int ib = 0; ib < 16; ib++) {
                float scale = makeQx(16, 32, x, o + 16 * ib, L, 16 * ib, wt, wx);
                scales[ib] = scale;
                float as = Math.abs(scale);
                if (as > maxAbsScale) {
                    maxAbsScale = as;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                for (int k = 0; k < 210; k++) y[p + k] = 0;
                continue;
            }
            float iscale = -128f / maxScale;
            putF16(y, dp, 1 / iscale);
            for (int ib = 0; ib < 16; ib++) y[sc + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            float dAll = h2f(y, dp);
            for (int j = 0; j < 16; j++) {
                float d = dAll * y[sc + j];
                if (d == 0f) continue;
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt(x[o + 16 * j + ii] / d);
                    L[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
                }
            }
            int ql = p, qh = p + 128;
            for (int j = 0; j < QK; j += 128) {
                for (int l = 0; l < 32; l++) {
                    int a = L[j + l], b2 = L[j + l + 32], c = L[j + l + 64], e = L[j + l + 96];
                    y[ql + l] = (byte) ((a & 0xF) | ((c & 0xF) << 4));
                    y[ql + l + 32] = (byte) ((b2 & 0xF) | ((e & 0xF) << 4));
                    y[qh + l] = (byte) ((a >>> 4) | ((b2 >>> 4) << 2) | ((c >>> 4) << 4) | ((e >>> 4) << 6));
                }
                ql += 64;
                qh += 32;
            }
        }
    }

    /**
     * ggml's make_qx_quants with rmse_type 1 and no importance: symmetric levels -nmax..nmax-1, the x²-weighted
     * least-squares scale for the grid through the signed largest value and for 18 grids scaled by
     * {@code (nmax ± 0.1k)/nmax}, keeping the best. Writes levels + nmax (0 for an all-zero group) and returns the scale.
     */
    private static float makeQx(int n, int nmax, float[] x, int xo, int[] L, int lo, float[] wt, float[] wx) {
        float max = RowQuantizer.signedMax(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0f, suml2 = 0f;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * v)));
            L[lo + i] = l + nmax;
            float w = v * v;
            wt[i] = w;
            wx[i] = w * v; // w*x*l is (w*x)*l: the product can be kept for the trials
            sumlx += wx[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0f ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0f;
            suml2 = 0f;
            for (int i = 0; i < n; i++) {
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xo + i])));
                sumlx += wx[i] * l;
                suml2 += wt[i] * l * l;
            }
            if (suml2 > 0f && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xo + i])));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }
}
