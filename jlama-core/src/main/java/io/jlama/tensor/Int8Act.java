package io.jlama.tensor;

import java.util.Arrays;

/**
 * A thread's activations for one weight type's int8 row-group kernel: n tokens quantized to int8 blocks
 * ({@link Q8Activations}), and what the kernel reads per token and block: the lane patterns, the activation scale,
 * and a type's own per-block constants. Pattern i of a block is the int8 value at offset {@code patternCols[i]} of
 * the block (low 16 bits: for the even short lanes) and the one 2 further (high 16 bits: odd lanes), broadcast by
 * the kernel as one int: a short lane holds 2 weight bytes of its row, the even lane bytes 4c, 4c+1 and the odd one
 * 4c+2, 4c+3 of a 4-byte step c, so the two lanes of a row need activations 2 apart.
 *
 * <p>Each type keeps one per thread, so that products of different types on the same input (Q4_K and Q6_K in one
 * layer) keep theirs; a token is quantized again only when its values changed, since a product is handed out in
 * chunks of rows, each a call with the same activations.
 */
final class Int8Act {
    /**
     * Per-block sums a type may keep: at most 16 per block (Q4_K and Q5_K: the sums of q over each sub-block of 32;
     * Q3_K: 4 times those over each sub-block of 16).
     */
    static final int SUMS = 16;

    private final Q8Activations.Kind kind;
    /** Per pattern of a block: the offset in the block of the int8 value it carries for the even short lanes. */
    private final int[] patternCols;
    Q8Activations[] tokens = new Q8Activations[0];
    /** Per token and block, {@code patternCols.length} lane patterns, in the order the type's kernel reads them. */
    int[] xp = new int[0];
    /** Per token and block: the activation scale. */
    float[] d = new float[0];
    /** Per token and block: a type's constant (Q4_0: {@code 8 * sum(q) * d}, the -8 offset folded out). */
    float[] c = new float[0];
    /** Per token and block, {@link #SUMS} sums of q a type may use. */
    int[] sums = new int[0];
    /** Blocks per token the arrays are laid out for. */
    int nb = -1;
    /** The kernels' sums carried from one column block to the next ({@link Tensor#int8Group}). */
    private float[] state = new float[0];

    /** A scratch array of at least n floats for the kernels' carried sums. */
    float[] state(int n) {
        if (state.length < n) state = new float[n];
        return state;
    }

    /** For a type whose kernel reads, per block of this kind, the patterns of these offsets. */
    Int8Act(Q8Activations.Kind kind, int[] cols) {
        this.kind = kind;
        this.patternCols = cols;
    }

    /**
     * Quantizes tokens t < n of {@code x[xOff + t*xStride ..]} where they changed, lays out their scales and
     * patterns, and has the tensor add its per-block constants ({@link Tensor#int8Constants}).
     */
    Int8Act prepare(Tensor t, float[] x, int xOff, int xStride, int n, int cols) {
        int nb = cols / kind.block;
        if (tokens.length < n) {
            Q8Activations[] grown = Arrays.copyOf(tokens, n);
            for (int i = tokens.length; i < n; i++) grown[i] = new Q8Activations(kind);
            tokens = grown;
        }
        if (d.length < n * nb) {
            xp = new int[n * nb * patternCols.length];
            d = new float[n * nb];
            c = new float[n * nb];
            sums = new int[n * nb * SUMS];
            this.nb = -1;
        }
        if (this.nb != nb) { // token t's values start at t * nb: another length moves them all
            for (Q8Activations a : tokens) a.invalidate();
            this.nb = nb;
        }
        for (int tok = 0; tok < n; tok++) {
            Q8Activations a = tokens[tok];
            if (!a.quantize(x, xOff + tok * xStride, cols)) continue;
            byte[] q = a.q;
            int p = patternCols.length;
            for (int k = 0, kb = tok * nb, o = kb * p; k < nb; k++, kb++) {
                d[kb] = a.d[k];
                for (int i = 0, at = k * kind.block; i < p; i++, o++) xp[o] = (q[at + patternCols[i]] & 0xFFFF) | (q[at + patternCols[i] + 2] << 16);
            }
            t.int8Constants(this, tok);
        }
        return this;
    }
}
