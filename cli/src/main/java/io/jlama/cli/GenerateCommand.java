package io.jlama.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.jlama.generate.GenerateOptions;
import io.jlama.generate.GenerationResult;
import io.jlama.generate.LanguageModel;
import io.jlama.generate.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/** {@code jlama generate}: greedy text generation from a prompt, streamed. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt (greedy decoding).")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT", description = "the prompt")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", description = "tokens to generate at most (default: ${DEFAULT-VALUE})")
    int maxTokens = 128;

    @Option(names = "--temperature", paramLabel = "T", description = "sampling temperature; only 0 (greedy) for now (default: ${DEFAULT-VALUE})")
    float temperature = 0f;

    @Option(names = "--ignore-eos", description = "do not stop at the model's end-of-generation tokens")
    boolean ignoreEos;

    @Option(names = "--json", description = "print one JSON object at the end instead of streaming text")
    boolean json;

    @Override
    public Integer call() throws Exception {
        GenerateOptions opts = new GenerateOptions(maxTokens, temperature, !ignoreEos);
        PrintStream out = Console.out();
        try (LanguageModel m = model.load(); Session s = m.newSession()) {
            GenerationResult r;
            if (json) {
                r = s.generate(prompt, opts, null);
                try (JsonGenerator g = Json.to(out, false)) {
                    g.writeStartObject();
                    g.writeStringField("model", model.model.toString());
                    Json.intArray(g, "prompt_tokens", r.promptTokens());
                    Json.intArray(g, "tokens", r.tokens());
                    g.writeStringField("text", r.text());
                    g.writeStringField("stop_reason", r.stopReason().name().toLowerCase());
                    g.writeNumberField("threads", m.threads());
                    g.writeNumberField("prompt_seconds", r.promptSeconds());
                    g.writeNumberField("decode_seconds", r.decodeSeconds());
                    g.writeNumberField("prompt_tokens_per_second", r.promptTokensPerSecond());
                    g.writeNumberField("decode_tokens_per_second", r.decodeTokensPerSecond());
                    g.writeEndObject();
                }
                out.println();
            } else {
                out.print(prompt);
                out.flush();
                r = s.generate(prompt, opts, (id, text) -> {
                    out.print(text);
                    out.flush();
                });
                out.println();
                out.flush();
                System.err.printf("jlama: prompt %d tokens, %.1f tok/s | generated %d tokens, %.1f tok/s | %d threads | stop: %s%n",
                        r.promptTokens().length, r.promptTokensPerSecond(), r.tokens().length, r.decodeTokensPerSecond(), m.threads(),
                        r.stopReason().name().toLowerCase());
            }
        }
        out.flush();
        return 0;
    }
}
