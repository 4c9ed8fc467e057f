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
     * llama.cpp does (Q4_0 with the vector kernels and repacking on); batches then use the same rounded activations.
     * Results then follow llama.cpp's quantized arithmetic rather than an exact pass over the dequantized weights.
     */
    public static boolean int8Activations(GgmlType type) {
        return (type == GgmlType.Q4_0 || type == GgmlType.Q4_K || type == GgmlType.Q6_K) && Tensor.REPACK_PAIRS;
    }

    /**
     * Rows per row group of a type's int8 kernel: one per float lane, but for Q4_0 and Q4_K 16 at 8 lanes too, where
     * the kernel walks a group as two halves that share the activation broadcasts (decoding at 8 lanes, same-hour
     * A/B: Q4_K_M 29-31 -> 35-36 tok/s, Q4_0 27-29 -> 34-37); 0 when the vector kernels are off. (Q6_K's kernel holds 8 accumulators already: two
     * halves would not fit AVX2's 16 registers.)
     */
    static int int8GroupRows(GgmlType type) {
        int lanes = floatLanes();
        return lanes == 8 && (type == GgmlType.Q4_0 || type == GgmlType.Q4_K) ? 16 : lanes;
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
