package io.jlama.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Lane decoding shared by the Q5_0 and Q5_1 vector kernels, in int lanes (the fifth bit of element e is bit e of
 * qh, a per-lane rotate away). Loaded only with the Vector API module.
 */
final class Q5 {
    private Q5() {
    }

    private static final int L = SimdShapes.L;
    /** ROTATE[e] rotates bit e of qh right into bit 4. */
    private static final int[] ROTATE = new int[32];
    private static final int[] BYTE_SHIFT = {0, 8, 16, 24};

    static {
        for (int e = 0; e < 32; e++) ROTATE[e] = (e - 4) & 31;
    }

    /**
     * L quant bytes at {@code off}, zero-extended to int lanes. With 4 lanes a byte vector would be 8 lanes wide and
     * need two conversion parts; then the 4 bytes are read as one int and shifted apart instead, which keeps the Q5
     * loop body small enough for C2 to inline (see {@link SimdShapes}).
     */
    static IntVector bytes(MemorySegment data, long off) {
        if (L == 4) {
            return IntVector.broadcast(SimdShapes.I, data.get(Tensor.I32_LE, off))
                    .lanewise(VectorOperators.LSHR, IntVector.fromArray(SimdShapes.I, BYTE_SHIFT, 0)).and(0xFF);
        }
        ByteVector q = ByteVector.fromMemorySegment(SimdShapes.B, data, off, ByteOrder.LITTLE_ENDIAN);
        return SimdShapes.bytesToInts(q, 0).and(0xFF);
    }

    /** The fifth bits (0 or 16) of block elements {@code e0 .. e0+L}; {@code qh} is broadcast in every lane. */
    static IntVector fifthBits(IntVector qh, int e0) {
        return qh.lanewise(VectorOperators.ROR, IntVector.fromArray(SimdShapes.I, ROTATE, e0)).and(0x10);
    }
}
