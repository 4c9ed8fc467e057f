package io.jlama.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The vector species shared by the weight-type kernels, and the small lane conversions they are built from.
 * Only the {@code Simd} classes of the tensor types touch this class, so it is loaded only with the Vector API module.
 *
 * <p>Everything is sized from the float species {@link #F} ({@link #L} lanes): the integer species hold the same
 * number of lanes, so that a widening conversion maps lane i to lane i. A byte vector cannot be narrower than
 * 64 bits, so for 4 float lanes (128-bit vectors) the byte species holds 8 lanes and is converted in {@link #PARTS}
 * = 2 parts. All block sizes here (32 elements, 16 bytes of nibbles) are multiples of {@link #BL}.
 *
 * <p>How the kernels are written, because C2 only turns Vector API calls into vector instructions under conditions
 * that are easy to break (each of these was measured to cost 5-15x on some vector width):
 * <ul>
 * <li>The {@code part} of a conversion is a literal ({@code if (PARTS == 2)} with a second literal call), never a
 * loop variable: the intrinsic needs it as a constant while parsing.</li>
 * <li>A kernel's row loop is one method. Helpers that take or return vectors are the small lane conversions here and
 * in {@link Q5}; a larger helper (a "block dot" with its loop, 100+ bytecodes) that C2 happened to compile on its own
 * first was then refused for inlining ("already compiled into a big method"), and every vector crossing the call was
 * boxed.</li>
 * <li>The loop body handles one block and stays small: unrolling blocks by hand, or the two-part conversions of
 * 4-lane vectors in the heavier Q5 decoding, ran into C2's inlining node budget (NodeCountInliningCutoff). Q5 reads
 * its bytes through {@link #unsignedBytes}, which has no parts.</li>
 * <li>Plain scalar helpers count too: in the K-quant kernels (several hundred bytecodes) C2 refused to inline even a
 * 12-byte scale getter (NodeCountInliningCutoff) and {@link #unsignedBytes} ("callee is too large"), and the real
 * calls left in the loop (which spill every vector register) cost 2-2.5x. Those kernels extract scales with inline
 * shifts and write the 4-lane byte read out inline; only the Vector API's own methods (force-inlined) are called.</li>
 * <li>Per-block scalar float work is not free beside the vector work: int-to-float conversions, products and
 * broadcasts run on the same ports as the FMAs. In the K-quant pair kernels (8 or 16 scales per row and block) it was
 * about as many operations as the quant products themselves; unpacking the scale bytes as one vector, converting and
 * multiplying by d in lanes, and storing them to a small float[] to broadcast from memory was measured 15-25% faster
 * (Q4_K, Q6_K matvec, 16 lanes). Splitting that scalar work into a separate pre-pass over the row was 20% slower:
 * it then no longer overlaps with the vector work.</li>
 * <li>A short inner loop over vectors of one block (4 steps of 8 bytes at 8 lanes) is not unrolled by C2, and the
 * bounds-check setup it redoes on each entry can cost more than the FMAs (Q4_K at 8 lanes: 30%). Read a block's
 * bytes with a few wide loads instead: 32 quant bytes as 8 int lanes, with byte j of every lane shifted out and x
 * reordered to match ({@link #byteLaneOrder}), made Q4_K matvec at 8 lanes 1.4-1.6x and Q6_K 1.3-1.4x as fast. A
 * 16-byte load converted in two parts costs a byte shuffle for part 1 (Q4_K: 11% slower than the int lanes), and
 * one 8-byte load per vector a bounds check each (slower still).</li>
 * <li>Why types with the same block shape keep their own kernels (IQ4_NL and MXFP4, Q4_K and Q5_K ...): one shared
 * kernel with the grid, index offset and scale kind as fields (a per-block branch between f16 and E8M0 scales) was
 * measured 20-30% slower than the per-type copies, whose constants C2 folds.</li>
 * <li>One vector width per run: with 16 lanes preferred, running one kernel on 256-bit vectors (Q6_K's 8-lane pair
 * kernel, faster on its own in JMH) made whole decodes bimodal: in some JVM runs C2 compiled the big Q4_K and Q6_K
 * kernels with Vector API calls left as real calls ("no static binding", "callee is too large" for VectorSupport.load)
 * and their vectors boxed (gigabytes allocated per second), and Q4_K_M decoding fell from 18 to 6-8 tok/s; with each
 * width's own kernels it stays at 16-19 tok/s in every run (measured over 4-8 runs each). So 8-lane kernels run
 * only when 8 lanes are preferred, and a kernel grown past ~2 KB of bytecode (Q4_K's pair kernel with its groups
 * written out) was reverted for the same reason.</li>
 * </ul>
 */
final class SimdShapes {
    private SimdShapes() {
    }

    /** The float species: the preferred one, capped at 512 bits (16 lanes) so that one 32-block holds whole vectors. */
    static final VectorSpecies<Float> F = floatSpecies();
    /** Float lanes per vector: 4, 8 or 16. */
    static final int L = F.length();
    /** Byte species: L lanes, but at least 8 (64 bits, the narrowest vector shape). */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    /** Byte lanes per byte vector. */
    static final int BL = B.length();
    /** Float vectors per byte vector. */
    static final int PARTS = BL / L;
    /** Short and int species with L lanes. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(L * 32));
    /** Short species as wide as F: 2L lanes. */
    static final VectorSpecies<Short> S2 = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 32));

    private static VectorSpecies<Float> floatSpecies() {
        VectorSpecies<Float> p = FloatVector.SPECIES_PREFERRED;
        int bits = Math.min(512, p.vectorBitSize());
        bits = Integer.highestOneBit(bits); // 128, 256 or 512 (guards against odd SVE widths)
        return bits == p.vectorBitSize() ? p : VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    /** Right shifts that move byte i of an int to the bottom of lane i (4 lanes). */
    static final int[] BYTE_SHIFT = {0, 8, 16, 24};

    /**
     * L quant bytes at {@code off}, zero-extended to int lanes. With 4 lanes a byte vector would be 8 lanes wide and
     * need two conversion parts; then the 4 bytes are read as one int and shifted apart instead, which keeps the
     * loop bodies small enough for C2 to inline (see above). Never reads past {@code off + L}.
     */
    static IntVector unsignedBytes(MemorySegment data, long off) {
        if (L == 4) {
            return IntVector.broadcast(I, data.get(Tensor.I32_LE, off))
                    .lanewise(VectorOperators.LSHR, IntVector.fromArray(I, BYTE_SHIFT, 0)).and(0xFF);
        }
        ByteVector q = ByteVector.fromMemorySegment(B, data, off, ByteOrder.LITTLE_ENDIAN);
        return bytesToInts(q, 0).and(0xFF);
    }

    /**
     * {@code dst[k] = sum(x[xOff + k*size .. + size))} for {@code k < n}: the per-sub-block sums of the activations
     * that the K-quant kernels fold their offsets (mins) into. size is a multiple of L.
     */
    static void blockSums(float[] x, int xOff, int n, int size, float[] dst) {
        for (int k = 0, xi = xOff; k < n; k++, xi += size) {
            FloatVector s = FloatVector.fromArray(F, x, xi);
            for (int c = L; c < size; c += L) s = s.add(FloatVector.fromArray(F, x, xi + c));
            dst[k] = s.reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * {@code dst[32m + 8j + i] = x[xOff + 32m + 4i + j]} for each run m of 32 ({@code n} a multiple of 32): x in the
     * order in which a kernel that reads 32 quant bytes as 8 int lanes (lane i: bytes 4i .. 4i+3) takes byte j of
     * every lane, so that the products with x stay plain lane-wise FMAs.
     */
    static void byteLaneOrder(float[] x, int xOff, int n, float[] dst) {
        for (int m = 0; m < n; m += 32) {
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < 4; j++) dst[m + 8 * j + i] = x[xOff + m + 4 * i + j];
            }
        }
    }

    private static final ThreadLocal<float[][]> SUMS = ThreadLocal.withInitial(() -> new float[1][0]);

    /** The calling thread's scratch array of at least n floats, for {@link #blockSums}; grown, never shrunk. */
    static float[] sumsBuffer(int n) {
        float[][] holder = SUMS.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }

    private static final ThreadLocal<float[][]> SCALES = ThreadLocal.withInitial(() -> new float[1][0]);

    /** The calling thread's scratch array of at least n floats for unpacked block scales; grown, never shrunk. */
    static float[] scalesBuffer(int n) {
        float[][] holder = SCALES.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }

    private static final ThreadLocal<float[][]> XP = ThreadLocal.withInitial(() -> new float[1][0]);

    /** The calling thread's scratch array of at least n floats for a reordered copy of x; grown, never shrunk. */
    static float[] orderedBuffer(int n) {
        float[][] holder = XP.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }

    /** The low 4 bits of each byte (the first 16 elements of a 32-block of nibbles). */
    static ByteVector lowNibbles(ByteVector q) {
        return q.and((byte) 0x0F);
    }

    /** The high 4 bits of each byte, as 0..15 (the last 16 elements of a 32-block of nibbles). */
    static ByteVector highNibbles(ByteVector q) {
        return q.lanewise(VectorOperators.LSHR, 4); // LSHR on bytes shifts the unsigned 8 bits
    }

    /** Lanes {@code [part*L, part*L + L)} of a byte vector, sign-extended to floats. */
    static FloatVector bytesToFloats(ByteVector b, int part) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, F, part);
    }

    /** Lanes {@code [part*L, part*L + L)} of a byte vector, sign-extended to ints. */
    static IntVector bytesToInts(ByteVector b, int part) {
        return (IntVector) b.convertShape(VectorOperators.B2I, I, part);
    }

    static FloatVector intsToFloats(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /** bf16 is the upper half of an f32: widen and shift into place. */
    static FloatVector bf16ToFloats(ShortVector h) {
        IntVector i = (IntVector) h.convertShape(VectorOperators.S2I, I, 0); // sign extension is shifted out
        return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static final float TWO_POW_112 = 0x1p112f;

    /**
     * Exact f16 to f32 on lanes (JDK 25's Vector API has no half-float conversion), in 7 lane operations: the f16
     * exponent and mantissa moved up 13 bits, with the sign at the top, read as an f32 are the value times 2^-112,
     * for normals and subnormals alike (an f16 subnormal lands on an f32 subnormal with the same bits), so one exact
     * multiplication by 2^112 finishes the conversion. Inf/NaN (f16 exponent 31) get the f32 all-ones exponent first,
     * which the multiplication keeps (a signaling NaN is not made quiet, unlike {@link Float#float16ToFloat}; only
     * NaN-ness matters in a dot product).
     */
    static FloatVector f16ToFloats(ShortVector h) {
        IntVector v = ((IntVector) h.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13); // sign-extended: bit 31 is the sign
        IntVector mag = v.and(0x0FFFE000);
        v = v.and(0x8FFFE000).lanewise(VectorOperators.OR, 0x7F800000, mag.compare(VectorOperators.GE, 0x0F800000));
        return v.reinterpretAsFloats().mul(TWO_POW_112);
    }
}
