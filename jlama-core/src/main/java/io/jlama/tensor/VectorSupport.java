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
