package io.jlama.quantize;

import io.jlama.tensor.GgmlType;

import java.util.Locale;
import java.util.StringJoiner;

/**
 * What {@code llama-quantize} calls a quantization type: a file type ({@code LLAMA_FTYPE_MOSTLY_*}, written as
 * {@code general.file_type}) and the default tensor type of its mix. {@code Q4_K_M} and {@code Q4_K_S} share the
 * default type Q4_K and differ in which tensors the mix keeps at higher precision ({@link QuantMix}).
 */
public enum QuantType {
    F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    Q4_0(2, GgmlType.Q4_0),
    Q4_1(3, GgmlType.Q4_1),
    Q8_0(7, GgmlType.Q8_0),
    Q5_0(8, GgmlType.Q5_0),
    Q5_1(9, GgmlType.Q5_1),
    Q2_K(10, GgmlType.Q2_K),
    Q3_K_S(11, GgmlType.Q3_K),
    Q3_K_M(12, GgmlType.Q3_K),
    Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K),
    Q4_K_M(15, GgmlType.Q4_K),
    Q5_K_S(16, GgmlType.Q5_K),
    Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K),
    /** Accepted so that it fails as in llama.cpp: its Q2_K tensors need an importance matrix. */
    Q2_K_S(21, GgmlType.Q2_K),
    IQ4_NL(25, GgmlType.IQ4_NL),
    IQ4_XS(30, GgmlType.IQ4_XS),
    BF16(32, GgmlType.BF16),
    TQ1_0(36, GgmlType.TQ1_0),
    TQ2_0(37, GgmlType.TQ2_0),
    /** Expert tensors (3-D) MXFP4, every other matrix Q8_0. */
    MXFP4_MOE(38, GgmlType.MXFP4);

    /** llama.cpp's {@code llama_ftype} value. */
    public final int fileType;
    /** The tensor type most quantizable tensors get ({@code llama_ftype_get_default_type}). */
    public final GgmlType defaultType;

    QuantType(int fileType, GgmlType defaultType) {
        this.fileType = fileType;
        this.defaultType = defaultType;
    }

    /** The file type whose mix is just this tensor type (Q4_K means Q4_K_M, as in llama-quantize), or null. */
    public static QuantType of(GgmlType t) {
        return switch (t) {
            case Q2_K -> Q2_K;
            case Q3_K -> Q3_K_M;
            case Q4_K -> Q4_K_M;
            case Q5_K -> Q5_K_M;
            case MXFP4 -> MXFP4_MOE;
            default -> {
                for (QuantType q : values()) if (q.defaultType == t && q.name().equals(t.name())) yield q;
                yield null;
            }
        };
    }

    /**
     * The type named as llama-quantize names them (case-insensitive): the names above, plus Q3_K, Q4_K and Q5_K
     * (meaning their _M mix) and MXFP4 (meaning MXFP4_MOE); null when unknown.
     */
    public static QuantType byName(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (QuantType q : values()) if (q.name().equals(n)) return q;
        GgmlType t = GgmlType.byName(n);
        return t == null ? null : of(t);
    }

    /**
     * {@link #byName}, or an IllegalArgumentException saying why not: llama-quantize's importance-matrix types
     * (IQ1/IQ2, IQ3_XXS), the IQ3 types not implemented, or an unknown name; each message lists the supported names.
     */
    public static QuantType parse(String name) {
        QuantType q = byName(name);
        if (q != null) return q;
        String t = name.trim().toUpperCase(Locale.ROOT);
        if (t.matches("IQ1_[SM]|IQ2_(XXS|XS|S|M)|IQ3_XXS")) {
            throw new IllegalArgumentException("TYPE " + t + " needs an importance matrix, which jlama quantize does not take (supported: " + names() + ")");
        }
        if (t.matches("IQ3_(XS|S|M)")) throw new IllegalArgumentException("TYPE " + t + " is not implemented yet (supported: " + names() + ")");
        throw new IllegalArgumentException("TYPE: unknown type '" + name + "' (supported: " + names() + ")");
    }

    /** The names {@link #byName} accepts, for messages. */
    public static String names() {
        StringJoiner j = new StringJoiner(", ");
        for (QuantType q : values()) j.add(q.name());
        return j.toString();
    }
}
