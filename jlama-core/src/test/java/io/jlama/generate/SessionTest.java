package io.jlama.generate;

import io.jlama.sampling.SamplerOptions;
import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded API on stories260K: sessions, concurrency, cancellation, context limits. */
class SessionTest {
    static Path model() {
        return SharedData.require("models/tinystories/stories260K.gguf");
    }

    static GenerateOptions seeded(long seed, int n) {
        return GenerateOptions.sampled(n).withSampling(SamplerOptions.defaults().withSeed(seed)).withStopAtEog(false);
    }

    @Test
    void twoSessionsOnTwoThreadsGiveTheSameTokensAsAlone() throws Exception {
        try (LanguageModel m = LanguageModel.load(model(), LoadOptions.defaults().withThreads(2))) {
            int[] aloneA, aloneB;
            try (Session s = m.newSession()) {
                aloneA = s.generate("Once upon a time", seeded(11, 64), null).tokens();
            }
            try (Session s = m.newSession()) {
                aloneB = s.generate("The little dog", seeded(12, 64), null).tokens();
            }
            for (int round = 0; round < 3; round++) {
                CompletableFuture<int[]> a = CompletableFuture.supplyAsync(() -> {
                    try (Session s = m.newSession()) {
                        return s.generate("Once upon a time", seeded(11, 64), null).tokens();
                    }
                });
                CompletableFuture<int[]> b = CompletableFuture.supplyAsync(() -> {
                    try (Session s = m.newSession()) {
                        return s.generate("The little dog", seeded(12, 64), null).tokens();
                    }
                });
                assertArrayEquals(aloneA, a.get());
                assertArrayEquals(aloneB, b.get());
            }
        }
    }

    @Test
    void aSessionContinuesItsKvCache() {
        try (LanguageModel m = LanguageModel.load(model()); Session s = m.newSession()) {
            GenerationResult first = s.generate("Once upon a time", GenerateOptions.greedy(10), null);
            int after = s.position();
            assertEquals(first.promptTokens().length + first.tokens().length - 1, after); // the last token is not fed
            // feeding the same ids into a fresh session gives the same next-token logits
            int[] all = new int[after];
            System.arraycopy(first.promptTokens(), 0, all, 0, first.promptTokens().length);
            System.arraycopy(first.tokens(), 0, all, first.promptTokens().length, after - first.promptTokens().length);
            float[] cont = s.feed(new int[] {first.tokens()[first.tokens().length - 1]}, false).clone();
            try (Session fresh = m.newSession()) {
                fresh.feed(all, false);
                float[] ref = fresh.feed(new int[] {first.tokens()[first.tokens().length - 1]}, false);
                for (int i = 0; i < ref.length; i++) assertEquals(ref[i], cont[i], 1e-4f);
            }
        }
    }

    @Test
    void cancellationFromAnotherThreadStopsGeneration() {
        try (LanguageModel m = LanguageModel.load(model()); Session s = m.newSession()) {
            AtomicInteger seen = new AtomicInteger();
            GenerationResult r = s.generate("Once upon a time", seeded(3, 100_000).withMaxTokens(1000), ev -> {
                if (seen.incrementAndGet() == 5) {
                    Thread t = new Thread(s::cancel);
                    t.start();
                    try {
                        t.join();
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                }
            });
            assertEquals(GenerationResult.StopReason.CANCELLED, r.stopReason());
            assertTrue(r.tokens().length >= 5 && r.tokens().length <= 6, "tokens: " + r.tokens().length);
        }
    }

    @Test
    void aPromptLongerThanTheContextIsAClearError() {
        try (LanguageModel m = LanguageModel.load(model(), LoadOptions.defaults().withContextLength(8)); Session s = m.newSession()) {
            ContextOverflowException e = assertThrows(ContextOverflowException.class,
                    () -> s.generate("Once upon a time there was a little girl named Lily", GenerateOptions.greedy(4), null));
            assertTrue(e.getMessage().contains("context length 8"), e.getMessage());
        }
    }
}
