package io.jlama.quantize;

import io.jlama.tensor.IQ4_NLTensor;
import io.jlama.tensor.MXFP4Tensor;

/**
 * Quantizes float rows to ggml's non-linear and ternary types (IQ4_NL, IQ4_XS, MXFP4, TQ1_0, TQ2_0), producing the
 * bytes of {@code ggml_quantize_chunk} without an importance matrix. Used through {@link RowQuantizer#quantize}.
 *
 * <p>As in {@link RowQuantizer}, each routine replays ggml's float32 operations in ggml's order, without FMA.
 * Notes on what ggml does without an importance matrix:
 * <ul>
 * <li>IQ4_NL and IQ4_XS share one search. Each 32-block weighs element j by {@code x_j^2}, starts from the scale
 * that maps the signed largest |x| onto the grid's -127, takes the weighted least-squares scale for the resulting
 * indices, then tries the 15 inverse scales {@code (t-127)/max}, t = -7..7, keeping the one with the best
 * {@code sumqx^2/sumq2}. IQ4_NL stores that scale as f16 and re-picks the indices with its inverse; IQ4_XS expresses
 * each block scale as a 6-bit multiple {@code l-32} of the super-block scale {@code -maxScale/32} (l from
 * round-half-even) and re-picks the indices with {@code 1/(d*l)}.</li>
 * <li>MXFP4: shared exponent {@code e = floor(log2(amax)) + 125} (0 for an all-zero block), and each element takes
 * the first of the 16 doubled e2m1 values whose product with {@code 2^(e-128)} is nearest.</li>
 * <li>TQ1_0 / TQ2_0: {@code d = amax} over 256 elements, trits {@code round(x/d)} half away from zero.</li>
 * </ul>
 *
 * <p>Layouts (little-endian): IQ4_NL (32 elements, 18 bytes) f16 d + 16 bytes of index pairs (j low, j+16 high);
 * IQ4_XS (256, 136) f16 d, u16 scales_h (2 high bits per sub-block), 4 bytes scales_l (4 low bits), 128 index bytes;
 * MXFP4 (32, 17) e8m0 byte + 16 code bytes; TQ1_0 (256, 54) 48 bytes of five base-3 digits, 4 bytes of four, f16 d;
 * TQ2_0 (256, 66) 64 bytes of four 2-bit codes, f16 d.
 */
public final class NonLinearQuantizer {
    private NonLinearQuantizer() {
    }

    private static final float[] IQ4 = toFloats(IQ4_NLTensor.grid());
    private static final float[] FP4 = toFloats(MXFP4Tensor.grid());
    /** Blocks whose largest magnitude is below this get scale 0 in the IQ4 search. */
    private static final float GROUP_MAX_EPS = 1e-15f;
    /** Scale candidates on either side of the start in the IQ4 search. */
    private static final int NTRY = 7;

    private static float[] toFloats(byte[] b) {
        float[] f = new float[b.length];
        for (int i = 0; i < b.length; i++) f[i] = b[i];
        return f;
    }

    /** IQ4_NL: n (a multiple of 32) floats from x[o] into n/32 blocks of 18 bytes at y[p]. */
    public static void iq4nl(float[] x, int o, int n, byte[] y, int p) {
        float[] weight = new float[32];
        float[] scales = new float[1];
        int[] L = new int[32];
        for (int b = 0; b < n / 32; b++) iq4Block(32, x, o + 32 * b, y, p + 18 * b, scales, weight, L);
    }

    /** IQ4_XS: n (a multiple of 256) floats from x[o] into n/256 blocks of 136 bytes at y[p]. */
    public static void iq4xs(float[] x, int o, int n, byte[] y, int p) {
        float[] weight = new float[32];
        float[] scales = new float[8];
        int[] L = new int[256];
        for (int b = 0; b < n / 256; b++) iq4Block(256, x, o + 256 * b, y, p + 136 * b, scales, weight, L);
    }

    /**
     * The index of the grid value nearest to v, ties to the upper one (ggml's best_index_int8); the grid is ascending.
     * Inside the grid, {@code i} ends as the last index with {@code g[i] <= v}, the same bracket ggml's bisection finds;
     * the final choice uses ggml's float differences.
     */
    private static int bestIndex(float[] g, float v) {
        if (v <= g[0]) return 0;
        if (v >= g[15] || v != v) return 15; // ggml's bisection also ends at 15 for NaN
        int i = g[8] <= v ? 8 : 0;
        i = g[i + 4] <= v ? i + 4 : i;
        i = g[i + 2] <= v ? i + 2 : i;
        i = g[i + 1] <= v ? i + 1 : i;
        return v - g[i] < g[i + 1] - v ? i : i + 1;
    }

    /** ggml's nearest_int: the float magic-number rounding, half to even for |v| up to 2^22. */
    private static int nearestInt(float v) {
        return (Float.floatToRawIntBits(v + 12582912f) & 0x007fffff) - 0x00400000;
    }

    /**
     * One IQ4 super-block of {@code sb} elements (32: IQ4_NL, 256: IQ4_XS) in 32-element sub-blocks.
     * scales, weight and L are scratch of at least sb/32, 32 and sb entries.
     */
    private static void iq4Block(int sb, float[] x, int o, byte[] y, int p, float[] scales, float[] weight, int[] L) {
        final float[] g = IQ4;
        int nb = sb / 32;
        float maxScale = 0f, amaxScale = 0f;
        for (int ib = 0; ib < nb; ib++) {
            int xb = o + 32 * ib, lb = 32 * ib;
            for (int j = 0; j < 32; j++) weight[j] = x[xb + j] * x[xb + j];
            float amax = 0f, max = 0f;
            for (int j = 0; j < 32; j++) {
                float ax = Math.abs(x[xb + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[xb + j];
                }
            }
            if (amax < GROUP_MAX_EPS) {
                scales[ib] = 0f;
                continue;
            }
            float d = -max / g[0];
            float id = 1f / d;
            float sumqx = 0f, sumq2 = 0f;
            for (int j = 0; j < 32; j++) {
                float xv = x[xb + j];
                int l = bestIndex(g, id * xv);
                L[lb + j] = l;
                float q = g[l];
                float w = weight[j];
                sumqx += w * q * xv;
                sumq2 += w * q * q;
            }
            d = sumq2 > 0f ? sumqx / sumq2 : 0f;
            float best = d * sumqx;
            for (int t = -NTRY; t <= NTRY; t++) {
                id = (float) (t + (int) g[0]) / max;
                sumqx = 0f;
                sumq2 = 0f;
                for (int j = 0; j < 32; j++) {
                    float xv = x[xb + j];
                    float q = g[bestIndex(g, id * xv)];
                    float w = weight[j];
                    sumqx += w * q * xv;
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0f && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scales[ib] = d;
            float ad = Math.abs(d);
            if (ad > amaxScale) {
                amaxScale = ad;
                maxScale = d;
            }
        }

        int qs;
        if (nb > 1) {
            float d = -maxScale / 32f;
            putI16(y, p, Float.floatToFloat16(d));
            float id = d != 0f ? 1f / d : 0f;
            int scalesH = 0;
            for (int ib = 0; ib < nb; ib++) {
                int l = nearestInt(id * scales[ib]);
                l = Math.max(-32, Math.min(31, l));
                float dl = d * (float) l;
                float idl = dl != 0f ? 1f / dl : 0f;
                int xb = o + 32 * ib, lb = 32 * ib;
                for (int j = 0; j < 32; j++) L[lb + j] = bestIndex(g, idl * x[xb + j]);
                l += 32;
                int lo4 = l & 0xF;
                if ((ib & 1) == 0) y[p + 4 + ib / 2] = (byte) lo4;
                else y[p + 4 + ib / 2] |= (byte) (lo4 << 4);
                scalesH |= (l >>> 4) << (2 * ib);
            }
            putI16(y, p + 2, (short) scalesH);
            qs = p + 8;
        } else {
            putI16(y, p, Float.floatToFloat16(scales[0]));
            float id = scales[0] != 0f ? 1f / scales[0] : 0f;
            for (int j = 0; j < 32; j++) L[j] = bestIndex(g, id * x[o + j]);
            qs = p + 2;
        }
        for (int i = 0; i < nb; i++) {
            for (int j = 0; j < 16; j++) y[qs + 16 * i + j] = (byte) (L[32 * i + j] | (L[32 * i + 16 + j] << 4));
        }
    }

    /** MXFP4: n (a multiple of 32) floats from x[o] into n/32 blocks of 17 bytes at y[p]. */
    public static void mxfp4(float[] x, int o, int n, byte[] y, int p) {
        for (int b = 0; b < n / 32; b++) {
            int xo = o + 32 * b, yo = p + 17 * b;
            float amax = 0f;
            for (int j = 0; j < 32; j++) {
                float a = Math.abs(x[xo + j]);
                if (amax < a) amax = a;
            }
            int e = amax > 0f ? (int) (floorLog2f(amax) - 2f + 127f) & 0xFF : 0;
            float d = MXFP4Tensor.scale(e);
            y[yo] = (byte) e;
            for (int j = 0; j < 16; j++) {
                int c0 = fp4Index(x[xo + j], d);
                int c1 = fp4Index(x[xo + 16 + j], d);
                y[yo + 1 + j] = (byte) (c0 | (c1 << 4));
            }
        }
    }

    /**
     * floorf(log2f(a)) for a positive finite float. The float log2 rounds to the next integer when a lies within
     * about half an ulp of log2 below a power of two; the double log2 rounded to float reproduces that.
     */
    private static float floorLog2f(float a) {
        return (float) Math.floor((float) (Math.log(a) / Math.log(2.0)));
    }

    /** The first code whose value times e is nearest to v. */
    private static int fp4Index(float v, float e) {
        final float[] g = FP4;
        int best = 0;
        float bestErr = Math.abs(g[0] * e - v);
        for (int i = 1; i < 16; i++) {
            float err = Math.abs(g[i] * e - v);
            if (err < bestErr) {
                best = i;
                bestErr = err;
            }
        }
        return best;
    }

    /** Scale of a ternary super-block: its largest |x|, and the inverse (0 when the block is all zeros). */
    private static float ternaryAmax(float[] x, int o) {
        float amax = 0f;
        for (int j = 0; j < 256; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        return amax;
    }

    /** round(v) half away from zero, plus one: a trit -1, 0, 1 becomes 0, 1, 2. */
    private static int trit(float v) {
        return (int) RowQuantizer.roundf(v) + 1;
    }

    /** TQ1_0: n (a multiple of 256) floats from x[o] into n/256 blocks of 54 bytes at y[p]. */
    public static void tq1_0(float[] x, int o, int n, byte[] y, int p) {
        for (int b = 0; b < n / 256; b++) {
            int xo = o + 256 * b, yo = p + 54 * b;
            float d = ternaryAmax(x, xo);
            float id = d != 0f ? 1f / d : 0f;
            putI16(y, yo + 52, Float.floatToFloat16(d));
            // bytes 0..31: elements m + 32k, k = 0..4; bytes 32..47: elements 160 + m + 16k
            for (int m = 0; m < 32; m++) y[yo + m] = pack5(x, xo + m, 32, id);
            for (int m = 0; m < 16; m++) y[yo + 32 + m] = pack5(x, xo + 160 + m, 16, id);
            // bytes 48..51: elements 240 + j + 4k, k = 0..3, the first trit most significant of five
            for (int j = 0; j < 4; j++) {
                int q = 0;
                for (int k = 0; k < 4; k++) q = (q * 3 + trit(x[xo + 240 + j + 4 * k] * id)) & 0xFF;
                q = (q * 3) & 0xFF;
                y[yo + 48 + j] = (byte) ((q * 256 + 242) / 243);
            }
        }
    }

    /** Five trits, x[s], x[s+step], ..., first most significant, as a base-3 number scaled to a byte (rounded up). */
    private static byte pack5(float[] x, int s, int step, float id) {
        int q = 0;
        for (int k = 0; k < 5; k++) q = (q * 3 + trit(x[s + k * step] * id)) & 0xFF;
        return (byte) ((q * 256 + 242) / 243);
    }

    /** TQ2_0: n (a multiple of 256) floats from x[o] into n/256 blocks of 66 bytes at y[p]. */
    public static void tq2_0(float[] x, int o, int n, byte[] y, int p) {
        for (int b = 0; b < n / 256; b++) {
            int xo = o + 256 * b, yo = p + 66 * b;
            float d = ternaryAmax(x, xo);
            float id = d != 0f ? 1f / d : 0f;
            putI16(y, yo + 64, Float.floatToFloat16(d));
            // byte 32h + m holds elements 128h + m + 32k in bits 2k..2k+1
            for (int h = 0; h < 2; h++) {
                for (int m = 0; m < 32; m++) {
                    int q = 0;
                    for (int k = 0; k < 4; k++) q += (trit(x[xo + 128 * h + m + 32 * k] * id) & 3) << (2 * k);
                    y[yo + 32 * h + m] = (byte) q;
                }
            }
        }
    }

    private static void putI16(byte[] b, int p, short v) {
        b[p] = (byte) v;
        b[p + 1] = (byte) (v >>> 8);
    }
}
