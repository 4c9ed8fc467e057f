package io.jlama.generate;

import io.jlama.model.Transformer;
import io.jlama.tokenizer.StreamingDecoder;
import io.jlama.tokenizer.Tokenizer;

import io.jlama.sampling.Sampler;
import io.jlama.sampling.StopStrings;
import io.jlama.sampling.TokenChoice;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One conversation with a model: a KV cache and a position. Tokens fed to a session stay in its cache, so a later
 * call continues where the last one ended. A session is used by one thread at a time.
 */
public final class Session implements AutoCloseable {
    private final LanguageModel model;
    private final Transformer.State state;
    private final float[] logits;
    private final int[] one = new int[1];
    private volatile boolean cancelled;

    Session(LanguageModel model, Transformer.State state) {
        this.model = model;
        this.state = state;
        this.logits = new float[model.config().vocabSize()];
    }

    /** Tokens held in the KV cache. */
    public int position() {
        return state.position();
    }

    public int contextLength() {
        return state.contextLength();
    }

    /** Forgets everything: the next token goes to position 0. */
    public void reset() {
        state.rewind(0);
    }

    /** Forgets the tokens from {@code position} on, keeping the cache before it (reusing a shared prefix). */
    public void rewind(int position) {
        state.rewind(position);
    }

    /**
     * The logits after the last token fed (by {@link #feed} or during {@link #generate}): a view that the next call
     * overwrites. Zeros before anything was fed.
     */
    public float[] lastLogits() {
        return logits;
    }

    /** The model this session runs on. */
    public LanguageModel model() {
        return model;
    }

    /**
     * Feeds tokens and returns the logits after the last one (a view valid until the next call), or with
     * {@code allLogits} a new array of {@code [tokens.length][vocab]} logits, one row per position.
     */
    public float[] feed(int[] tokens, boolean allLogits) {
        checkRoom(tokens.length);
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to feed");
        float[] out = allLogits ? new float[tokens.length * model.config().vocabSize()] : logits;
        model.transformer().forward(state, model.pool(), tokens, 0, tokens.length, out, allLogits);
        return out;
    }

    private void checkRoom(int n) {
        if (state.position() + n > state.contextLength()) {
            throw new ContextOverflowException(state.position(), n, state.contextLength());
        }
    }

    /**
     * Tokenizes the prompt (with BOS when the cache is empty and the model adds one) and generates from it,
     * continuing the session's KV cache.
     */
    public GenerationResult generate(String prompt, GenerateOptions options, TokenListener listener) {
        int[] ids = model.tokenizer().encode(prompt, position() == 0, false);
        return generate(ids, options, listener);
    }

    /**
     * Stops a generation running on another thread after its current token. Safe to call from any thread; a
     * generation that starts afterwards runs normally.
     */
    public void cancel() {
        cancelled = true;
    }

    /**
     * Generates from prompt token ids, streaming each token to the listener (which may be null). The prompt is
     * appended to the session's KV cache, and so are the generated tokens (except the last, which is never fed).
     */
    public GenerationResult generate(int[] promptTokens, GenerateOptions options, TokenListener listener) {
        if (promptTokens.length == 0) throw new IllegalArgumentException("the prompt is empty: nothing to continue from");
        checkRoom(promptTokens.length);
        cancelled = false;
        Tokenizer tok = model.tokenizer();
        StreamingDecoder decoder = tok.streamingDecoder(true); // a continuation: keep a leading space
        Sampler sampler = new Sampler(model.config().vocabSize(), options.sampling(), state.contextLength());
        sampler.accept(promptTokens, 0, promptTokens.length); // penalties see the prompt, as llama.cpp's server does
        StopStrings stops = options.stop().isEmpty() ? null : new StopStrings(options.stop());
        boolean wantEvents = options.topLogprobs() > 0;
        List<TokenEvent> events = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        int[] out = new int[Math.min(options.maxTokens(), Math.max(0, state.contextLength() - state.position()))];
        int count = 0;
        long t0 = System.nanoTime();
        float[] l = feed(promptTokens, false);
        long t1 = System.nanoTime();
        GenerationResult.StopReason reason = GenerationResult.StopReason.MAX_TOKENS;
        while (count < options.maxTokens()) {
            if (cancelled) {
                reason = GenerationResult.StopReason.CANCELLED;
                break;
            }
            TokenChoice choice = sampler.sample(l, options.topLogprobs());
            int next = choice.id();
            if (options.stopAtEog() && tok.vocabulary().isEndOfGeneration(next)) {
                reason = GenerationResult.StopReason.END_OF_GENERATION;
                break;
            }
            if (count == out.length) {
                reason = GenerationResult.StopReason.CONTEXT_FULL;
                break;
            }
            out[count++] = next;
            String piece = decoder.accept(next);
            String emit = stops != null ? stops.append(piece) : piece;
            text.append(emit);
            TokenEvent ev = new TokenEvent(next, emit, choice.logprob(), choice.top());
            if (wantEvents) events.add(ev);
            if (listener != null) listener.onToken(ev);
            if (stops != null && stops.stopped()) {
                reason = GenerationResult.StopReason.STOP_STRING;
                break;
            }
            if (count == options.maxTokens()) break;
            if (state.position() >= state.contextLength()) {
                reason = GenerationResult.StopReason.CONTEXT_FULL;
                break;
            }
            one[0] = next;
            l = feed(one, false);
        }
        String rest = decoder.finish();
        if (stops != null && !stops.stopped()) rest = stops.append(rest) + stops.flush();
        else if (stops != null) rest = "";
        if (!rest.isEmpty()) {
            text.append(rest);
            if (listener != null) listener.onToken(new TokenEvent(-1, rest, Float.NaN, List.of()));
        }
        long t2 = System.nanoTime();
        return new GenerationResult(promptTokens.clone(), Arrays.copyOf(out, count), text.toString(), reason, (t1 - t0) / 1e9,
                (t2 - t1) / 1e9, List.copyOf(events), sampler.seed());
    }

    @Override
    public void close() {
        // The KV cache is plain heap memory; nothing to release beyond dropping the reference.
    }
}
