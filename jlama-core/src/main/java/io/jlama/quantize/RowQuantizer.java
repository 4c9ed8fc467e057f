package io.jlama.quantize;

import io.jlama.tensor.GgmlType;

/**
 * Quantizes float rows to ggml's legacy block types and to F16/BF16, producing the very bytes of ggml's scalar
 * reference quantizers ({@code quantize_row_*_ref}, {@code ggml_fp32_to_*_row_ref}), which is what
 * {@code llama-quantize} writes without an importance matrix.
 *
 * <p>Every routine is a fixed sequence of IEEE float32 operations in ggml's order: scales are computed in f32 and
 * stored rounded to f16, the quants use the unrounded f32 inverse {@code id = 1/d} (0 when d is 0), {@code roundf}
 * rounds half away from zero, and C's float-to-integer conversion truncates toward zero (Java's {@code (int)} cast).
 * No FMA is used anywhere.
 *
 * <p>Block layouts (all little-endian), next to the dequantizers in {@code io.jlama.tensor}:
 * <ul>
 * <li>Q8_0 (32 elements, 34 bytes): f16 d, 32 int8 q; x = q*d.</li>
 * <li>Q4_0 (32, 18): f16 d, 16 bytes; byte j holds element j (low nibble) and j+16 (high); x = (n-8)*d.</li>
 * <li>Q4_1 (32, 20): f16 d, f16 m, 16 bytes of nibbles as Q4_0; x = n*d + m.</li>
 * <li>Q5_0 (32, 22): f16 d, uint32 qh (bit j = fifth bit of element j), 16 bytes of low nibbles as Q4_0; x = (q-16)*d.</li>
 * <li>Q5_1 (32, 24): f16 d, f16 m, uint32 qh, 16 bytes of low nibbles; x = q*d + m.</li>
 * <li>F16 / BF16 (1, 2): one half / bfloat16 per element.</li>
 * </ul>
 * The K-quants Q2_K..Q6_K (super-blocks of 256) are in {@link KQuantizer}.
 */
public final class RowQuantizer {
    private RowQuantizer() {
    }

    /** Whether {@link #quantize} can produce this type. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> true;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            case IQ4_NL, IQ4_XS, MXFP4, TQ1_0, TQ2_0 -> true;
            default -> false;
        };
    }

    /**
     * Quantizes {@code n} floats of {@code x} from {@code xOff} (a multiple of the type's block size) into
     * {@code dst} from {@code dOff}; writes {@code type.rowBytes(n)} bytes.
     */
    public static void quantize(GgmlType type, float[] x, int xOff, int n, byte[] dst, int dOff) {
        if (n % type.blockSize != 0) throw new IllegalArgumentException(n + " elements is not a multiple of the " + type + " block size " + type.blockSize);
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) putI32(dst, dOff + 4 * i, Float.floatToRawIntBits(x[xOff + i]));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) putI16(dst, dOff + 2 * i, Float.floatToFloat16(x[xOff + i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) putI16(dst, dOff + 2 * i, toBf16(x[xOff + i]));
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) q8_0(x, xOff + 32 * b, dst, dOff + 34 * b);
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) q4_0(x, xOff + 32 * b, dst, dOff + 18 * b);
            }
            case Q4_1 -> {
                for (int b = 0; b < n / 32; b++) q4_1(x, xOff + 32 * b, dst, dOff + 20 * b);
            }
            case Q5_0 -> {
                for (int b = 0; b < n / 32; b++) q5_0(x, xOff + 32 * b, dst, dOff + 22 * b);
            }
            case Q5_1 -> {
                for (int b = 0; b < n / 32; b++) q5_1(x, xOff + 32 * b, dst, dOff + 24 * b);
            }
            case Q2_K -> KQuantizer.q2K(x, xOff, n, dst, dOff);
            case Q3_K -> KQuantizer.q3K(x, xOff, n, dst, dOff);
            case Q4_K -> KQuantizer.q4K(x, xOff, n, dst, dOff);
            case Q5_K -> KQuantizer.q5K(x, xOff, n, dst, dOff);
            case Q6_K -> KQuantizer.q6K(x, xOff, n, dst, dOff);
            case IQ4_NL -> NonLinearQuantizer.iq4nl(x, xOff, n, dst, dOff);
            case IQ4_XS -> NonLinearQuantizer.iq4xs(x, xOff, n, dst, dOff);
            case MXFP4 -> NonLinearQuantizer.mxfp4(x, xOff, n, dst, dOff);
            case TQ1_0 -> NonLinearQuantizer.tq1_0(x, xOff, n, dst, dOff);
            case TQ2_0 -> NonLinearQuantizer.tq2_0(x, xOff, n, dst, dOff);
            default -> throw new UnsupportedOperationException("quantizing to " + type + " is not implemented");
        }
    }

    /** ggml's fp32 to bf16: round to nearest even on the bit pattern; NaN made quiet. */
    static short toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** C's roundf: half away from zero. Exact, because a float plus 0.5 is exact in double. */
    static float roundf(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5);
        return (float) Math.copySign(a, v);
    }

    private static void q8_0(float[] x, int o, byte[] y, int p) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) {
            float a = Math.abs(x[o + j]);
            amax = amax > a ? amax : a;
        }
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        putI16(y, p, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) y[p + 2 + j] = (byte) (int) roundf(x[o + j] * id);
    }

    /** The signed value of the first of {@code n} elements with the largest magnitude (0 when all are zero). */
    static float signedMax(float[] x, int o, int n) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < n; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    private static void q4_0(float[] x, int o, byte[] y, int p) {
        float d = signedMax(x, o, 32) / -8f;
        float id = d != 0f ? 1f / d : 0f;
        putI16(y, p, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (byte) (int) (x[o + j] * id + 8.5f));
            int q1 = Math.min(15, (byte) (int) (x[o + 16 + j] * id + 8.5f));
            y[p + 2 + j] = (byte) ((q0 & 0xFF) | (q1 << 4));
        }
    }

    private static void q4_1(float[] x, int o, byte[] y, int p) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 15f;
        float id = d != 0f ? 1f / d : 0f;
        putI16(y, p, Float.floatToFloat16(d));
        putI16(y, p + 2, Float.floatToFloat16(min));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (byte) (int) ((x[o + j] - min) * id + 0.5f));
            int q1 = Math.min(15, (byte) (int) ((x[o + 16 + j] - min) * id + 0.5f));
            y[p + 4 + j] = (byte) ((q0 & 0xFF) | (q1 << 4));
        }
    }

    private static void q5_0(float[] x, int o, byte[] y, int p) {
        float d = signedMax(x, o, 32) / -16f;
        float id = d != 0f ? 1f / d : 0f;
        putI16(y, p, Float.floatToFloat16(d));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (byte) (int) (x[o + j] * id + 16.5f)) & 0xFF;
            int q1 = Math.min(31, (byte) (int) (x[o + 16 + j] * id + 16.5f)) & 0xFF;
            y[p + 6 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        putI32(y, p + 2, qh);
    }

    private static void q5_1(float[] x, int o, byte[] y, int p) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 31f;
        float id = d != 0f ? 1f / d : 0f;
        putI16(y, p, Float.floatToFloat16(d));
        putI16(y, p + 2, Float.floatToFloat16(min));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = ((int) ((x[o + j] - min) * id + 0.5f)) & 0xFF;
            int q1 = ((int) ((x[o + 16 + j] - min) * id + 0.5f)) & 0xFF;
            y[p + 8 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        putI32(y, p + 4, qh);
    }

    private static void putI16(byte[] b, int p, short v) {
        b[p] = (byte) v;
        b[p + 1] = (byte) (v >>> 8);
    }

    private static void putI32(byte[] b, int p, int v) {
        b[p] = (byte) v;
        b[p + 1] = (byte) (v >>> 8);
        b[p + 2] = (byte) (v >>> 16);
        b[p + 3] = (byte) (v >>> 24);
    }
}
