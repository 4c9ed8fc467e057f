package io.jlama.cli;

import io.jlama.generate.Chat;
import io.jlama.generate.GenerateOptions;
import io.jlama.generate.GenerationResult;
import io.jlama.generate.LanguageModel;
import io.jlama.generate.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code jlama chat}: an interactive conversation. Each line typed is a user message; the reply streams out. The
 * history stays in the KV cache, so each turn only processes the new tokens. {@code /reset} starts over,
 * {@code /exit} or end of input (Ctrl-D) quits.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, description = "Chat with a model in the terminal (/reset, /exit, Ctrl-D).")
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--system", paramLabel = "TEXT", description = "the system message")
    String system;

    @Option(names = "--show-prompt", description = "print, on stderr, the exact text each turn renders (for debugging templates)")
    boolean showPrompt;

    @Override
    public Integer call() throws Exception {
        GenerateOptions opts = sampling.toGenerateOptions();
        PrintStream out = Console.out();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (LanguageModel m = model.load(); Session s = m.newSession()) {
            Chat chat = new Chat(s, m.chatTemplate()).system(system);
            out.println("jlama chat: " + model.model.getFileName() + (m.chatTemplate().isFallback() ? " (no chat template in the model: plain format)" : "")
                    + ". Type a message; /reset starts over, /exit or Ctrl-D quits.");
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null) { // Ctrl-D
                    out.println();
                    break;
                }
                String text = line.strip();
                if (text.isEmpty()) continue;
                if (text.equals("/exit") || text.equals("/quit")) break;
                if (text.equals("/reset")) {
                    chat.reset();
                    out.println("(conversation reset)");
                    continue;
                }
                if (showPrompt) System.err.print(chat.render(line));
                GenerationResult r = chat.send(line, opts, ev -> {
                    out.print(ev.text());
                    out.flush();
                });
                out.println();
                if (r.stopReason() == GenerationResult.StopReason.CONTEXT_FULL) {
                    out.println("(context full: /reset to start over, or use a larger --ctx-size)");
                }
                out.flush();
            }
        }
        out.flush();
        return 0;
    }
}
