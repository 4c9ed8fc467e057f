/**
 * Token sampling as llama.cpp does it: {@link io.jlama.sampling.SamplerOptions} (llama.cpp's defaults),
 * {@link io.jlama.sampling.Sampler} (logit bias, penalties, top-k, typical-p, top-p, min-p, temperature, seeded draw;
 * allocation-free per token), {@link io.jlama.sampling.TokenChoice} (log-probabilities for {@code --top-logprobs})
 * and {@link io.jlama.sampling.StopStrings} (stop strings across token boundaries, never printed).
 *
 * <p>A generation loop wires them like this:
 * <pre>{@code
 * Sampler sampler = new Sampler(vocabSize, options, session.contextLength());
 * sampler.accept(promptIds, 0, promptIds.length);   // the penalties see the prompt, as llama.cpp's server does
 * StopStrings stops = new StopStrings(stopList);
 * float[] logits = session.feed(promptIds, false);
 * for (int n = 0; n < maxTokens; n++) {
 *     int id = sampler.sample(logits);               // or: TokenChoice c = sampler.sample(logits, topLogprobs)
 *     if (vocabulary.isEndOfGeneration(id)) break;
 *     out.print(stops.append(decoder.accept(id)));   // only the text that cannot start a stop string
 *     if (stops.stopped()) break;
 *     logits = session.feed(new int[] {id}, false);
 * }
 * out.print(stops.flush());                          // whatever was held back, when no stop string came
 * }</pre>
 * One sampler and one {@code StopStrings} per generation stream; neither is thread-safe, and neither depends on the
 * number of threads the model runs on.
 */
package io.jlama.sampling;
