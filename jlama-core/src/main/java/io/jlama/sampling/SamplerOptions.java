package io.jlama.sampling;

import java.util.Map;
import java.util.TreeMap;

/**
 * Settings of a {@link Sampler}, with llama.cpp's defaults ({@code common_params_sampling} in llama.cpp's
 * {@code common/common.h}). Immutable; change one setting with a {@code with...} method or several with
 * {@link #toBuilder()}.
 *
 * <table>
 * <caption>Settings, their defaults and their "off" values</caption>
 * <tr><th>setting</th><th>default</th><th>off</th></tr>
 * <tr><td>temperature</td><td>0.8</td><td>&lt;= 0 is greedy decoding (argmax)</td></tr>
 * <tr><td>topK</td><td>40</td><td>&lt;= 0 (1 is greedy)</td></tr>
 * <tr><td>topP</td><td>0.95</td><td>&gt;= 1</td></tr>
 * <tr><td>minP</td><td>0.05</td><td>&lt;= 0</td></tr>
 * <tr><td>typicalP</td><td>1.0</td><td>&gt;= 1</td></tr>
 * <tr><td>repeatPenalty</td><td>1.0</td><td>1.0</td></tr>
 * <tr><td>repeatLastN</td><td>64</td><td>0 disables all three penalties; -1 is the context length</td></tr>
 * <tr><td>presencePenalty</td><td>0.0</td><td>0.0</td></tr>
 * <tr><td>frequencyPenalty</td><td>0.0</td><td>0.0</td></tr>
 * <tr><td>logitBias</td><td>empty</td><td>empty</td></tr>
 * <tr><td>seed</td><td>{@link #RANDOM_SEED}</td><td>-</td></tr>
 * <tr><td>minKeep</td><td>0</td><td>0</td></tr>
 * </table>
 *
 * @param temperature      logits are divided by it just before the draw; {@code <= 0} picks the most likely token
 * @param topK             keep the {@code topK} most likely tokens; {@code <= 0} keeps all
 * @param topP             nucleus: keep the most likely tokens until their probabilities add up to {@code topP}
 * @param minP             keep tokens whose probability is at least {@code minP} times the largest one
 * @param typicalP         locally typical sampling (Meister et al.); {@code >= 1} is off
 * @param repeatPenalty    divides a positive logit (multiplies a negative one) of every token seen in the last
 *                         {@code repeatLastN} tokens
 * @param repeatLastN      the window of the three penalties, in tokens; 0 disables them, -1 means the context length
 * @param presencePenalty  subtracted once from the logit of every token seen in the window
 * @param frequencyPenalty subtracted from a token's logit once per occurrence in the window
 * @param logitBias        token id to a value added to its logit ({@code Float.NEGATIVE_INFINITY} bans the token)
 * @param seed             seed of the random draw; {@link #RANDOM_SEED} (or -1, which is how llama.cpp's
 *                         {@code --seed -1} reads as an unsigned 32-bit value) draws a fresh seed per sampler
 * @param minKeep          top-p, min-p and typical-p never keep fewer tokens than this (0 = no minimum)
 */
public record SamplerOptions(float temperature, int topK, float topP, float minP, float typicalP,
                             float repeatPenalty, int repeatLastN, float presencePenalty, float frequencyPenalty,
                             Map<Integer, Float> logitBias, long seed, int minKeep) {

    /** llama.cpp's {@code LLAMA_DEFAULT_SEED} (0xFFFFFFFF): "pick a random seed". */
    public static final long RANDOM_SEED = 0xFFFFFFFFL;

    private static final SamplerOptions DEFAULTS =
            new SamplerOptions(0.8f, 40, 0.95f, 0.05f, 1.0f, 1.0f, 64, 0f, 0f, Map.of(), RANDOM_SEED, 0);

    public SamplerOptions {
        if (Float.isNaN(temperature) || Float.isInfinite(temperature)) throw bad("temperature", temperature, "a finite number");
        if (Float.isNaN(topP)) throw bad("top-p", topP, "a number");
        if (Float.isNaN(minP)) throw bad("min-p", minP, "a number");
        if (Float.isNaN(typicalP)) throw bad("typical-p", typicalP, "a number");
        if (!(repeatPenalty > 0f) || Float.isInfinite(repeatPenalty)) throw bad("repeat penalty", repeatPenalty, "a finite number > 0");
        if (repeatLastN < -1) throw bad("repeat-last-n", repeatLastN, ">= -1 (-1 = the context length)");
        if (!Float.isFinite(presencePenalty)) throw bad("presence penalty", presencePenalty, "a finite number");
        if (!Float.isFinite(frequencyPenalty)) throw bad("frequency penalty", frequencyPenalty, "a finite number");
        if (minKeep < 0) throw bad("min-keep", minKeep, ">= 0");
        if (logitBias == null) throw new IllegalArgumentException("logit bias map is null (use Map.of())");
        TreeMap<Integer, Float> copy = new TreeMap<>();
        for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
            Integer id = e.getKey();
            Float b = e.getValue();
            if (id == null || id < 0) throw new IllegalArgumentException("logit bias for token id " + id + ": ids are >= 0");
            if (b == null || Float.isNaN(b) || b == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logit bias " + b + " for token " + id + ": a finite number or -inf");
            }
            copy.put(id, b);
        }
        logitBias = java.util.Collections.unmodifiableMap(copy);
    }

    private static IllegalArgumentException bad(String what, Object v, String want) {
        return new IllegalArgumentException(what + " must be " + want + ", got " + v);
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, penalties off, a random seed. */
    public static SamplerOptions defaults() {
        return DEFAULTS;
    }

    /** Greedy decoding: the defaults with temperature 0 (penalties and logit bias still apply if set). */
    public static SamplerOptions greedy() {
        return DEFAULTS.withTemperature(0f);
    }

    /** True when the sampler picks the most likely token without a random draw (temperature <= 0 or top-k 1). */
    public boolean isGreedy() {
        return temperature <= 0f || topK == 1;
    }

    /** True when {@link #seed()} asks for a random seed. */
    public boolean isRandomSeed() {
        return seed == RANDOM_SEED || seed == -1L;
    }

    /** True when the repetition penalties change anything (llama.cpp's {@code llama_sampler_penalties::is_disabled}). */
    public boolean penaltiesEnabled() {
        return repeatLastN != 0 && (repeatPenalty != 1.0f || frequencyPenalty != 0.0f || presencePenalty != 0.0f);
    }

    public SamplerOptions withTemperature(float v) { return toBuilder().temperature(v).build(); }
    public SamplerOptions withTopK(int v) { return toBuilder().topK(v).build(); }
    public SamplerOptions withTopP(float v) { return toBuilder().topP(v).build(); }
    public SamplerOptions withMinP(float v) { return toBuilder().minP(v).build(); }
    public SamplerOptions withTypicalP(float v) { return toBuilder().typicalP(v).build(); }
    public SamplerOptions withRepeatPenalty(float v) { return toBuilder().repeatPenalty(v).build(); }
    public SamplerOptions withRepeatLastN(int v) { return toBuilder().repeatLastN(v).build(); }
    public SamplerOptions withPresencePenalty(float v) { return toBuilder().presencePenalty(v).build(); }
    public SamplerOptions withFrequencyPenalty(float v) { return toBuilder().frequencyPenalty(v).build(); }
    public SamplerOptions withLogitBias(Map<Integer, Float> v) { return toBuilder().logitBias(v).build(); }
    public SamplerOptions withSeed(long v) { return toBuilder().seed(v).build(); }
    public SamplerOptions withMinKeep(int v) { return toBuilder().minKeep(v).build(); }

    /**
     * The same settings with every filter switched off (top-k 0, top-p 1, min-p 0, typical-p 1): the draw is from the
     * whole distribution at the given temperature.
     */
    public SamplerOptions withoutFilters() {
        return toBuilder().topK(0).topP(1f).minP(0f).typicalP(1f).build();
    }

    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable builder, starting from the defaults (or from the options it was made from). */
    public static final class Builder {
        private float temperature, topP, minP, typicalP, repeatPenalty, presencePenalty, frequencyPenalty;
        private int topK, repeatLastN, minKeep;
        private Map<Integer, Float> logitBias;
        private long seed;

        private Builder(SamplerOptions o) {
            temperature = o.temperature;
            topK = o.topK;
            topP = o.topP;
            minP = o.minP;
            typicalP = o.typicalP;
            repeatPenalty = o.repeatPenalty;
            repeatLastN = o.repeatLastN;
            presencePenalty = o.presencePenalty;
            frequencyPenalty = o.frequencyPenalty;
            logitBias = o.logitBias;
            seed = o.seed;
            minKeep = o.minKeep;
        }

        public Builder temperature(float v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(float v) { topP = v; return this; }
        public Builder minP(float v) { minP = v; return this; }
        public Builder typicalP(float v) { typicalP = v; return this; }
        public Builder repeatPenalty(float v) { repeatPenalty = v; return this; }
        public Builder repeatLastN(int v) { repeatLastN = v; return this; }
        public Builder presencePenalty(float v) { presencePenalty = v; return this; }
        public Builder frequencyPenalty(float v) { frequencyPenalty = v; return this; }
        public Builder logitBias(Map<Integer, Float> v) { logitBias = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder minKeep(int v) { minKeep = v; return this; }

        public SamplerOptions build() {
            return new SamplerOptions(temperature, topK, topP, minP, typicalP, repeatPenalty, repeatLastN,
                    presencePenalty, frequencyPenalty, logitBias, seed, minKeep);
        }
    }
}
