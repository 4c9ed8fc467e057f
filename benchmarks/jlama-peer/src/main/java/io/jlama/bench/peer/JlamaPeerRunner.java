package io.jlama.bench.peer;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;

import java.io.File;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

/**
 * Jlama 0.8.4 measured the way {@code jlama bench} measures our engine, for {@code io.jlama.bench.PeerHarness}.
 *
 * <p>It loads a Hugging Face directory (config.json, tokenizer.json, model.safetensors; the harness makes one from a
 * GGUF with the peers' {@code gguf-to-hf}) and times, per repetition, on a fresh KV cache each:
 * <ul>
 *   <li>prompt: one {@code batchForward} of {@code -p} token ids from position 0;</li>
 *   <li>decode: {@code -n} steps of {@code forward} of one token from position 0 followed by a greedy pick
 *       ({@code sample} at temperature 0, i.e. the output projection and an argmax).</li>
 * </ul>
 * One unmeasured warm-up repetition of the same size comes first (JIT). It prints one JSON object on stdout with the
 * field names of {@code jlama bench --json}; everything else goes to stderr.
 *
 * <p>This runs in its own JVM with Jlama's dependencies only. Start it with {@code --add-modules jdk.incubator.vector}
 * (the harness does); Jlama's pure-Java Vector API kernels are forced ({@code jlama.force_panama_tensor_operations}),
 * because its native kernels are not the pure-Java runtime we compare with.
 *
 * <pre>java --add-modules jdk.incubator.vector -jar benchmarks/jlama-peer/target/jlama-peer.jar --model-dir DIR
 *      [--threads 2] [-p 128] [-n 64] [--reps 3] [--label NAME] [--working-dtype F32] [--working-qtype I8]</pre>
 */
public final class JlamaPeerRunner {
    static final String ENGINE = "jlama-0.8.4";
    static final String FORCE_PANAMA = "jlama.force_panama_tensor_operations";

    private JlamaPeerRunner() {}

    public static void main(String[] args) {
        // Before any Jlama class is initialised: its provider reads this once, its logger is configured once.
        if (System.getProperty(FORCE_PANAMA) == null) System.setProperty(FORCE_PANAMA, "true");
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        if (System.getProperty("org.slf4j.simpleLogger.logFile") == null) {
            System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        }
        PrintStream out = System.out;
        System.setOut(System.err); // stdout carries exactly one JSON object
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("jlama-peer: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        if (o.help) {
            out.println(Options.USAGE);
            System.exit(0);
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            fail("the jdk.incubator.vector module is missing: start this JVM with --add-modules jdk.incubator.vector");
        }
        try {
            out.println(run(o));
            out.flush();
            System.exit(0); // Jlama's worker pools are not daemons
        } catch (Throwable t) {
            t.printStackTrace(System.err);
            Throwable root = t;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            fail(root.getClass().getSimpleName() + (root.getMessage() != null ? ": " + root.getMessage() : ""));
        }
    }

    private static void fail(String message) {
        System.err.println("jlama-peer: error: " + message);
        System.exit(1);
    }

    static String run(Options o) {
        File dir = new File(o.modelDir);
        if (!new File(dir, "config.json").isFile()) {
            throw new IllegalArgumentException(dir + " is not a Hugging Face model directory (no config.json)");
        }
        long t0 = System.nanoTime();
        AbstractModel model = ModelSupport.loadModel(dir, null, o.workingDType, o.workingQType, Optional.empty(),
                Optional.of(o.threads));
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        String ops = TensorOperationsProvider.get().name();
        if (!ops.toLowerCase(Locale.ROOT).contains("panama")) {
            throw new IllegalStateException("Jlama chose " + ops + ", not its pure-Java (Panama) operations");
        }
        Config c = model.getConfig();
        int vocab = c.vocabularySize;
        System.err.printf(Locale.ROOT, "jlama-peer: loaded %s in %.1f s: %s weights, ops %s, dim %d, ffn %d, layers %d, vocab %d, %d threads%n",
                dir, loadSeconds, model.getWeights().getModelDType(), ops, c.embeddingLength, c.hiddenLength,
                c.numberOfLayers, vocab, PhysicalCoreExecutor.instance.get().getCoreCount());
        if (Math.max(o.nPrompt, o.nGen) > c.contextLength) {
            throw new IllegalArgumentException("-p/-n exceed the model's context length " + c.contextLength);
        }

        Random rnd = new Random(1234);
        int[] prompt = new int[o.nPrompt];
        for (int i = 0; i < prompt.length; i++) prompt[i] = rnd.nextInt(vocab);
        double[] pp = new double[o.reps], tg = new double[o.reps];
        KvBufferCache kvCache = new KvBufferCache(model);
        try (AbstractTensor<?, ?> logits = model.makeDenseTensor(vocab)) {
            for (int rep = -1; rep < o.reps; rep++) { // rep -1: the warm-up
                double ppRate = 0, tgRate = 0;
                if (o.nPrompt > 0) {
                    try (KvBufferCache.KvBuffer kv = kvCache.getKvBuffer(UUID.randomUUID())) {
                        long s = System.nanoTime();
                        AbstractTensor<?, ?> last = model.batchForward(prompt, 0, kv);
                        ppRate = o.nPrompt / ((System.nanoTime() - s) / 1e9);
                        last.close();
                    }
                }
                if (o.nGen > 0) {
                    try (KvBufferCache.KvBuffer kv = kvCache.getKvBuffer(UUID.randomUUID())) {
                        int token = rnd.nextInt(vocab);
                        long s = System.nanoTime();
                        for (int pos = 0; pos < o.nGen; pos++) {
                            AbstractTensor<?, ?> h = model.forward(token, pos, kv, Optional.empty());
                            token = model.sample(h, 0f, 0f, logits);
                            h.close();
                        }
                        tgRate = o.nGen / ((System.nanoTime() - s) / 1e9);
                    }
                }
                if (rep >= 0) {
                    pp[rep] = ppRate;
                    tg[rep] = tgRate;
                }
                System.err.printf(Locale.ROOT, "jlama-peer: %s: prompt %.2f tok/s, decode %.2f tok/s%n",
                        rep < 0 ? "warm-up (not counted)" : "rep " + (rep + 1), ppRate, tgRate);
            }
        }

        StringBuilder j = new StringBuilder("{");
        field(j, "engine", ENGINE);
        field(j, "model", o.label != null ? o.label : o.modelDir);
        field(j, "model_dir", dir.getAbsolutePath());
        field(j, "weight_type", model.getWeights().getModelDType().name());
        field(j, "working_dtype", o.workingDType.name());
        field(j, "working_qtype", o.workingQType.name());
        field(j, "ops", ops);
        number(j, "threads", PhysicalCoreExecutor.instance.get().getCoreCount());
        number(j, "n_prompt", o.nPrompt);
        number(j, "n_gen", o.nGen);
        number(j, "reps", o.reps);
        number(j, "n_ffn", c.hiddenLength);
        number(j, "n_vocab", vocab);
        number(j, "load_seconds", loadSeconds);
        if (o.nPrompt > 0) stats(j, "prompt_tokens_per_second", pp);
        if (o.nGen > 0) stats(j, "decode_tokens_per_second", tg);
        j.setLength(j.length() - 1);
        return j.append('}').toString();
    }

    private static void stats(StringBuilder j, String name, double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        number(j, name, n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2);
        number(j, name + "_min", s[0]);
        number(j, name + "_max", s[n - 1]);
    }

    private static void number(StringBuilder j, String name, double v) {
        j.append('"').append(name).append("\":");
        if (v == Math.rint(v) && Math.abs(v) < 1e15) j.append((long) v);
        else j.append(String.format(Locale.ROOT, "%.4f", v));
        j.append(',');
    }

    private static void field(StringBuilder j, String name, String v) {
        j.append('"').append(name).append("\":\"");
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            switch (ch) {
                case '"' -> j.append("\\\"");
                case '\\' -> j.append("\\\\");
                case '\n' -> j.append("\\n");
                case '\r' -> j.append("\\r");
                case '\t' -> j.append("\\t");
                default -> {
                    if (ch < 0x20) j.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    else j.append(ch);
                }
            }
        }
        j.append("\",");
    }

    /** Command-line options, in the style of {@code jlama bench}. */
    static final class Options {
        static final String USAGE = """
                usage: jlama-peer --model-dir DIR [--threads N] [-p N] [-n N] [--reps N] [--label NAME]
                                  [--working-dtype F32|BF16] [--working-qtype I8|F32|BF16]
                  DIR: a Hugging Face directory (config.json, tokenizer.json, model.safetensors) Jlama 0.8.4 can load
                  -p prompt tokens (one batch, default 128); -n decoded tokens (default 64); --reps measured repetitions
                  (default 3) after one warm-up. Prints one JSON object on stdout.""";

        String modelDir;
        String label;
        int threads = Runtime.getRuntime().availableProcessors();
        int nPrompt = 128;
        int nGen = 64;
        int reps = 3;
        DType workingDType = DType.F32;
        DType workingQType = DType.I8;
        boolean help;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h", "--help" -> o.help = true;
                    case "--model-dir", "-m" -> o.modelDir = value(args, ++i, a);
                    case "--label" -> o.label = value(args, ++i, a);
                    case "--threads", "-t" -> o.threads = positive(args, ++i, a, 1);
                    case "-p", "--n-prompt" -> o.nPrompt = positive(args, ++i, a, 0);
                    case "-n", "--n-gen" -> o.nGen = positive(args, ++i, a, 0);
                    case "--reps", "-r" -> o.reps = positive(args, ++i, a, 1);
                    case "--working-dtype" -> o.workingDType = dtype(args, ++i, a);
                    case "--working-qtype" -> o.workingQType = dtype(args, ++i, a);
                    default -> throw new IllegalArgumentException("unknown argument " + a);
                }
            }
            if (!o.help && o.modelDir == null) throw new IllegalArgumentException("--model-dir is required");
            return o;
        }

        private static String value(String[] args, int i, String name) {
            if (i >= args.length) throw new IllegalArgumentException(name + " needs a value");
            return args[i];
        }

        private static int positive(String[] args, int i, String name, int min) {
            String v = value(args, i, name);
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + ": not a number: " + v);
            }
            if (n < min) throw new IllegalArgumentException(name + " must be >= " + min + ", got " + n);
            return n;
        }

        private static DType dtype(String[] args, int i, String name) {
            String v = value(args, i, name);
            try {
                return DType.valueOf(v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": unknown Jlama DType " + v);
            }
        }
    }
}
