package io.jlama.sampling;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The draw: chi-square goodness of fit over 100,000 draws at significance 0.001, reproducibility from a seed (across
 * samplers, resets and threads), and no allocation per token.
 */
class SamplerDrawTest {

    private static final int DRAWS = 100_000;

    /** Upper 0.001 critical values of the chi-square distribution, by degrees of freedom (standard tables). */
    private static final double[] CHI2_CRIT_001 = {Double.NaN, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588};

    /** The 0.001 critical value: the table, or the Wilson-Hilferty approximation above 10 degrees of freedom. */
    private static double critical(int df) {
        if (df < CHI2_CRIT_001.length) return CHI2_CRIT_001[df];
        double z = 3.090232; // standard normal 0.999 quantile
        double a = 2.0 / (9 * df);
        return df * Math.pow(1 - a + z * Math.sqrt(a), 3);
    }

    /** Draws DRAWS tokens and checks them against {@code expected} (ids absent from it must never come out). */
    private static void assertFits(Sampler s, float[] logits, Map<Integer, Double> expected) {
        int[] counts = new int[logits.length];
        for (int i = 0; i < DRAWS; i++) counts[s.sample(logits)]++;
        double chi2 = 0;
        for (int id = 0; id < logits.length; id++) {
            Double p = expected.get(id);
            if (p == null) {
                assertEquals(0, counts[id], "token " + id + " was filtered out but drawn");
                continue;
            }
            double e = p * DRAWS;
            chi2 += (counts[id] - e) * (counts[id] - e) / e;
        }
        int df = expected.size() - 1;
        double crit = critical(df);
        System.out.printf("chi2 %.3f, df %d, critical %.3f%n", chi2, df, crit);
        assertTrue(chi2 < crit, "chi2 " + chi2 + " >= " + crit + " (df " + df + ", p = 0.001); counts " + Arrays.toString(counts));
    }

    /** softmax(logits[id] / temp) over the given ids. */
    private static Map<Integer, Double> softmax(float[] logits, int[] ids, double temp) {
        double max = Double.NEGATIVE_INFINITY;
        for (int id : ids) max = Math.max(max, logits[id] / temp);
        double sum = 0;
        for (int id : ids) sum += Math.exp(logits[id] / temp - max);
        java.util.HashMap<Integer, Double> m = new java.util.HashMap<>();
        for (int id : ids) m.put(id, Math.exp(logits[id] / temp - max) / sum);
        return m;
    }

    @Test
    void drawsFollowTheDistribution() {
        double[] p = {0.4, 0.25, 0.15, 0.1, 0.06, 0.04};
        float[] l = new float[p.length];
        for (int i = 0; i < p.length; i++) l[i] = (float) Math.log(p[i]) + 3f; // any shift
        Sampler s = new Sampler(l.length, SamplerOptions.defaults().withoutFilters().withTemperature(1f).withSeed(12345));
        assertFits(s, l, softmax(l, new int[] {0, 1, 2, 3, 4, 5}, 1));
    }

    @Test
    void temperatureRescalesTheTopKSurvivors() {
        float[] l = {2.0f, 1.5f, 1.0f, 0.5f, 0.0f, -0.5f, -1f, 3f};
        Sampler s = new Sampler(l.length, SamplerOptions.defaults().withoutFilters().withTopK(5).withTemperature(0.7f).withSeed(99));
        assertFits(s, l, softmax(l, new int[] {7, 0, 1, 2, 3}, 0.7));
    }

    @Test
    void theDefaultChainDrawsFromItsSurvivors() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] l = new float[1000];
        for (int i = 0; i < l.length; i++) l[i] = (float) (rnd.nextGaussian() * 1.5);
        SamplerOptions o = SamplerOptions.defaults().withSeed(2024);
        Sampler s = new Sampler(l.length, o);
        int[] kept = s.survivors(l);
        assertTrue(kept.length > 5 && kept.length <= 40, "survivors " + kept.length);
        assertFits(s, l, softmax(l, kept, o.temperature()));
    }

    @Test
    void theDefaultChainWithoutTopKDrawsFromItsSurvivors() {
        SplittableRandom rnd = new SplittableRandom(6);
        float[] l = new float[1200]; // > 1024: top-p starts from the best 256
        for (int i = 0; i < l.length; i++) l[i] = (float) rnd.nextGaussian();
        SamplerOptions o = SamplerOptions.defaults().withTopK(0).withSeed(77);
        Sampler s = new Sampler(l.length, o);
        int[] kept = s.survivors(l);
        assertTrue(kept.length > 5, "survivors " + kept.length);
        assertFits(s, l, softmax(l, kept, o.temperature()));
    }

    // ---- reproducibility ------------------------------------------------------------------------------------------

    /** Tokens from a sampler over a fixed sequence of logit vectors (drawn from `stream`). */
    private static int[] run(Sampler s, long stream, int steps) {
        SplittableRandom rnd = new SplittableRandom(stream);
        float[] l = new float[s.vocabSize()];
        int[] out = new int[steps];
        for (int t = 0; t < steps; t++) {
            for (int i = 0; i < l.length; i++) l[i] = (float) (rnd.nextGaussian() * 2);
            out[t] = s.sample(l);
        }
        return out;
    }

    private static final SamplerOptions REPRO = SamplerOptions.defaults().withRepeatPenalty(1.1f).withPresencePenalty(0.2f);

    @Test
    void theSameSeedGivesTheSameTokens() {
        int[] a = run(new Sampler(500, REPRO.withSeed(42)), 1, 2000);
        int[] b = run(new Sampler(500, REPRO.withSeed(42)), 1, 2000);
        assertArrayEquals(a, b);
        Sampler again = new Sampler(500, REPRO.withSeed(42));
        run(again, 9, 100);
        again.reset();
        assertArrayEquals(a, run(again, 1, 2000), "reset replays from the seed");
    }

    @Test
    void differentSeedsGiveDifferentTokens() {
        int[] a = run(new Sampler(500, REPRO.withSeed(42)), 1, 2000);
        int[] b = run(new Sampler(500, REPRO.withSeed(43)), 1, 2000);
        assertFalse(Arrays.equals(a, b));
        int same = 0;
        for (int i = 0; i < a.length; i++) if (a[i] == b[i]) same++;
        assertTrue(same < a.length * 0.9, same + " of " + a.length + " equal");
    }

    @Test
    void aRandomSeedIsReportedAndReplays() {
        Sampler r1 = new Sampler(500, REPRO); // RANDOM_SEED
        Sampler r2 = new Sampler(500, REPRO.withSeed(-1));
        assertNotEquals(SamplerOptions.RANDOM_SEED, r1.seed());
        assertTrue(r1.seed() >= 0 && r1.seed() < SamplerOptions.RANDOM_SEED);
        assertTrue(r1.seed() != r2.seed() || r1.seed() != new Sampler(500, REPRO).seed(), "three random seeds all equal");
        int[] a = run(r1, 3, 500);
        int[] b = run(new Sampler(500, REPRO.withSeed(r1.seed())), 3, 500);
        assertArrayEquals(a, b);
    }

    @Test
    void theTokensDoNotDependOnTheThreadsThatSample() throws Exception {
        int[] alone = run(new Sampler(2000, REPRO.withSeed(7)), 11, 300);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) fs.add(pool.submit(() -> run(new Sampler(2000, REPRO.withSeed(7)), 11, 300)));
            for (Future<int[]> f : fs) assertArrayEquals(alone, f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- allocation -----------------------------------------------------------------------------------------------

    @Test
    void samplingAllocatesNothingPerToken() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter in this JVM");
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(bean.isThreadAllocatedMemorySupported());
        bean.setThreadAllocatedMemoryEnabled(true);

        check(bean, "defaults (top-k 40), vocab 32000", 32000, SamplerOptions.defaults().withSeed(1), 10_000);
        check(bean, "top-k off, vocab 32000", 32000, SamplerOptions.defaults().withTopK(0).withSeed(1), 1_000);
        check(bean, "typical, penalties, bias, vocab 2000", 2000, SamplerOptions.defaults().withTopK(0).withTypicalP(0.9f)
                .withRepeatPenalty(1.2f).withFrequencyPenalty(0.1f).withLogitBias(Map.of(3, -1f)).withSeed(1), 2_000);
        check(bean, "greedy, vocab 32000", 32000, SamplerOptions.greedy(), 10_000);
    }

    private static void check(com.sun.management.ThreadMXBean bean, String what, int vocab, SamplerOptions o, int n) {
        Sampler s = new Sampler(vocab, o);
        float[] l = new float[vocab];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < vocab; i++) l[i] = (float) (rnd.nextGaussian() * 2);
        int sink = loop(s, l, n / 2); // warm up (JIT)
        long tid = Thread.currentThread().threadId();
        long before = bean.getThreadAllocatedBytes(tid);
        sink += loop(s, l, n);
        long after = bean.getThreadAllocatedBytes(tid);
        long bytes = after - before;
        System.out.printf("%s: %d samples allocated %d bytes%n", what, n, bytes);
        assertTrue(bytes < 1024, what + ": " + n + " samples allocated " + bytes + " bytes (sink " + sink + ")");
    }

    private static int loop(Sampler s, float[] l, int n) {
        int sink = 0;
        for (int i = 0; i < n; i++) {
            int id = s.sample(l);
            l[(i * 31) % l.length] += 0.01f; // the logits change a little each step
            sink += id;
        }
        return sink;
    }
}
