package io.jlama.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.jlama.generate.LanguageModel;
import io.jlama.generate.Session;
import io.jlama.gguf.GgufTensor;
import io.jlama.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code jlama bench}: prompt-processing and decode speed like llama-bench. The prompt test feeds {@code -p} random
 * tokens as one batch into an empty context; the decode test feeds {@code -n} tokens one at a time from an empty
 * context. A warm-up run of each (excluded) lets the JIT compile the kernels first.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure prompt and decode tokens/s (like llama-bench).")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", description = "prompt tokens (default: ${DEFAULT-VALUE})")
    int nPrompt = 128;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", description = "decoded tokens (default: ${DEFAULT-VALUE})")
    int nGen = 64;

    @Option(names = {"-r", "--reps"}, paramLabel = "N", description = "measured repetitions (default: ${DEFAULT-VALUE})")
    int reps = 3;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (nPrompt < 0 || nGen < 0 || reps < 1) throw new IllegalArgumentException("-p and -n must be >= 0 and --reps >= 1");
        if (model.contextLength == 0) model.contextLength = Math.max(nPrompt, nGen) + 1;
        if (model.batchSize < nPrompt) model.batchSize = Math.max(model.batchSize, Math.min(nPrompt, 512));
        PrintStream out = Console.out();
        try (LanguageModel m = model.load(); Session s = m.newSession()) {
            int vocab = m.config().vocabSize();
            Random rnd = new Random(1234);
            int[] prompt = new int[nPrompt];
            for (int i = 0; i < nPrompt; i++) prompt[i] = rnd.nextInt(vocab);
            int[] one = new int[1];
            double[] pp = new double[reps], tg = new double[reps];
            for (int rep = -1; rep < reps; rep++) { // rep -1 is the warm-up
                if (nPrompt > 0) {
                    s.reset();
                    long t0 = System.nanoTime();
                    s.feed(prompt, false);
                    double sec = (System.nanoTime() - t0) / 1e9;
                    if (rep >= 0) pp[rep] = nPrompt / sec;
                }
                if (nGen > 0) {
                    s.reset();
                    one[0] = rnd.nextInt(vocab);
                    long t0 = System.nanoTime();
                    for (int i = 0; i < nGen; i++) {
                        float[] l = s.feed(one, false);
                        one[0] = argmaxOr(l, rnd, vocab);
                    }
                    double sec = (System.nanoTime() - t0) / 1e9;
                    if (rep >= 0) tg[rep] = nGen / sec;
                }
            }
            String type = weightType(m);
            if (json) {
                try (JsonGenerator g = Json.to(out, false)) {
                    g.writeStartObject();
                    g.writeStringField("engine", "jlama");
                    g.writeStringField("model", model.model.toString());
                    g.writeStringField("weight_type", type);
                    g.writeNumberField("threads", m.threads());
                    g.writeNumberField("n_prompt", nPrompt);
                    g.writeNumberField("n_gen", nGen);
                    g.writeNumberField("reps", reps);
                    stats(g, "prompt_tokens_per_second", nPrompt > 0 ? pp : null);
                    stats(g, "decode_tokens_per_second", nGen > 0 ? tg : null);
                    g.writeEndObject();
                }
                out.println();
            } else {
                out.printf("model: %s (%s), %d threads%n", model.model, type, m.threads());
                if (nPrompt > 0) out.printf("pp%-5d %8.2f tok/s  (min %.2f, max %.2f, %d reps)%n", nPrompt, median(pp), min(pp), max(pp), reps);
                if (nGen > 0) out.printf("tg%-5d %8.2f tok/s  (min %.2f, max %.2f, %d reps)%n", nGen, median(tg), min(tg), max(tg), reps);
            }
        }
        out.flush();
        return 0;
    }

    /** The next token: greedy, but random when the logits are degenerate (random-weight models). */
    private static int argmaxOr(float[] l, Random rnd, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) if (l[i] > l[best]) best = i;
        return Float.isFinite(l[best]) ? best : rnd.nextInt(vocab);
    }

    /** The weight type of most parameters among the 2-D tensors (what the file is "in"). */
    static String weightType(LanguageModel m) {
        Map<GgmlType, Long> params = new TreeMap<>();
        for (GgufTensor t : m.gguf().tensors().values()) {
            if (t.ne().length >= 2) params.merge(t.type(), t.elementCount(), Long::sum);
        }
        return params.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().name()).orElse("?");
    }

    private static void stats(JsonGenerator g, String name, double[] v) throws java.io.IOException {
        if (v == null) return;
        g.writeNumberField(name, median(v));
        g.writeNumberField(name + "_min", min(v));
        g.writeNumberField(name + "_max", max(v));
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }
}
