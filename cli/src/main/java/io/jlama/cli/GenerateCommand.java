package io.jlama.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.jlama.generate.Chat;
import io.jlama.generate.GenerateOptions;
import io.jlama.generate.TokenListener;
import io.jlama.generate.GenerationResult;
import io.jlama.generate.LanguageModel;
import io.jlama.generate.Session;
import io.jlama.generate.TokenEvent;
import io.jlama.sampling.TokenChoice;
import io.jlama.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.Callable;

/** {@code jlama generate}: text generation from a prompt, streamed. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Mixin
    SamplingOptions sampling;

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT", description = "the prompt")
    String prompt;

    @Option(names = "--json", description = "print one JSON object at the end instead of streaming text")
    boolean json;

    @Option(names = "--chat", description = "wrap the prompt as a user message in the model's chat template")
    boolean chatMode;

    @Option(names = "--system", paramLabel = "TEXT", description = "with --chat: a system message")
    String system;

    @Override
    public Integer call() throws Exception {
        GenerateOptions opts = sampling.toGenerateOptions();
        PrintStream out = Console.out();
        try (LanguageModel m = model.load(); Session s = m.newSession()) {
            GenerationResult r;
            Chat chat = chatMode ? new Chat(s, m.chatTemplate()).system(system) : null;
            if (!chatMode && system != null) throw new IllegalArgumentException("--system needs --chat");
            if (json) {
                r = chat != null ? chat.send(prompt, opts, null) : s.generate(prompt, opts, null);
                try (JsonGenerator g = Json.to(out, false)) {
                    g.writeStartObject();
                    g.writeStringField("model", model.model.toString());
                    Json.intArray(g, "prompt_tokens", r.promptTokens());
                    Json.intArray(g, "tokens", r.tokens());
                    g.writeStringField("text", r.text());
                    g.writeStringField("stop_reason", r.stopReason().name().toLowerCase());
                    g.writeNumberField("seed", r.seed());
                    g.writeNumberField("threads", m.threads());
                    g.writeNumberField("prompt_seconds", r.promptSeconds());
                    g.writeNumberField("decode_seconds", r.decodeSeconds());
                    g.writeNumberField("prompt_tokens_per_second", r.promptTokensPerSecond());
                    g.writeNumberField("decode_tokens_per_second", r.decodeTokensPerSecond());
                    if (opts.topLogprobs() > 0) writeLogprobs(g, m.tokenizer(), r);
                    g.writeEndObject();
                }
                out.println();
            } else {
                if (chat == null) out.print(prompt);
                out.flush();
                TokenListener print = ev -> {
                    out.print(ev.text());
                    out.flush();
                };
                r = chat != null ? chat.send(prompt, opts, print) : s.generate(prompt, opts, print);
                out.println();
                out.flush();
                System.err.printf("jlama: prompt %d tokens, %.1f tok/s | generated %d tokens, %.1f tok/s | %d threads | seed %d | stop: %s%n",
                        r.promptTokens().length, r.promptTokensPerSecond(), r.tokens().length, r.decodeTokensPerSecond(), m.threads(),
                        r.seed(), r.stopReason().name().toLowerCase());
            }
        }
        out.flush();
        return 0;
    }

    /** Like the OpenAI API's {@code logprobs.content}: each token, its log-probability and the top alternatives. */
    static void writeLogprobs(JsonGenerator g, Tokenizer tok, GenerationResult r) throws IOException {
        g.writeArrayFieldStart("logprobs");
        for (TokenEvent ev : r.events()) {
            if (ev.id() < 0) continue;
            g.writeStartObject();
            g.writeNumberField("id", ev.id());
            g.writeStringField("token", TokenizeCommand.piece(tok, ev.id()));
            g.writeNumberField("logprob", clamp(ev.logprob()));
            g.writeArrayFieldStart("top_logprobs");
            for (TokenChoice.Alternative a : ev.top()) {
                g.writeStartObject();
                g.writeNumberField("id", a.id());
                g.writeStringField("token", TokenizeCommand.piece(tok, a.id()));
                g.writeNumberField("logprob", clamp(a.logprob()));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** JSON has no infinity: an impossible token gets the most negative float, as llama.cpp writes it. */
    static float clamp(float lp) {
        return Float.isInfinite(lp) || Float.isNaN(lp) ? -Float.MAX_VALUE : lp;
    }
}
