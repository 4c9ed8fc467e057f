package io.jlama.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlama.tensor.GgmlType;
import io.jlama.tensor.VectorSupport;
import io.jlama.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Llama-architecture models of reference/arch (random weights, made and run by llama.cpp): logits at every
 * position of seq16 and seq48 against llama.cpp with an F32 KV cache.
 *
 * <ul>
 * <li>F32 files: within 1e-4 absolute (llama.cpp's own batch-vs-incremental noise is 1e-5; logits have std ~3).</li>
 * <li>Q8_0/Q4_0 and Q4_K_M files (Q4_K_M mixes types per tensor: Q4_K, Q6_K and F32 in llama3; Q5_0, Q8_0 and F32
 * in llama-spm, whose 128-wide rows fall back from the K-quants): jlama computes exactly on the dequantized weights,
 * so it is held to 1e-4 against llama.cpp run on the same file converted to F32 ({@code *-dequant-f32}), and loosely
 * (|d| < 0.6, argmax equal where llama.cpp's margin exceeds 0.6) against llama.cpp's quantized run, which rounds
 * activations to Q8_0 or Q8_K (the README measures 0.12-0.45 between the two).</li>
 * <li>F16 files (full vocabularies): llama.cpp rounds activations to F16 before each F16 product, jlama does not;
 * the difference is bounded by 2e-2 (measured 1e-3 .. 5e-3), and the argmax must agree where the margin exceeds 0.05.</li>
 * <li>GELU models (gpt2, gemma2, gemma3): ggml's CPU GELU rounds its F32 input to f16 and reads an f16 table;
 * jlama does the same ({@link io.jlama.ops.Activations#gelu(float)}), which brings the difference from 2.8e-3 .. 4.6e-3
 * (tanh formula) down to at most 1.6e-3, but not to 1e-4: a pre-GELU value within an ulp or two of an f16
 * rounding boundary (about 1 in 5000 values here) rounds to the neighbouring f16 whenever the two engines' float
 * sums differ in the last bit, and one such element moves the logits by up to ~1e-3 (measured: nudging every
 * GELU input by one ulp moves gemma3's position-0 logits from 1.1e-3 to 3e-6 of llama.cpp, while positions
 * without such an element already agree to ~3e-6). Reaching 1e-4 would need ggml's exact matmul summation
 * order. These models are held to {@value #GELU_BOUND_F32} on F32 files (measured up to 1.6e-3; the plain tanh formula
 * would fail every one of them) and {@value #GELU_BOUND_DEQUANT} against dequant-f32 (measured up to 2.4e-3), with
 * the same quantized-run and greedy checks as the others.</li>
 * <li>Mixture of experts (mixtral = llama with experts, qwen3moe): the same bounds, except that the loose check
 * against llama.cpp's quantized run skips positions where llama.cpp's activation rounding flips an expert choice
 * ({@link #assertMoeQuantizedClose}); this includes the {@code mxfp4_moe} variants (experts in MXFP4, the rest Q8_0).</li>
 * <li>gpt-oss: experts with biases and SwiGLU-OAI, softmax over the chosen experts' logits, attention sinks,
 * q/k/v/o biases, sliding window on even layers and YaRN RoPE; held to the same bounds as the other MoE models.</li>
 * </ul>
 */
class ArchReferenceTest { // llama (+ Mixtral experts), qwen2, qwen3, qwen3moe, phi3, gpt2, gemma2, gemma3, gpt-oss

    /** Bound for models with a GELU feed-forward (see the class comment). */
    static final float GELU_BOUND_F32 = 2e-3f, GELU_BOUND_DEQUANT = 4e-3f;

    static boolean gelu(String model) {
        return model.startsWith("gpt2") || model.startsWith("gemma");
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String model : List.of("llama-spm", "llama3", "llama-spm-fullvocab", "qwen2", "qwen3", "qwen2-fullvocab", "phi3", "gpt2", "gpt2-fullvocab", "gemma2", "gemma3", "mixtral", "qwen3moe", "gpt-oss")) {
            JsonNode idx = Stories260KTest.read(SharedData.require("reference/arch/" + model + "/index.json"));
            for (JsonNode v : idx.get("variants")) {
                String variant = v.get("variant").asText();
                for (String seq : List.of("seq16", "seq48")) {
                    Path logits = SharedData.root().resolve("reference/arch/" + model + "/" + variant + "." + seq + ".logits.f32");
                    if (!logits.toFile().exists() && seq.equals("seq48") && model.endsWith("fullvocab")) continue; // documented: seq16 only
                    out.add(Arguments.of(model, variant, v.get("file").asText(), seq, Stories260KTest.ints(idx.get("sequences").get(seq).get("tokens"))));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {3}")
    @MethodSource("cases")
    void logitsMatchLlamaCpp(String model, String variant, String file, String seq, int[] tokens) {
        Path dir = SharedData.require("reference/arch/" + model);
        float[] ours = ReferenceModels.allLogits(dir.resolve(file), tokens, 512, 2);
        float[] llama = SharedData.readF32(SharedData.require("reference/arch/" + model + "/" + variant + "." + seq + ".logits.f32"));
        int vocab = ours.length / tokens.length;
        if (llama.length < ours.length) { // qwen2-fullvocab keeps only the last positions (index.json: logits_positions)
            ours = java.util.Arrays.copyOfRange(ours, ours.length - llama.length, ours.length);
        }
        System.out.printf("ARCH %s %s %s max|d| vs llama.cpp %.3g, top-1 agree %d/%d%n", model, variant, seq,
                ReferenceModels.maxAbsDiff(ours, llama), top1Agree(ours, llama, vocab), llama.length / vocab);
        if (variant.equals("f16-q4_0embd")) {
            // F16 matrices and a Q4_0 tied embedding as the output projection: llama.cpp rounds the activations to
            // F16 and, for the output, to Q8_0 blocks; measured 0.087, bounded at 0.25 (the Q8_0 rounding alone moves
            // the dense models' logits by 0.12-0.45) with the argmax equal wherever llama.cpp's margin exceeds that.
            float d = ReferenceModels.maxAbsDiff(ours, llama);
            assertTrue(d <= 0.25f, "max |jlama - llama.cpp| = " + d);
            assertArgmaxAgrees(ours, llama, vocab, 0.25f);
            return;
        }
        switch (variant) {
            case "f32" -> {
                float d = ReferenceModels.maxAbsDiff(ours, llama);
                assertTrue(d <= (gelu(model) ? GELU_BOUND_F32 : 1e-4f), "max |jlama - llama.cpp| = " + d);
            }
            case "f16" -> {
                float d = ReferenceModels.maxAbsDiff(ours, llama);
                assertTrue(d <= 2e-2f, "max |jlama - llama.cpp| = " + d);
                assertArgmaxAgrees(ours, llama, vocab, 0.05f);
            }
            default -> {
                Int8Use int8 = int8Use(dir.resolve(file));
                if (int8 == Int8Use.ALL) {
                    assertInt8RunClose(model, variant, seq, ours, llama, vocab);
                    return;
                }
                float[] exact = SharedData.readF32(SharedData.require("reference/arch/" + model + "/" + variant + "-dequant-f32." + seq + ".logits.f32"));
                float d = ReferenceModels.maxAbsDiff(ours, exact);
                System.out.printf("ARCH %s %s %s max|d| vs llama.cpp dequant-f32 %.3g, top-1 agree %d/%d%s%n", model, variant, seq, d,
                        top1Agree(ours, exact, vocab), exact.length / vocab, int8 == Int8Use.SOME ? " (some int8 products)" : "");
                // with some products on int8 activations (as llama.cpp) and others exact (unlike llama.cpp, which
                // rounds the activations of every quantized type) neither tight reference applies: the loose check only
                if (int8 == Int8Use.NONE) assertTrue(d <= (gelu(model) ? GELU_BOUND_DEQUANT : 1e-4f), "max |jlama - llama.cpp on dequantized weights| = " + d);
                if (moe(model)) {
                    assertMoeQuantizedClose(model, variant, seq, ours, llama, exact, vocab);
                    return;
                }
                float dq = ReferenceModels.maxAbsDiff(ours, llama);
                assertTrue(dq < 0.6f, "max |jlama - llama.cpp quantized| = " + dq);
                assertArgmaxAgrees(ours, llama, vocab, 0.6f);
            }
        }
    }

    /** Whether none, some or all of a file's quantized matrix products run on int8 activations. */
    enum Int8Use { NONE, SOME, ALL }

    /**
     * {@link Int8Use} of a file: over its quantized matrices ({@code token_embd} only when it is the tied output),
     * those that multiply int8 activations ({@link VectorSupport#int8Activations(GgmlType, long)}).
     */
    static Int8Use int8Use(Path gguf) {
        try (io.jlama.gguf.GgufFile f = io.jlama.gguf.GgufFile.open(gguf)) {
            boolean any = false, all = true, tied = f.tensor("output.weight") == null;
            for (io.jlama.gguf.GgufTensor t : f.tensors().values()) {
                if (!t.type().isQuantized() || t.ne().length < 2 || (t.name().equals("token_embd.weight") && !tied)) continue;
                boolean int8 = VectorSupport.int8Activations(t.type(), t.rows());
                any |= int8;
                all &= int8;
            }
            return all && any ? Int8Use.ALL : any ? Int8Use.SOME : Int8Use.NONE;
        }
    }

    /**
     * Files whose quantized products all run on int8 activations (Q4_0; Q4_K_M where every matrix is Q4_K or Q6_K)
     * compute what llama.cpp's quantized run computes: the same Q8_0 / Q8_K activation bytes and the same integer
     * block sums, so logits agree to float rounding (measured 1e-6 .. 2e-6) until an activation
     * lands within rounding of a Q8_0 rounding boundary in one engine and not the other, which moves that position
     * and often later ones by up to ~0.15. Where that happens depends on the float summation order, hence on the
     * vector width (16 lanes: 15 of 22 runs agree at every position, the worst at 20 of 48; 4 lanes: one run flips
     * at position 0 and agrees at 3 of 16, gpt2's seq16 flips at position 0 and agrees nowhere, while every seq48 run
     * agrees at 20 or more of 48 at 16, 8 and 4 lanes). So: on seq48 at least one position within 1e-4 (f32
     * activations differ from llama.cpp's quantized run by 0.05-0.45 everywhere, so another arithmetic cannot pass),
     * and everywhere the
     * bounds of the loose check (|d| < 0.6, the argmax wherever llama.cpp's margin exceeds 0.6), MoE models
     * included: the same rounding means the same expert choices (no flip allowance needed).
     */
    static void assertInt8RunClose(String model, String variant, String seq, float[] ours, float[] llama, int vocab) {
        int positions = llama.length / vocab, close = 0;
        for (int p = 0; p < positions; p++) {
            float m = 0;
            for (int i = 0; i < vocab; i++) m = Math.max(m, Math.abs(ours[p * vocab + i] - llama[p * vocab + i]));
            if (m <= 1e-4f) close++;
        }
        System.out.printf("ARCH %s %s %s int8 activations: %d/%d positions within 1e-4 of llama.cpp's quantized run%n", model, variant, seq, close, positions);
        if (seq.equals("seq48")) assertTrue(close >= 1, "no position within 1e-4 of llama.cpp's quantized run");
        float dq = ReferenceModels.maxAbsDiff(ours, llama);
        assertTrue(dq < 0.6f, "max |jlama - llama.cpp quantized| = " + dq);
        assertArgmaxAgrees(ours, llama, vocab, 0.6f);
    }

    /**
     * The 24-token greedy continuation of the F32 files equals llama.cpp's (prompt in one batch, then one token per
     * step), up to the first step where llama.cpp's own top-1/top-2 margin is below 1e-3, where float rounding may
     * legitimately pick the other token.
     */
    @ParameterizedTest(name = "{0} {1} {3}")
    @MethodSource("cases")
    void f32GreedyContinuationMatches(String model, String variant, String file, String seq, int[] tokens) {
        if (!variant.equals("f32")) return;
        JsonNode idx = Stories260KTest.read(SharedData.require("reference/arch/" + model + "/index.json"));
        JsonNode greedy = idx.get("variants").get(0).get("results").get(seq).get("greedy");
        int[] expected = Stories260KTest.ints(greedy.get("generated_tokens"));
        JsonNode margins = greedy.get("top1_top2_margin");
        int[] ours = ReferenceModels.greedy(SharedData.require("reference/arch/" + model + "/" + file), tokens, expected.length, 2);
        for (int i = 0; i < expected.length; i++) {
            if (margins.get(i).asDouble() < 1e-3) break;
            assertTrue(expected[i] == ours[i], "step " + i + ": llama.cpp " + expected[i] + ", jlama " + ours[i]);
        }
    }

    static boolean moe(String model) {
        return model.equals("mixtral") || model.equals("qwen3moe") || model.equals("gpt-oss");
    }

    /**
     * The loose check against llama.cpp's quantized run, for mixture-of-experts models. llama.cpp rounds activations
     * to Q8_0/Q8_K, and in a MoE model that rounding can flip which expert the router picks at a position: its own
     * quantized run then departs from its dequant-f32 run by far more than the 0.6 of the dense models (README:
     * up to 4.2; here mixtral q4_0 seq48 4.20, qwen3moe q8_0 seq48 1.37), and jlama, exact on the dequantized
     * weights, follows the dequant-f32 run. So positions where llama.cpp's quantized and dequant-f32 logits
     * themselves differ by 0.6 or more are excluded (their count is printed; jlama is already held to 1e-4 against
     * dequant-f32 there, unless some of its products take int8 activations); every other position must be within 0.6
     * of the quantized run with the same argmax where llama.cpp's margin exceeds 0.6. At most a quarter of the
     * positions may be excluded.
     */
    static void assertMoeQuantizedClose(String model, String variant, String seq, float[] ours, float[] llama, float[] exact, int vocab) {
        int positions = llama.length / vocab, skipped = 0;
        float dq = 0;
        for (int p = 0; p < positions; p++) {
            float own = 0, d = 0;
            for (int i = p * vocab; i < (p + 1) * vocab; i++) {
                own = Math.max(own, Math.abs(llama[i] - exact[i]));
                d = Math.max(d, Math.abs(ours[i] - llama[i]));
            }
            if (own >= 0.6f) {
                skipped++;
                continue;
            }
            dq = Math.max(dq, d);
            assertTrue(d < 0.6f, "position " + p + ": max |jlama - llama.cpp quantized| = " + d);
            float[] o = java.util.Arrays.copyOfRange(ours, p * vocab, (p + 1) * vocab), r = java.util.Arrays.copyOfRange(llama, p * vocab, (p + 1) * vocab);
            assertArgmaxAgrees(o, r, vocab, 0.6f);
        }
        System.out.printf("ARCH %s %s %s max|d| vs llama.cpp quantized %.3g outside %d expert-flip positions%n", model, variant, seq, dq, skipped);
        assertTrue(skipped * 4 <= positions, skipped + " of " + positions + " positions differ by >= 0.6 between llama.cpp's quantized and dequant-f32 runs");
    }

    /**
     * Sliding-window layers keep only a ring of window + batch positions. Fed one token at a time (a ring of 9 slots
     * for a window of 8), seq48 wraps each ring five times; the logits must still be llama.cpp's, at the same bound
     * as the batched run of the same F32 file.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"gemma2", "gemma3", "gpt-oss"})
    void slidingWindowRingMatchesLlamaCpp(String model) {
        JsonNode idx = Stories260KTest.read(SharedData.require("reference/arch/" + model + "/index.json"));
        int[] tokens = Stories260KTest.ints(idx.get("sequences").get("seq48").get("tokens"));
        Path file = SharedData.require("reference/arch/" + model + "/" + model + "-f32.gguf");
        float[] ours = ReferenceModels.allLogitsIncremental(file, tokens, 2);
        float[] llama = SharedData.readF32(SharedData.require("reference/arch/" + model + "/f32.seq48.logits.f32"));
        float d = ReferenceModels.maxAbsDiff(ours, llama);
        float bound = model.startsWith("gemma") ? 2e-3f : 1e-4f; // GELU models: see the class comment
        assertTrue(d <= bound, "max |jlama - llama.cpp| with ring KV = " + d);
        try (io.jlama.gguf.GgufFile f = io.jlama.gguf.GgufFile.open(file)) {
            ModelConfig c = ModelConfig.read(f, Architecture.of(f));
            KvCache ring = new KvCache(c, 4096, KvCache.Type.F32, 1), full = new KvCache(c, 4096, KvCache.Type.F32, 4096);
            assertTrue(ring.bytes() < full.bytes(), "ring " + ring.bytes() + " vs full " + full.bytes());
        }
    }

    static int top1Agree(float[] ours, float[] ref, int vocab) {
        int agree = 0;
        for (int p = 0; p < ref.length / vocab; p++) {
            if (Stories260KTest.argmax(ref, p * vocab, vocab) == Stories260KTest.argmax(ours, p * vocab, vocab)) agree++;
        }
        return agree;
    }

    static void assertArgmaxAgrees(float[] ours, float[] ref, int vocab, float margin) {
        for (int p = 0; p < ref.length / vocab; p++) {
            int a = Stories260KTest.argmax(ref, p * vocab, vocab), b = Stories260KTest.argmax(ours, p * vocab, vocab);
            float top1 = ref[p * vocab + a], top2 = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) if (i != a) top2 = Math.max(top2, ref[p * vocab + i]);
            if (top1 - top2 > margin) assertTrue(a == b, "position " + p + ": llama.cpp argmax " + a + ", jlama " + b);
        }
    }
}
