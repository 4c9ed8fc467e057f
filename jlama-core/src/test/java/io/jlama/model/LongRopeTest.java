package io.jlama.model;

import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufTensor;
import io.jlama.gguf.GgufWriter;
import io.jlama.parallel.WorkerPool;
import io.jlama.tensor.GgmlType;
import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Phi-3 LongRoPE (128k Phi-3 files): {@code rope_factors_short.weight} / {@code rope_factors_long.weight} divide each
 * pair's angle like a {@code rope_freqs} tensor, the long set is used when the session's context exceeds
 * {@code rope.scaling.original_context_length} (llama.cpp's {@code get_rope_factors} compares {@code n_ctx_seq}), and
 * {@code rope.scaling.attn_factor} scales cos and sin. The files are made from reference/arch/phi3 in target/.
 *
 * <p>No shared reference carries LongRoPE, so the numbers were checked by hand against llama.cpp on these very files
 * ({@code llamacpp-logits -c 256} (short) and {@code -c 1024} (long) on {@link #write}'s output with seq48): see the
 * closing note of issue 7. Here: with factors of 1 and attn_factor 1 the model is plain phi3 and must give llama.cpp's
 * reference logits; a short session must equal the same file whose long factors are the short ones, and a long
 * session the file whose short factors are the long ones (the selection, not the arithmetic, is what differs).
 */
class LongRopeTest {
    static final int ORIG_CTX = 512;

    static float[] factors(float step) {
        float[] f = new float[16]; // phi3's rope.dimension_count 32 -> 16 pairs
        for (int i = 0; i < f.length; i++) f[i] = 1f + step * i;
        return f;
    }

    /** phi3-f32 with LongRoPE factors and keys added. */
    static Path write(String name, float[] shortF, float[] longF, float attnFactor) throws IOException {
        Path out = SharedData.scratch("longrope").resolve(name + ".gguf");
        try (GgufFile f = GgufFile.open(SharedData.require("reference/arch/phi3/phi3-f32.gguf"))) {
            GgufWriter w = new GgufWriter().putAll(f);
            w.putFloat32("phi3.rope.scaling.attn_factor", attnFactor);
            w.putUInt32("phi3.rope.scaling.original_context_length", ORIG_CTX);
            for (GgufTensor t : f.tensors().values()) w.addTensor(t.name(), t.type(), t.ne(), t.data());
            w.addTensor("rope_factors_long.weight", GgmlType.F32, new long[] {longF.length}, MemorySegment.ofArray(longF.clone()));
            w.addTensor("rope_factors_short.weight", GgmlType.F32, new long[] {shortF.length}, MemorySegment.ofArray(shortF.clone()));
            w.write(out);
        }
        return out;
    }

    static float[] logits(Path gguf, int[] tokens, int context) {
        try (GgufFile f = GgufFile.open(gguf); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.read(f, Architecture.of(f));
            Transformer tr = new Transformer(c, new Weights(f, c));
            Transformer.State s = tr.newState(context, tokens.length, 2);
            float[] out = new float[tokens.length * c.vocabSize()];
            tr.forward(s, pool, tokens, 0, tokens.length, out, true);
            return out;
        }
    }

    static int[] seq48() {
        return Stories260KTest.ints(Stories260KTest.read(SharedData.require("reference/arch/phi3/index.json")).get("sequences").get("seq48").get("tokens"));
    }

    @Test
    void unitFactorsArePlainPhi3() throws IOException {
        Path p = write("unit", factors(0f), factors(0f), 1f);
        float[] llama = SharedData.readF32(SharedData.require("reference/arch/phi3/f32.seq48.logits.f32"));
        for (int ctx : new int[] {ORIG_CTX, 4 * ORIG_CTX}) {
            float d = ReferenceModels.maxAbsDiff(logits(p, seq48(), ctx), llama);
            assertTrue(d <= 1e-4f, "context " + ctx + ": max |jlama - llama.cpp| = " + d);
        }
    }

    @Test
    void theSessionContextChoosesTheFactors() throws IOException {
        float[] s = factors(0.05f), l = factors(0.9f);
        Path both = write("both", s, l, 1.19f), shortOnly = write("short-short", s, s, 1.19f), longOnly = write("long-long", l, l, 1.19f);
        int[] tokens = seq48();
        // equal up to run-to-run noise (measured <= 5e-6, also with 1 thread: the first run in a JVM differs from later
        // ones in the last bits, as the JIT replaces interpreted Math/Vector code); the factor sets differ by > 0.01
        float[] shortRun = logits(both, tokens, ORIG_CTX), longRun = logits(both, tokens, ORIG_CTX + 1);
        float ds = ReferenceModels.maxAbsDiff(shortRun, logits(shortOnly, tokens, ORIG_CTX));
        assertTrue(ds <= 1e-5f, "a session of the original context uses the short factors: " + ds);
        float dl = ReferenceModels.maxAbsDiff(longRun, logits(longOnly, tokens, ORIG_CTX + 1));
        assertTrue(dl <= 1e-5f, "a longer session uses the long factors: " + dl);
        float[] plain = SharedData.readF32(SharedData.require("reference/arch/phi3/f32.seq48.logits.f32"));
        assertTrue(ReferenceModels.maxAbsDiff(shortRun, longRun) > 0.01f, "the two factor sets must matter");
        assertTrue(ReferenceModels.maxAbsDiff(shortRun, plain) > 0.01f, "attn_factor and the factors must matter");
    }
}
