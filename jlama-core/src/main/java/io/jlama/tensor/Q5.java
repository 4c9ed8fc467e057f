package io.jlama.tensor;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Lane decoding shared by the Q5_0 and Q5_1 vector kernels, in int lanes (the fifth bit of element e is bit e of
 * qh, a per-lane rotate away); the quant bytes are read with {@link SimdShapes#unsignedBytes}. Loaded only with the
 * Vector API module.
 */
final class Q5 {
    private Q5() {
    }

    /** ROTATE[e] rotates bit e of qh right into bit 4. */
    private static final int[] ROTATE = new int[32];

    static {
        for (int e = 0; e < 32; e++) ROTATE[e] = (e - 4) & 31;
    }

    /** The fifth bits (0 or 16) of block elements {@code e0 .. e0+L}; {@code qh} is broadcast in every lane. */
    static IntVector fifthBits(IntVector qh, int e0) {
        return qh.lanewise(VectorOperators.ROR, IntVector.fromArray(SimdShapes.I, ROTATE, e0)).and(0x10);
    }
}
