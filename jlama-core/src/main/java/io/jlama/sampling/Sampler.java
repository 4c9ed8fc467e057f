package io.jlama.sampling;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Picks the next token from a vector of logits with llama.cpp's default sampler chain, in llama.cpp's order
 * ({@code common_sampler_init} in {@code common/sampling.cpp} with the default {@code samplers} list of
 * {@code common/common.h}; each stage as {@code src/llama-sampler.cpp} defines it):
 * <ol>
 * <li><b>logit bias</b>: {@code logit[id] += bias} ({@code llama_sampler_logit_bias}; llama.cpp adds it to the
 * chain before all the others, so the penalties see biased logits);</li>
 * <li><b>penalties</b> over the last {@code repeatLastN} accepted tokens ({@code llama_sampler_penalties}): for each
 * distinct token seen {@code c} times in the window, a logit {@code <= 0} is multiplied by {@code repeatPenalty} and a
 * positive one divided by it, then {@code c * frequencyPenalty + presencePenalty} is subtracted; all three are off when
 * {@code repeatLastN == 0} or when repeat is 1 and the other two are 0;</li>
 * <li><b>top-k</b> ({@code llama_sampler_top_k}): keep exactly {@code min(k, n)} tokens, the largest logits;
 * {@code k <= 0} is off; no {@code minKeep};</li>
 * <li><b>typical-p</b> ({@code llama_sampler_typical}): softmax of the candidates, entropy
 * {@code H = -sum p log p}, candidates ordered by {@code |-log p - H|} ascending, keep the shortest such prefix whose
 * probability sum is strictly greater than {@code p} and that has at least {@code minKeep} tokens;</li>
 * <li><b>top-p</b> ({@code llama_sampler_top_p}): softmax of the candidates (renormalised over the survivors of
 * the stages before), walk them by descending probability and keep up to the first index {@code i} where the running
 * sum is {@code >= p} and {@code i + 1 >= minKeep} (all of them when the sum never gets there);</li>
 * <li><b>min-p</b> ({@code llama_sampler_min_p}), in logit space: keep logits {@code >= max + log(p)}, and at
 * least {@code max(1, minKeep)} tokens (the most likely ones);</li>
 * <li><b>temperature</b> ({@code llama_sampler_temp}): logits divided by {@code t}; {@code t <= 0} is greedy;</li>
 * <li><b>dist</b> ({@code llama_sampler_dist}): softmax of the survivors and one uniform draw {@code r} in
 * {@code [0, 1)}; the first candidate whose running probability sum reaches {@code r} times the total is chosen.</li>
 * </ol>
 * Greedy decoding (temperature {@code <= 0} or top-k 1) picks the largest logit after bias and penalties, the lowest
 * id on ties. (With typical-p on, which may drop the most likely token, a temperature {@code <= 0} picks the largest
 * surviving logit after the filters, as llama.cpp's chain does.)
 *
 * <p><b>Determinism.</b> Ties in logits are broken by token id everywhere (the lower id ranks first), so which tokens
 * survive a filter never depends on memory layout, and the same seed, options, accepted tokens and logits give the
 * same token on every run and thread count. The random source is a per-sampler xoshiro256** generator seeded through
 * SplitMix64 from the 64-bit seed; it draws exactly one double per non-greedy {@link #sample} call. Its stream is not
 * llama.cpp's (which uses {@code std::mt19937}), so the same seed does not pick the same tokens as llama.cpp.
 *
 * <p><b>Cost.</b> All buffers are sized to the vocabulary once, in the constructor; {@link #sample(float[])}
 * allocates nothing. Candidates are 64-bit keys (logit order, then id); top-k is a bounded-heap selection of the
 * {@code k} best in {@code O(n log k)}, and with top-k off top-p first selects the best 256 and sorts everything (a
 * radix sort) only when those do not reach {@code p}, as llama.cpp does; typical-p sorts all candidates, as llama.cpp
 * does.
 *
 * <p><b>Where it departs from llama.cpp</b>, all at edges: ties broken by id (llama.cpp leaves them to
 * {@code std::sort}); a NaN logit reads as {@code -inf}; typical-p counts {@code 0 log 0} as 0 (llama.cpp gets NaN);
 * the draw never picks a zero-probability candidate, and when every candidate is {@code -inf} it picks the first by
 * id; logit-bias ids outside the vocabulary are an error (llama.cpp ignores them); greedy decoding draws no random
 * number; exp and log are Java's double ones rounded to float (llama.cpp: {@code expf}, {@code logf}), which may
 * differ in the last bit.
 *
 * <p>A sampler belongs to one generation stream (one thread at a time): it holds the penalty history and the random
 * state. Feed it the prompt with {@link #accept} so that the penalties see it, as llama.cpp's server does.
 */
public final class Sampler {
    /** Top-p without a prior sort first looks at this many best candidates (llama.cpp's heuristic). */
    private static final int TOP_P_PREFIX = 256;
    /** ... when there are more candidates than this; fewer are just sorted. */
    private static final int TOP_P_PREFIX_ABOVE = 1024;

    private final int vocab;
    private final SamplerOptions options;
    private final int lastN;
    private final boolean penalties;
    private final int[] biasIds;
    private final float[] biasValues;

    private final float[] work;   // logits after bias and penalties
    private final long[] cand;    // candidate keys: see key()
    private final long[] tmp;     // radix sort buffer
    private final long[] scores;  // typical-p: (score, position) keys
    private final float[] probs;
    private final int[] radixCount = new int[256];
    private int size;
    private boolean sorted;       // cand[0..size) ascending by key (descending logit)

    private final int[] ring;
    private int ringStart, ringSize;
    private final int[] counts;
    private final int[] stamp;
    private int stampNow;

    private long seed;
    private long s0, s1, s2, s3;

    /**
     * A sampler for a vocabulary of {@code vocabSize} tokens. {@code repeatLastN == -1} (the context length) needs
     * {@link #Sampler(int, SamplerOptions, int)}.
     */
    public Sampler(int vocabSize, SamplerOptions options) {
        this(vocabSize, options, -1);
    }

    /**
     * A sampler for a vocabulary of {@code vocabSize} tokens; {@code contextLength} is the penalty window when
     * {@code options.repeatLastN() == -1} (it is unused otherwise and may be -1).
     */
    public Sampler(int vocabSize, SamplerOptions options, int contextLength) {
        if (vocabSize <= 0) throw new IllegalArgumentException("vocabulary size must be > 0, got " + vocabSize);
        if (options == null) throw new IllegalArgumentException("sampler options are null");
        this.vocab = vocabSize;
        this.options = options;
        int n = options.repeatLastN();
        if (n == -1) {
            if (contextLength <= 0) {
                throw new IllegalArgumentException("repeat-last-n -1 means the context length, but none was given");
            }
            n = contextLength;
        }
        this.lastN = n;
        this.penalties = options.penaltiesEnabled();
        Map<Integer, Float> bias = options.logitBias();
        biasIds = new int[bias.size()];
        biasValues = new float[bias.size()];
        int j = 0;
        for (Map.Entry<Integer, Float> e : bias.entrySet()) {
            if (e.getKey() >= vocabSize) {
                throw new IllegalArgumentException("logit bias for token " + e.getKey() + ", outside the vocabulary of " + vocabSize);
            }
            biasIds[j] = e.getKey();
            biasValues[j++] = e.getValue();
        }
        work = new float[vocabSize];
        cand = new long[vocabSize];
        tmp = new long[vocabSize];
        scores = options.typicalP() < 1f ? new long[vocabSize] : null;
        probs = new float[vocabSize];
        ring = penalties ? new int[lastN] : null;
        counts = penalties ? new int[vocabSize] : null;
        stamp = penalties ? new int[vocabSize] : null;
        reseed();
    }

    public int vocabSize() {
        return vocab;
    }

    public SamplerOptions options() {
        return options;
    }

    /** The seed in use: the options' seed, or the one drawn for {@link SamplerOptions#RANDOM_SEED} (reuse it to replay). */
    public long seed() {
        return seed;
    }

    /**
     * Picks a token from {@code logits} (the first {@link #vocabSize()} entries are read, never written) and accepts it
     * into the penalty history. Allocates nothing.
     */
    public int sample(float[] logits) {
        int id = choose(logits);
        accept(id);
        return id;
    }

    /**
     * {@link #sample(float[])}, and the sampled token's log-probability with the {@code topLogprobs} most likely
     * alternatives (see {@link TokenChoice} for which distribution they come from). Allocates the result.
     */
    public TokenChoice sample(float[] logits, int topLogprobs) {
        int id = sample(logits);
        return logprobs(logits, id, topLogprobs);
    }

    /**
     * The log-probability of token {@code id} and the {@code k} most likely tokens with theirs, from the softmax of the
     * raw {@code logits} over the whole vocabulary (computed in double precision). Uses the sampler's buffers: do not
     * call it from another thread while this sampler samples.
     */
    public TokenChoice logprobs(float[] logits, int id, int k) {
        checkLogits(logits);
        checkToken(id);
        if (k < 0) throw new IllegalArgumentException("number of top log-probabilities must be >= 0, got " + k);
        k = Math.min(k, vocab);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            float x = clean(logits[i]);
            if (x > max) max = x;
        }
        double sum = 0;
        if (max != Float.NEGATIVE_INFINITY) {
            for (int i = 0; i < vocab; i++) sum += Math.exp((double) clean(logits[i]) - max);
        }
        double logSum = Math.log(sum);
        List<TokenChoice.Alternative> top = new ArrayList<>(k);
        if (k > 0) {
            selectTop(logits, k);
            for (int i = 0; i < k; i++) {
                int t = idOf(cand[i]);
                top.add(new TokenChoice.Alternative(t, logprob(clean(logits[t]), max, logSum)));
            }
        }
        return new TokenChoice(id, logprob(clean(logits[id]), max, logSum), top);
    }

    private static float logprob(float logit, float max, double logSum) {
        if (logit == Float.NEGATIVE_INFINITY || max == Float.NEGATIVE_INFINITY) return Float.NEGATIVE_INFINITY;
        return (float) (((double) logit - max) - logSum);
    }

    /** Adds a token (a prompt token, or one generated elsewhere) to the penalty history. */
    public void accept(int token) {
        checkToken(token);
        if (!penalties) return;
        counts[token]++;
        if (ringSize == lastN) {
            counts[ring[ringStart]]--;
            ring[ringStart] = token;
            ringStart = ringStart + 1 == lastN ? 0 : ringStart + 1;
        } else {
            int at = ringStart + ringSize;
            ring[at >= lastN ? at - lastN : at] = token;
            ringSize++;
        }
    }

    /** {@link #accept(int)} for {@code tokens[from..to)}. */
    public void accept(int[] tokens, int from, int to) {
        for (int i = from; i < to; i++) accept(tokens[i]);
    }

    /**
     * Forgets the penalty history and restarts the random stream: from the same seed, or, for
     * {@link SamplerOptions#RANDOM_SEED}, from a newly drawn one (like llama.cpp's {@code llama_sampler_reset}).
     */
    public void reset() {
        if (penalties) {
            for (int r = 0; r < ringSize; r++) counts[ring[(ringStart + r) % lastN]] = 0;
            ringStart = 0;
            ringSize = 0;
        }
        reseed();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The chain

    private int choose(float[] logits) {
        load(logits);
        float temp = options.temperature();
        boolean typical = options.typicalP() < 1f;
        if (options.topK() == 1 || (temp <= 0f && !typical)) {
            return argmax(work, vocab);
        }
        filter();
        if (temp <= 0f) {
            long best = cand[0];
            for (int i = 1; i < size; i++) if (cand[i] < best) best = cand[i];
            return idOf(best);
        }
        return draw(temp);
    }

    /** Copies the logits into {@link #work} (NaN read as -inf) and applies logit bias, then penalties. */
    private void load(float[] logits) {
        checkLogits(logits);
        for (int i = 0; i < vocab; i++) work[i] = clean(logits[i]);
        for (int j = 0; j < biasIds.length; j++) work[biasIds[j]] += biasValues[j];
        if (penalties && ringSize > 0) applyPenalties();
    }

    private void applyPenalties() {
        if (++stampNow == Integer.MAX_VALUE) {
            Arrays.fill(stamp, 0);
            stampNow = 1;
        }
        float repeat = options.repeatPenalty();
        float freq = options.frequencyPenalty();
        float present = options.presencePenalty();
        for (int r = 0; r < ringSize; r++) {
            int t = ring[(ringStart + r) % lastN];
            if (stamp[t] == stampNow) continue;
            stamp[t] = stampNow;
            int c = counts[t];
            float l = work[t];
            if (l <= 0f) {
                l *= repeat;
            } else {
                l /= repeat;
            }
            l -= (float) c * freq + present; // llama.cpp: float(count) * freq + float(count > 0) * present
            work[t] = l;
        }
    }

    /** Top-k, typical-p, top-p, min-p over {@link #work}; the survivors are left in {@code cand[0..size)}. */
    private void filter() {
        int k = options.topK();
        if (k > 0 && k < vocab) {
            selectTop(work, k);
            size = k;
            sorted = true;
        } else {
            for (int i = 0; i < vocab; i++) cand[i] = key(work[i], i);
            size = vocab;
            sorted = false;
        }
        if (options.typicalP() < 1f) typicalP(options.typicalP(), options.minKeep());
        if (options.topP() < 1f) topP(options.topP(), options.minKeep());
        if (options.minP() > 0f) minP(options.minP(), options.minKeep());
    }

    /** Leaves the keys of the {@code k} largest of {@code logits[0..vocab)} in {@code cand[0..k)}, best first. */
    private void selectTop(float[] logits, int k) {
        for (int i = 0; i < k; i++) cand[i] = key(clean(logits[i]), i);
        for (int i = k / 2 - 1; i >= 0; i--) siftDown(cand, i, k);
        long worst = cand[0];
        for (int i = k; i < vocab; i++) {
            long kk = key(clean(logits[i]), i);
            if (kk < worst) {
                cand[0] = kk;
                siftDown(cand, 0, k);
                worst = cand[0];
            }
        }
        heapSortMaxHeap(cand, k);
    }

    private void typicalP(float p, int minKeep) {
        if (!sorted) {
            sortAll();
        }
        // llama_sampler_softmax_impl(cur_p, true): sorted, float exp and sum
        float max = logitOf(cand[0]);
        float sum = 0f;
        for (int i = 0; i < size; i++) {
            float e = (float) Math.exp(logitOf(cand[i]) - max);
            probs[i] = e;
            sum += e;
        }
        for (int i = 0; i < size; i++) probs[i] /= sum;
        float entropy = 0f;
        for (int i = 0; i < size; i++) {
            float q = probs[i];
            if (q > 0f) entropy += -q * (float) Math.log(q); // 0 log 0 = 0 (llama.cpp would produce NaN here)
        }
        for (int i = 0; i < size; i++) {
            float score = Math.abs(-(float) Math.log(probs[i]) - entropy);
            scores[i] = ((long) ascending(score) << 32) | i; // ties: the more likely token first
        }
        radixSort(scores, size);
        float cum = 0f;
        int last = size;
        for (int i = 0; i < size; i++) {
            cum += probs[(int) scores[i]];
            if (cum > p && (minKeep == 0 || i >= minKeep - 1)) {
                last = i + 1;
                break;
            }
        }
        for (int i = 0; i < last; i++) tmp[i] = cand[(int) scores[i]];
        System.arraycopy(tmp, 0, cand, 0, last);
        size = last;
        sorted = false; // in typical order, as llama.cpp leaves them
    }

    private void topP(float p, int minKeep) {
        // llama_sampler_softmax_impl(cur_p, false): the normaliser is summed in the current order
        float max = maxLogit();
        float sum = 0f;
        for (int i = 0; i < size; i++) {
            long c = cand[i];
            float e = (float) Math.exp(logitOf(c) - max);
            probs[idOf(c)] = e; // by token id: the order changes below
            sum += e;
        }
        int ready; // cand[0..ready) holds the best candidates, in order
        if (sorted) {
            ready = size;
        } else if (size > TOP_P_PREFIX_ABOVE) {
            ready = TOP_P_PREFIX;
            selectPrefix(ready);
        } else {
            sortAll();
            ready = size;
        }
        float cum = 0f;
        int last = size;
        for (int i = 0; i < size; i++) {
            if (i == ready) {
                sortAll(); // the best `ready` did not reach p: sort them all (the prefix stays as it is)
                ready = size;
            }
            cum += probs[idOf(cand[i])] / sum;
            if (cum >= p && i + 1 >= minKeep) {
                last = i + 1;
                break;
            }
        }
        size = last;
        sorted = true;
    }

    private void minP(float p, int minKeep) {
        if (size == 0) return;
        float max = maxLogit();
        float minLogit = max + (float) Math.log(p); // p_i >= p * p_max
        int count = 0;
        for (int i = 0; i < size; i++) if (logitOf(cand[i]) >= minLogit) count++;
        int floor = Math.max(1, Math.min(minKeep, size));
        if (count >= floor) {
            // llama.cpp's unsorted path (and, on sorted candidates, its sorted path): exactly the tokens over the bar
            int w = 0;
            for (int i = 0; i < size; i++) if (logitOf(cand[i]) >= minLogit) cand[w++] = cand[i];
            size = w;
        } else {
            // too few: the first token always, and the best until min_keep
            if (!sorted) selectPrefix(floor);
            size = floor;
            sorted = true;
        }
    }

    private int draw(float temp) {
        double r = nextDouble();
        if (size == 1) return idOf(cand[0]);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            float l = logitOf(cand[i]) / temp;
            if (l > max) max = l;
        }
        if (max == Float.NEGATIVE_INFINITY) {
            // every candidate is banned: no distribution; take the first by id
            long best = cand[0];
            for (int i = 1; i < size; i++) if (cand[i] < best) best = cand[i];
            return idOf(best);
        }
        double sum = 0;
        for (int i = 0; i < size; i++) {
            float e = (float) Math.exp(logitOf(cand[i]) / temp - max);
            probs[i] = e;
            sum += e;
        }
        double target = sum * r;
        double run = 0;
        int lastPositive = 0;
        for (int i = 0; i < size; i++) {
            float e = probs[i];
            if (e <= 0f) continue;
            run += e;
            lastPositive = i;
            if (run >= target) return idOf(cand[i]);
        }
        return idOf(cand[lastPositive]);
    }

    private float maxLogit() {
        if (sorted) return logitOf(cand[0]);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            float l = logitOf(cand[i]);
            if (l > max) max = l;
        }
        return max;
    }

    /** Index of the largest value, the first on ties (llama.cpp's greedy sampler). */
    static int argmax(float[] a, int n) {
        int best = 0;
        float max = a[0];
        for (int i = 1; i < n; i++) {
            if (a[i] > max) {
                max = a[i];
                best = i;
            }
        }
        return best;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Keys: a candidate is one long, ordered as (logit descending, id ascending) by plain signed comparison.

    /** Maps a float to an int with the same order (-0 and +0 are made equal first). */
    private static int ascending(float f) {
        int b = Float.floatToRawIntBits(f + 0.0f);
        return b ^ ((b >> 31) & 0x7fffffff);
    }

    static long key(float logit, int id) {
        return ((long) ~ascending(logit) << 32) | (id & 0xffffffffL);
    }

    static float logitOf(long key) {
        int s = ~(int) (key >> 32);
        return Float.intBitsToFloat(s ^ ((s >> 31) & 0x7fffffff));
    }

    static int idOf(long key) {
        return (int) key;
    }

    private static float clean(float x) {
        return x != x ? Float.NEGATIVE_INFINITY : x;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Selection and sorting, in place, allocation-free

    private void sortAll() {
        radixSort(cand, size);
        sorted = true;
    }

    /** Moves the {@code m} smallest keys of {@code cand[0..size)} to {@code cand[0..m)}, ascending; the rest follow. */
    private void selectPrefix(int m) {
        if (m >= size) {
            sortAll();
            return;
        }
        long[] a = cand;
        for (int i = m / 2 - 1; i >= 0; i--) siftDown(a, i, m);
        for (int i = m; i < size; i++) {
            if (a[i] < a[0]) {
                long t = a[i];
                a[i] = a[0];
                a[0] = t;
                siftDown(a, 0, m);
            }
        }
        heapSortMaxHeap(a, m);
    }

    private static void siftDown(long[] a, int i, int n) {
        long x = a[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && a[c + 1] > a[c]) c++;
            if (a[c] <= x) break;
            a[i] = a[c];
            i = c;
        }
        a[i] = x;
    }

    /** Sorts a max-heap {@code a[0..n)} ascending. */
    private static void heapSortMaxHeap(long[] a, int n) {
        for (int end = n - 1; end > 0; end--) {
            long t = a[0];
            a[0] = a[end];
            a[end] = t;
            siftDown(a, 0, end);
        }
    }

    /** Ascending signed sort of {@code a[0..n)}: insertion sort when small, else LSD radix with {@link #tmp}. */
    private void radixSort(long[] a, int n) {
        if (n <= 48) {
            for (int i = 1; i < n; i++) {
                long x = a[i];
                int j = i - 1;
                while (j >= 0 && a[j] > x) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = x;
            }
            return;
        }
        long[] src = a, dst = tmp;
        int[] c = radixCount;
        for (int shift = 0; shift < 64; shift += 8) {
            int flip = shift == 56 ? 0x80 : 0; // the sign bit: negative keys first
            Arrays.fill(c, 0);
            for (int i = 0; i < n; i++) c[((int) (src[i] >>> shift) & 0xff) ^ flip]++;
            if (c[((int) (src[0] >>> shift) & 0xff) ^ flip] == n) continue; // one digit value: nothing moves
            int acc = 0;
            for (int d = 0; d < 256; d++) {
                int v = c[d];
                c[d] = acc;
                acc += v;
            }
            for (int i = 0; i < n; i++) {
                long v = src[i];
                dst[c[((int) (v >>> shift) & 0xff) ^ flip]++] = v;
            }
            long[] t = src;
            src = dst;
            dst = t;
        }
        if (src != a) System.arraycopy(src, 0, a, 0, n);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Random source: xoshiro256** (Blackman and Vigna), seeded with SplitMix64

    private static final class SeedSource {
        static final SecureRandom RANDOM = new SecureRandom();
    }

    private void reseed() {
        long s = options.seed();
        if (options.isRandomSeed()) {
            do {
                s = SeedSource.RANDOM.nextLong() & 0xFFFFFFFFL; // a 32-bit seed, as llama.cpp draws
            } while (s == SamplerOptions.RANDOM_SEED);
        }
        seed = s;
        long z = s;
        s0 = splitMix(z += 0x9E3779B97F4A7C15L);
        s1 = splitMix(z += 0x9E3779B97F4A7C15L);
        s2 = splitMix(z += 0x9E3779B97F4A7C15L);
        s3 = splitMix(z + 0x9E3779B97F4A7C15L);
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Checks and test hooks

    private void checkLogits(float[] logits) {
        if (logits == null || logits.length < vocab) {
            throw new IllegalArgumentException("need " + vocab + " logits, got " + (logits == null ? "null" : logits.length));
        }
    }

    private void checkToken(int token) {
        if (token < 0 || token >= vocab) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary of " + vocab);
        }
    }

    /** Test hook: the logits after logit bias and penalties (nothing accepted). */
    float[] adjustedLogits(float[] logits) {
        load(logits);
        return Arrays.copyOf(work, vocab);
    }

    /** Test hook: the ids that survive bias, penalties, top-k, typical-p, top-p and min-p, ascending. */
    int[] survivors(float[] logits) {
        load(logits);
        filter();
        int[] ids = new int[size];
        for (int i = 0; i < size; i++) ids[i] = idOf(cand[i]);
        Arrays.sort(ids);
        return ids;
    }
}
