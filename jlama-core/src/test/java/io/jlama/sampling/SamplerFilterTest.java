package io.jlama.sampling;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which tokens survive each filter, on fixed logit vectors built at the edges of llama.cpp's rules
 * (src/llama-sampler.cpp: llama_sampler_top_k_impl, llama_sampler_typical_apply, llama_sampler_top_p_apply,
 * llama_sampler_min_p_apply), and what penalties and logit bias do to the logits (llama_sampler_penalties_apply,
 * llama_sampler_logit_bias_apply, in the order common/sampling.cpp chains them).
 */
class SamplerFilterTest {

    /** Every filter off, temperature 1, a fixed seed: set one filter on top. */
    private static final SamplerOptions NONE = SamplerOptions.defaults().withoutFilters().withTemperature(1f).withSeed(7);

    private static int[] survivors(SamplerOptions o, float... logits) {
        return new Sampler(logits.length, o).survivors(logits);
    }

    private static int[] ids(int... ids) {
        return ids;
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    private static float ln(double x) {
        return (float) Math.log(x);
    }

    // ---- defaults -------------------------------------------------------------------------------------------------

    @Test
    void defaultsAreLlamaCpps() {
        SamplerOptions d = SamplerOptions.defaults();
        assertEquals(0.8f, d.temperature());
        assertEquals(40, d.topK());
        assertEquals(0.95f, d.topP());
        assertEquals(0.05f, d.minP());
        assertEquals(1.0f, d.typicalP());
        assertEquals(1.0f, d.repeatPenalty());
        assertEquals(64, d.repeatLastN());
        assertEquals(0f, d.presencePenalty());
        assertEquals(0f, d.frequencyPenalty());
        assertEquals(Map.of(), d.logitBias());
        assertEquals(SamplerOptions.RANDOM_SEED, d.seed());
        assertEquals(0, d.minKeep());
        assertTrue(SamplerOptions.greedy().isGreedy());
        assertEquals(0f, SamplerOptions.greedy().temperature());
        assertTrue(d.withSeed(-1).isRandomSeed());
        assertEquals(5, d.toBuilder().topK(5).build().topK());
        assertThrows(IllegalArgumentException.class, () -> d.withRepeatPenalty(0f));
        assertThrows(IllegalArgumentException.class, () -> d.withRepeatLastN(-2));
        assertThrows(IllegalArgumentException.class, () -> d.withMinKeep(-1));
        assertThrows(IllegalArgumentException.class, () -> d.withLogitBias(Map.of(1, Float.NaN)));
    }

    // ---- top-k ----------------------------------------------------------------------------------------------------

    @Test
    void topKKeepsTheKLargest() {
        float[] l = {1, 5, 3, 5, 2, 4};
        assertArrayEquals(ids(1, 3, 5), survivors(NONE.withTopK(3), l));
        assertArrayEquals(ids(1, 3), survivors(NONE.withTopK(2), l));
        assertArrayEquals(range(0, 6), survivors(NONE.withTopK(0), l), "k <= 0 is off");
        assertArrayEquals(range(0, 6), survivors(NONE.withTopK(-3), l), "k <= 0 is off");
        assertArrayEquals(range(0, 6), survivors(NONE.withTopK(6), l));
        assertArrayEquals(range(0, 6), survivors(NONE.withTopK(100), l), "k is capped at the candidate count");
    }

    @Test
    void topKKeepsExactlyKOnTiesAtTheBoundaryLowestIdsFirst() {
        float[] l = {1, 3, 3, 3, 0, 3};
        // llama.cpp keeps exactly k (std::partial_sort; which of the tied ones is unspecified): here the lowest ids
        assertArrayEquals(ids(1, 2), survivors(NONE.withTopK(2), l));
        assertArrayEquals(ids(1, 2, 3), survivors(NONE.withTopK(3), l));
        assertArrayEquals(ids(1, 2, 3, 5), survivors(NONE.withTopK(4), l));
        assertArrayEquals(ids(0, 1, 2, 3, 5), survivors(NONE.withTopK(5), l));
    }

    @Test
    void topKIgnoresMinKeep() {
        assertArrayEquals(ids(1, 3), survivors(NONE.withTopK(2).withMinKeep(4), 1, 5, 3, 5, 2, 4));
    }

    // ---- top-p ----------------------------------------------------------------------------------------------------

    @Test
    void topPStopsWhereTheCumulativeProbabilityReachesPInclusive() {
        // four equal logits: probabilities exactly 0.25; cumulative 0.25, 0.5, 0.75, 1.0 exactly
        float[] l = {2, 2, 2, 2};
        assertArrayEquals(ids(0, 1), survivors(NONE.withTopP(0.5f), l), "cum == p is enough (>=)");
        assertArrayEquals(ids(0, 1, 2), survivors(NONE.withTopP(Math.nextUp(0.5f)), l));
        assertArrayEquals(ids(0, 1), survivors(NONE.withTopP(0.49f), l));
        assertArrayEquals(ids(0), survivors(NONE.withTopP(0.25f), l));
        assertArrayEquals(ids(0), survivors(NONE.withTopP(0.1f), l));
        assertArrayEquals(range(0, 4), survivors(NONE.withTopP(1f), l), "p >= 1 is off");
    }

    @Test
    void topPWalksByDescendingProbability() {
        // probabilities ~ .125 .5 .125 .25 in id order
        float[] l = {ln(0.125), ln(0.5), ln(0.125), ln(0.25)};
        assertArrayEquals(ids(1), survivors(NONE.withTopP(0.4f), l));
        assertArrayEquals(ids(1, 3), survivors(NONE.withTopP(0.7f), l));
        assertArrayEquals(ids(0, 1, 3), survivors(NONE.withTopP(0.8f), l), "ties: lower id first");
    }

    @Test
    void topPHonoursMinKeep() {
        float[] l = {2, 2, 2, 2};
        assertArrayEquals(ids(0, 1, 2), survivors(NONE.withTopP(0.1f).withMinKeep(3), l));
        assertArrayEquals(range(0, 4), survivors(NONE.withTopP(0.1f).withMinKeep(9), l), "min_keep > size keeps all");
    }

    @Test
    void topPRenormalisesOverTheTopKSurvivors() {
        // top-k 2 leaves two equal logits: each has probability 0.5 among the survivors, whatever the rest had
        float[] l = {5, 5, 4.9f, 4.9f, 4.9f, 4.9f};
        assertArrayEquals(ids(0), survivors(NONE.withTopK(2).withTopP(0.5f), l));
        assertArrayEquals(ids(0, 1), survivors(NONE.withTopK(2).withTopP(0.51f), l));
    }

    @Test
    void topPOnALargeUnsortedVocabularyTakesTheLongPath() {
        // 3000 candidates (> 1024): the best 256 hold far less than p, so the whole set is sorted
        int n = 3000;
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (i * 7919 % n) / 1000f; // a permutation of 0.000 .. 2.999
        SamplerOptions o = NONE.withTopP(0.9f);
        int[] got = survivors(o, l);
        assertArrayEquals(ReferenceChain.survivors(l, o), got);
        assertTrue(got.length > 256, "more survivors than the first prefix: " + got.length);
    }

    // ---- min-p ----------------------------------------------------------------------------------------------------

    @Test
    void minPKeepsLogitsAtLeastMaxPlusLogP() {
        float bar = (float) Math.log(0.5f); // max is 0: min_logit = 0 + logf(0.5f)
        float[] l = {0f, bar, Math.nextDown(bar), -5f};
        assertArrayEquals(ids(0, 1), survivors(NONE.withMinP(0.5f), l), "a logit exactly on the bar stays (>=)");
        assertArrayEquals(range(0, 4), survivors(NONE.withMinP(0f), l), "p <= 0 is off");
    }

    @Test
    void minPIsRelativeToTheMaximum() {
        float[] l = {10, 9.5f, 7, 12};
        // max 12: bar 12 + ln .1 = 9.697: keeps 12 and 10
        assertArrayEquals(ids(0, 3), survivors(NONE.withMinP(0.1f), l));
        float[] shifted = {110, 109.5f, 107, 112};
        assertArrayEquals(ids(0, 3), survivors(NONE.withMinP(0.1f), shifted));
    }

    @Test
    void minPKeepsTiesAndMinKeep() {
        float[] l = {3, 0, 3, 0, -1};
        assertArrayEquals(ids(0, 2), survivors(NONE.withMinP(0.9f), l));
        // only 2 pass but min_keep 3: the best 3 (a tie at 0: the lower id)
        assertArrayEquals(ids(0, 1, 2), survivors(NONE.withMinP(0.9f).withMinKeep(3), l));
        assertArrayEquals(range(0, 5), survivors(NONE.withMinP(0.9f).withMinKeep(10), l), "min_keep > size keeps all");
        // p > 1: nothing reaches the bar; the first token is always kept
        assertArrayEquals(ids(0), survivors(NONE.withMinP(1.5f), l));
    }

    // ---- typical-p ------------------------------------------------------------------------------------------------

    @Test
    void typicalNeedsTheCumulativeStrictlyAboveP() {
        // uniform: every token is equally typical; cumulative 0.25, 0.5, 0.75 exactly
        float[] l = {1, 1, 1, 1};
        assertArrayEquals(ids(0, 1, 2), survivors(NONE.withTypicalP(0.5f), l), "cum == p is not enough (>)");
        assertArrayEquals(ids(0, 1), survivors(NONE.withTypicalP(0.49f), l));
        assertArrayEquals(ids(0), survivors(NONE.withTypicalP(0.1f), l));
        assertArrayEquals(ids(0, 1, 2), survivors(NONE.withTypicalP(0.1f).withMinKeep(3), l));
        assertArrayEquals(range(0, 4), survivors(NONE.withTypicalP(1f), l), "p >= 1 is off");
    }

    @Test
    void typicalCanDropTheMostLikelyToken() {
        // p = 0.3 for token 0 and 0.01 for tokens 1..70: entropy ~3.585 nats; -log .01 = 4.605 is closer to it than
        // -log .3 = 1.204, so the small ones come first; 41 of them (0.41) are the first to exceed 0.405
        float[] l = new float[71];
        l[0] = ln(0.3);
        for (int i = 1; i < 71; i++) l[i] = ln(0.01);
        SamplerOptions o = NONE.withTypicalP(0.405f);
        assertArrayEquals(range(1, 42), survivors(o, l));
        // greedy with typical-p picks the best survivor, as llama.cpp's chain (typical, then temp <= 0) does
        assertEquals(1, new Sampler(71, o.withTemperature(0f)).sample(l));
        assertEquals(0, new Sampler(71, SamplerOptions.greedy()).sample(l));
    }

    // ---- chain against the naive reference ------------------------------------------------------------------------

    @Test
    void theChainMatchesANaiveTranscriptionOfLlamaCppsRules() {
        SplittableRandom rnd = new SplittableRandom(20240611);
        int[] ks = {0, 1, 2, 5, 40, 300, 5000};
        float[] ps = {1f, 0.5f, 0.9f, 0.95f, 0.999f};
        float[] minPs = {0f, 0.05f, 0.3f, 1.5f};
        float[] typs = {1f, 1f, 0.5f, 0.95f};
        int[] minKeeps = {0, 0, 1, 3, 100};
        int cases = 0;
        for (int n : new int[] {7, 60, 1500, 4000}) {
            for (int rep = 0; rep < 40; rep++) {
                float[] l = new float[n];
                boolean coarse = rnd.nextBoolean(); // many exact ties
                for (int i = 0; i < n; i++) {
                    double g = rnd.nextGaussian() * 2.5;
                    l[i] = coarse ? Math.round(g * 2) / 2f : (float) g;
                }
                SamplerOptions o = NONE.toBuilder()
                        .topK(ks[rnd.nextInt(ks.length)])
                        .topP(ps[rnd.nextInt(ps.length)])
                        .minP(minPs[rnd.nextInt(minPs.length)])
                        .typicalP(typs[rnd.nextInt(typs.length)])
                        .minKeep(minKeeps[rnd.nextInt(minKeeps.length)])
                        .build();
                int[] want = ReferenceChain.survivors(l, o);
                int[] got = survivors(o, l);
                assertArrayEquals(want, got, () -> "n=" + n + " " + o);
                cases++;
            }
        }
        assertEquals(160, cases);
    }

    // ---- greedy ---------------------------------------------------------------------------------------------------

    @Test
    void greedyIsArgmaxWithTheFirstIndexOnTies() {
        float[] l = {1, 3, 3, 2};
        assertEquals(1, new Sampler(4, SamplerOptions.greedy()).sample(l));
        assertEquals(1, new Sampler(4, SamplerOptions.defaults().withTemperature(-1f)).sample(l), "temp < 0 is greedy");
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(1, new Sampler(4, SamplerOptions.defaults().withTopK(1).withTemperature(5f).withSeed(seed)).sample(l), "top-k 1");
        }
    }

    // ---- logit bias and penalties ---------------------------------------------------------------------------------

    @Test
    void logitBiasAddsAndMinusInfinityBans() {
        float[] l = {1, 3, 2, 0};
        Sampler s = new Sampler(4, SamplerOptions.greedy().withLogitBias(Map.of(1, Float.NEGATIVE_INFINITY, 3, 1.5f)));
        assertArrayEquals(new float[] {1, Float.NEGATIVE_INFINITY, 2, 1.5f}, s.adjustedLogits(l));
        assertEquals(2, s.sample(l));
        assertThrows(IllegalArgumentException.class,
                () -> new Sampler(4, SamplerOptions.greedy().withLogitBias(Map.of(4, 1f))), "id outside the vocabulary");
        // banned tokens never come out of a draw
        Sampler hot = new Sampler(4, NONE.withTemperature(3f).withLogitBias(Map.of(1, Float.NEGATIVE_INFINITY)));
        for (int i = 0; i < 2000; i++) assertTrue(hot.sample(l) != 1);
    }

    @Test
    void penaltiesChangeExactlyTheLogitsOfTokensInTheWindow() {
        SamplerOptions o = NONE.toBuilder().repeatPenalty(2f).frequencyPenalty(0.5f).presencePenalty(0.25f).repeatLastN(4).build();
        Sampler s = new Sampler(6, o);
        s.accept(new int[] {0, 3, 1, 3, 2}, 0, 5); // the window is the last 4: 3 1 3 2 (token 0 fell out)
        float[] l = {2, -1, 0, 3, 1.5f, -2};
        float[] want = {
                2,                       // left the window
                -1 * 2 - (0.5f + 0.25f), // negative: multiplied by the penalty; count 1
                0 * 2 - (0.5f + 0.25f),  // zero takes the "<= 0" branch
                3 / 2f - (2 * 0.5f + 0.25f), // positive: divided; count 2, presence once
                1.5f,
                -2
        };
        assertArrayEquals(want, s.adjustedLogits(l));
        assertArrayEquals(new float[] {2, -2.75f, -0.75f, 0.25f, 1.5f, -2}, want);
    }

    @Test
    void repeatPenaltyAloneUsesFloatArithmeticLikeLlamaCpp() {
        Sampler s = new Sampler(3, NONE.withRepeatPenalty(1.1f));
        s.accept(0);
        s.accept(1);
        assertArrayEquals(new float[] {-1f * 1.1f, 2f / 1.1f, 5f}, s.adjustedLogits(new float[] {-1, 2, 5}));
    }

    @Test
    void penaltiesOffWhenTheWindowIsZeroOrAllNeutral() {
        float[] l = {2, -1, 0, 3};
        Sampler zero = new Sampler(4, NONE.withRepeatPenalty(2f).withFrequencyPenalty(1f).withRepeatLastN(0));
        zero.accept(new int[] {0, 1, 2, 3}, 0, 4);
        assertArrayEquals(l, zero.adjustedLogits(l));
        Sampler neutral = new Sampler(4, NONE);
        neutral.accept(new int[] {0, 1, 2, 3}, 0, 4);
        assertArrayEquals(l, neutral.adjustedLogits(l));
    }

    @Test
    void penaltiesSeeBiasedLogitsAsInLlamaCppsChain() {
        // llama.cpp chains logit bias first: 1 + (-3) = -2, then the repeat penalty multiplies the negative logit
        Sampler s = new Sampler(2, NONE.withRepeatPenalty(2f).withLogitBias(Map.of(0, -3f)));
        s.accept(0);
        assertArrayEquals(new float[] {-4f, 1f}, s.adjustedLogits(new float[] {1, 1}));
    }

    @Test
    void penaltyWindowOfTheContextLengthAndReset() {
        SamplerOptions o = NONE.withPresencePenalty(1f).withRepeatLastN(-1);
        assertThrows(IllegalArgumentException.class, () -> new Sampler(3, o), "-1 needs the context length");
        Sampler s = new Sampler(3, o, 5);
        s.accept(new int[] {0, 1, 1, 1, 1}, 0, 5); // 5 tokens: 0 is still in a window of 5
        assertArrayEquals(new float[] {-1, -1, 0}, s.adjustedLogits(new float[] {0, 0, 0}));
        s.accept(2); // now 0 falls out
        assertArrayEquals(new float[] {0, -1, -1}, s.adjustedLogits(new float[] {0, 0, 0}));
        s.reset();
        assertArrayEquals(new float[] {0, 0, 0}, s.adjustedLogits(new float[] {0, 0, 0}));
    }

    @Test
    void sampledTokensEnterThePenaltyWindow() {
        // a huge presence penalty with greedy decoding: each token, once chosen, is pushed below the others
        Sampler s = new Sampler(3, SamplerOptions.greedy().withPresencePenalty(100f).withRepeatLastN(2));
        float[] l = {3, 2, 1};
        int[] got = new int[6];
        for (int i = 0; i < got.length; i++) got[i] = s.sample(l);
        assertArrayEquals(new int[] {0, 1, 2, 0, 1, 2}, got);
    }

    // ---- log-probabilities ----------------------------------------------------------------------------------------

    @Test
    void logprobsComeFromTheRawLogits() {
        float[] l = {1, 2, 3, 0, 3};
        double lse = Math.log(Math.exp(1) + Math.exp(2) + 2 * Math.exp(3) + Math.exp(0));
        Sampler s = new Sampler(5, SamplerOptions.greedy().withLogitBias(Map.of(0, 50f)).withPresencePenalty(5f));
        TokenChoice c = s.sample(l, 3);
        assertEquals(0, c.id(), "the bias decides the token ...");
        assertEquals((float) (1 - lse), c.logprob(), 1e-6f, "... but not its log-probability");
        assertEquals(3, c.top().size());
        assertEquals(2, c.top().get(0).id());
        assertEquals((float) (3 - lse), c.top().get(0).logprob(), 1e-6f);
        assertEquals(4, c.top().get(1).id(), "ties: lower id first");
        assertEquals(c.top().get(0).logprob(), c.top().get(1).logprob());
        assertEquals(1, c.top().get(2).id());
        assertEquals(5, s.logprobs(l, 3, 99).top().size(), "k is capped at the vocabulary");
        assertEquals(0, s.logprobs(l, 3, 0).top().size());
        float[] banned = {0, Float.NEGATIVE_INFINITY};
        Sampler two = new Sampler(2, SamplerOptions.greedy());
        assertEquals(Float.NEGATIVE_INFINITY, two.logprobs(banned, 1, 2).logprob());
        assertEquals(0f, two.logprobs(banned, 0, 2).logprob());
    }

    @Test
    void rejectsBadInput() {
        Sampler s = new Sampler(4, SamplerOptions.defaults().withSeed(1));
        assertThrows(IllegalArgumentException.class, () -> s.sample(new float[3]));
        assertThrows(IllegalArgumentException.class, () -> s.accept(4));
        assertThrows(IllegalArgumentException.class, () -> s.accept(-1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(0, SamplerOptions.defaults()));
    }

    @Test
    void keysOrderByLogitThenId() {
        float[] vals = {Float.NEGATIVE_INFINITY, -3e38f, -1f, -Float.MIN_VALUE, -0f, 0f, Float.MIN_VALUE, 1f, 3e38f, Float.POSITIVE_INFINITY};
        for (int i = 0; i < vals.length; i++) {
            assertEquals(vals[i] + 0f, Sampler.logitOf(Sampler.key(vals[i], 12345)));
            assertEquals(12345, Sampler.idOf(Sampler.key(vals[i], 12345)));
            for (int j = 0; j < vals.length; j++) {
                float a = vals[i] + 0f, b = vals[j] + 0f;
                int want = a == b ? -1 : (a > b ? -1 : 1); // equal logits: id 3 before id 5
                assertEquals(want, Long.compare(Sampler.key(vals[i], 3), Sampler.key(vals[j], 5)), a + " vs " + b);
            }
        }
    }
}
