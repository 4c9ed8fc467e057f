package io.jlama.tensor;

/**
 * Whether the Vector API kernels are used. They need the {@code jdk.incubator.vector} module (the CLI adds it;
 * embedders pass {@code --add-modules jdk.incubator.vector}) and a vector unit of at least 128 bits. Otherwise, or
 * with {@code -Djlama.scalar=true}, every kernel runs its plain scalar twin. Vector classes are only touched when
 * this says so, so the library loads without the module.
 */
public final class VectorSupport {
    private VectorSupport() {
    }

    /** The incubator module is in the boot layer. */
    public static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** Vector kernels are in use. */
    public static final boolean ENABLED = AVAILABLE && !Boolean.getBoolean("jlama.scalar") && Probe.preferredBits() >= 128;

    /** Preferred vector width in bits, or 0 when the Vector API is not available. */
    public static int preferredBits() {
        return AVAILABLE ? Probe.preferredBits() : 0;
    }

    /** Float lanes of the kernels' vectors ({@link SimdShapes#L}), or 0 when the vector kernels are off. */
    static int floatLanes() {
        return ENABLED ? SimdShapes.L : 0;
    }

    /**
     * Whether one token's product with weights of this type quantizes the activations to int8 blocks first, as
     * llama.cpp does (Q4_0, Q5_0, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_XS with the vector kernels and repacking on); batches then use the same rounded activations.
     * Results then follow llama.cpp's quantized arithmetic rather than an exact pass over the dequantized weights.
     */
    public static boolean int8Activations(GgmlType type) {
        return (type == GgmlType.Q4_0 || type == GgmlType.Q5_0 || type == GgmlType.Q3_K || type == GgmlType.Q4_K || type == GgmlType.Q5_K || type == GgmlType.Q6_K
                || type == GgmlType.IQ4_XS && floatLanes() >= 8) && Tensor.REPACK_PAIRS; // IQ4_XS: its 16-entry grid in one vector of 2L shorts
    }

    /**
     * Rows per row group of a type's int8 kernel: one per float lane, or two per lane where the kernel walks a group
     * as two halves that share the activation broadcasts and the per-block work: Q4_0 and Q4_K at 8 and 16 lanes
     * (decoding, same-hour A/B: Q4_0 at 16 lanes 41-43 -> 44-50 tok/s, at 8 lanes 27-29 -> 34-37; Q4_K_M at 8
     * lanes 29-31 -> 35-36). Q4_K at 16 lanes first ran slower this way (41-45 -> 26-27 tok/s): its kernel read
     * each 4.8 KB block's header after the block's nibbles, and on this VM reading back into a page already
     * passed cost more than half the streaming rate; reading the header first, one thread's Q4_K products over
     * four matrices of the model went 12-19 -> 20-24 GB/s against the 16-row kernel. 0 when the vector kernels
     * are off. (Q6_K's kernel holds 8 accumulators already: two halves would not fit AVX2's 16 registers.) Q5_0, Q3_K,
     * Q5_K and IQ4_XS have only the two-half kernel, at every width (their float kernels decoded at 0.42-0.8x llama.cpp's speed;
     * Q5_K_M 1B, two threads: 15.4 -> 35.3 tok/s with this one, llama.cpp 35.3 in the same run).
     */
    static int int8GroupRows(GgmlType type) {
        int lanes = floatLanes();
        if ((type == GgmlType.Q4_0 || type == GgmlType.Q4_K) && lanes >= 8 || type == GgmlType.Q5_0 || type == GgmlType.Q3_K || type == GgmlType.Q5_K || type == GgmlType.IQ4_XS) return 2 * lanes;
        return lanes;
    }

    /** Whether a matrix of this type and row count multiplies int8 activations (it has whole row groups). */
    public static boolean int8Activations(GgmlType type, long rows) {
        return int8Activations(type) && int8GroupRows(type) > 0 && rows >= int8GroupRows(type);
    }

    /** Loaded only when the module is present. */
    private static final class Probe {
        static int preferredBits() {
            return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        }
    }

    public static String describe() {
        if (!AVAILABLE) return "scalar (jdk.incubator.vector not present)";
        if (!ENABLED) return "scalar (Vector API disabled, preferred width " + preferredBits() + " bits)";
        return "Vector API, " + preferredBits() + "-bit";
    }
}
