package io.jlama.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Side-by-side speed of jlama, llama.cpp and Jlama 0.8.4 on the same GGUF files, in one session.
 *
 * <p>For each model it runs, one after another and each in its own process: {@code jlama bench --json} (this
 * repository's {@code cli/target/jlama.jar}), the peers' {@code llamacpp-bench}, and our Jlama 0.8.4 runner
 * ({@code benchmarks/jlama-peer/target/jlama-peer.jar}) on the model converted to a Hugging Face directory by the peers'
 * {@code gguf-to-hf} (cached outside the repository). It prints a Markdown table with each engine's prompt and decode
 * tokens/s and their ratio to llama.cpp's, and optionally writes the same as JSON. An engine that cannot run a model
 * is shown as {@code n/a (reason)}; the others go on.
 *
 * <p>Run {@code benchmarks/run-peers.sh}, which builds what is needed, or, after a build,
 * {@code java -cp benchmarks/target/benchmarks.jar io.jlama.bench.PeerHarness --model M.gguf ...} ({@code -h} for
 * the options).
 */
public final class PeerHarness {
    static final String JLAMA = "jlama";
    static final String LLAMA_CPP = "llama.cpp";
    static final String JLAMA_PEER = "Jlama 0.8.4";

    static final String USAGE = """
            usage: PeerHarness --model M.gguf [--model M2.gguf ...] [--threads N] [-p 128] [-n 64] [--reps 3]
                               [--skip-jlama-peer] [--skip-llamacpp] [--skip-jlama] [--membw] [--json-out FILE] [--best]
                               [--jlama-jar JAR] [--jlama-peer-jar JAR] [--peers DIR] [--cache-dir DIR]
                               [--jlama-dtype f32|f16|bf16] [--java JAVA] [--jlama-jvm-opt OPT]... [--jlama-peer-jvm-opt OPT]...
                               [--timeout SECONDS] [--verbose]

              For each model, runs one after another, each in its own process, on the same threads and sizes:
                jlama        java -jar cli/target/jlama.jar bench -m M -p P -n N --reps R --threads T --json
                llama.cpp    PEERS/bin/llamacpp-bench -m M -t T --pp P --tg N --reps R
                Jlama 0.8.4  benchmarks/jlama-peer/target/jlama-peer.jar on M converted by PEERS/bin/gguf-to-hf
                             (--pad-ffn 32, weights as --jlama-dtype, default f32), pure-Java (Panama) kernels
              and prints a Markdown table: prompt and decode tokens/s and their ratio to llama.cpp's.

              --threads N         threads for every engine (default: the CPUs this JVM sees)
              -p / -n / --reps    prompt tokens (one batch), decoded tokens, measured repetitions (after a warm-up)
              --best              compare the best repetition instead of the median (llama.cpp: the mean)
              --membw             also run PEERS/bin/membw -t N and print the machine's read bandwidth
              --json-out FILE     also write the results (with each tool's raw JSON) to FILE
              --peers DIR         the peers toolkit (default: $JLAMA_PEERS, $JLAMA_SHARED/peers, or ../shared/peers
                                  next to this checkout)
              --cache-dir DIR     where converted models go (default: $JLAMA_BENCH_CACHE or ~/.cache/jlama-bench);
                                  must be outside the repository
              --java JAVA         the java (>= 22) that runs jlama and the Jlama peer (default: the one running this)
              --jlama-jvm-opt / --jlama-peer-jvm-opt OPT   extra JVM option for that engine (repeatable),
                                  e.g. --jlama-peer-jvm-opt -Xmx16g
              --timeout SECONDS   limit for each engine run and each conversion (default 3600)
              --verbose           echo the engines' stderr as they run
            Exit status: 0 when every jlama run succeeded (peers may be n/a), 1 when one failed, 2 on bad usage.""";

    /** One engine on one model. Rates are null when the engine did not run. */
    record Result(String model, Path modelPath, String weightType, String engine, Double prompt, Double decode,
                  Double promptBest, Double decodeBest, String error, Map<String, Object> raw, double seconds) {
        boolean ok() {
            return error == null;
        }
    }

    /** Everything measured in one session. */
    record Session(Options options, String cpu, String jdk, Map<String, Object> membw, String membwError,
                   List<Result> results) {}

    private PeerHarness() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream log) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            log.println("PeerHarness: " + e.getMessage());
            log.println(USAGE);
            return 2;
        }
        if (o.help) {
            out.println(USAGE);
            return 0;
        }
        Environment env;
        try {
            env = Environment.resolve(o);
        } catch (IllegalArgumentException e) {
            log.println("PeerHarness: " + e.getMessage());
            return 2;
        }
        Session s = new PeerHarness.Runner(o, env, log).runAll();
        out.print(Report.markdown(s));
        out.flush();
        if (o.jsonOut != null) {
            try {
                Report.writeJson(s, o.jsonOut);
                log.println("[harness] wrote " + o.jsonOut);
            } catch (IOException e) {
                log.println("PeerHarness: cannot write " + o.jsonOut + ": " + e.getMessage());
                return 1;
            }
        }
        boolean jlamaFailed = s.results().stream().anyMatch(r -> r.engine().equals(JLAMA) && !r.ok());
        return jlamaFailed ? 1 : 0;
    }

    /** Command-line options. */
    static final class Options {
        final List<Path> models = new ArrayList<>();
        int threads = Runtime.getRuntime().availableProcessors();
        int nPrompt = 128;
        int nGen = 64;
        int reps = 3;
        boolean skipJlama, skipLlamaCpp, skipJlamaPeer, membw, best, verbose, help;
        Path jsonOut, jlamaJar, peerJar, peersDir, cacheDir, java;
        String jlamaDtype = "f32";
        final List<String> jlamaJvmOpts = new ArrayList<>();
        final List<String> peerJvmOpts = new ArrayList<>();
        long timeoutSeconds = 3600;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h", "--help" -> o.help = true;
                    case "-m", "--model" -> o.models.add(Path.of(value(args, ++i, a)));
                    case "-t", "--threads" -> o.threads = number(args, ++i, a, 1);
                    case "-p", "--n-prompt" -> o.nPrompt = number(args, ++i, a, 1);
                    case "-n", "--n-gen" -> o.nGen = number(args, ++i, a, 1);
                    case "-r", "--reps" -> o.reps = number(args, ++i, a, 1);
                    case "--skip-jlama" -> o.skipJlama = true;
                    case "--skip-llamacpp" -> o.skipLlamaCpp = true;
                    case "--skip-jlama-peer" -> o.skipJlamaPeer = true;
                    case "--membw" -> o.membw = true;
                    case "--best" -> o.best = true;
                    case "--verbose", "-v" -> o.verbose = true;
                    case "--json-out" -> o.jsonOut = Path.of(value(args, ++i, a));
                    case "--jlama-jar" -> o.jlamaJar = Path.of(value(args, ++i, a));
                    case "--jlama-peer-jar" -> o.peerJar = Path.of(value(args, ++i, a));
                    case "--peers" -> o.peersDir = Path.of(value(args, ++i, a));
                    case "--cache-dir" -> o.cacheDir = Path.of(value(args, ++i, a));
                    case "--java" -> o.java = Path.of(value(args, ++i, a));
                    case "--jlama-jvm-opt" -> o.jlamaJvmOpts.add(value(args, ++i, a));
                    case "--jlama-peer-jvm-opt" -> o.peerJvmOpts.add(value(args, ++i, a));
                    case "--timeout" -> o.timeoutSeconds = number(args, ++i, a, 1);
                    case "--jlama-dtype" -> {
                        o.jlamaDtype = value(args, ++i, a).toLowerCase(Locale.ROOT);
                        if (!List.of("f32", "f16", "bf16").contains(o.jlamaDtype)) {
                            throw new IllegalArgumentException("--jlama-dtype must be f32, f16 or bf16");
                        }
                    }
                    default -> {
                        if (a.endsWith(".gguf") && !a.startsWith("-")) o.models.add(Path.of(a));
                        else throw new IllegalArgumentException("unknown argument " + a);
                    }
                }
            }
            if (!o.help && o.models.isEmpty()) throw new IllegalArgumentException("give at least one --model M.gguf");
            return o;
        }

        private static String value(String[] args, int i, String name) {
            if (i >= args.length) throw new IllegalArgumentException(name + " needs a value");
            return args[i];
        }

        private static int number(String[] args, int i, String name, int min) {
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
    }

    /** Where things are: the checkout, its jars, the peers toolkit, the conversion cache, the JVM to start. */
    record Environment(Path root, Path jlamaJar, Path peerJar, Path peersDir, Path cacheDir, Path java, boolean ownJava) {
        static Environment resolve(Options o) {
            Path root = repoRoot();
            Path jlamaJar = o.jlamaJar != null ? o.jlamaJar : root != null ? root.resolve("cli/target/jlama.jar") : Path.of("cli/target/jlama.jar");
            Path peerJar = o.peerJar != null ? o.peerJar
                    : root != null ? root.resolve("benchmarks/jlama-peer/target/jlama-peer.jar") : Path.of("benchmarks/jlama-peer/target/jlama-peer.jar");
            Path peers = o.peersDir;
            if (peers == null && System.getenv("JLAMA_PEERS") != null) peers = Path.of(System.getenv("JLAMA_PEERS"));
            if (peers == null && System.getenv("JLAMA_SHARED") != null) peers = Path.of(System.getenv("JLAMA_SHARED"), "peers");
            if (peers == null && root != null) peers = root.resolveSibling("shared").resolve("peers");
            if (peers == null) peers = Path.of("../shared/peers");
            Path cache = o.cacheDir;
            if (cache == null && System.getenv("JLAMA_BENCH_CACHE") != null) cache = Path.of(System.getenv("JLAMA_BENCH_CACHE"));
            if (cache == null) {
                String xdg = System.getenv("XDG_CACHE_HOME");
                cache = (xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("jlama-bench");
            }
            cache = cache.toAbsolutePath().normalize();
            if (root != null && cache.startsWith(root.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("the cache directory " + cache + " is inside the repository; choose one outside (--cache-dir)");
            }
            Path java = o.java != null ? o.java : Path.of(System.getProperty("java.home"), "bin", "java");
            return new Environment(root, jlamaJar.toAbsolutePath().normalize(), peerJar.toAbsolutePath().normalize(),
                    peers.toAbsolutePath().normalize(), cache, java, o.java == null);
        }

        /** The checkout this class was built in (or the working directory is in): the folder with cli/ and benchmarks/. */
        static Path repoRoot() {
            try {
                Path here = Path.of(PeerHarness.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                Path r = findRoot(here);
                if (r != null) return r;
            } catch (Exception e) {
                // no code source (unusual class loader): fall back to the working directory
            }
            return findRoot(Path.of("").toAbsolutePath());
        }

        private static Path findRoot(Path start) {
            for (Path d = start; d != null; d = d.getParent()) {
                if (Files.isRegularFile(d.resolve("cli/pom.xml")) && Files.isRegularFile(d.resolve("benchmarks/pom.xml"))) return d;
            }
            return null;
        }

        Path peersBin(String tool) {
            return peersDir.resolve("bin").resolve(tool);
        }
    }

    /** Runs the engines. */
    static final class Runner {
        private final Options o;
        private final Environment env;
        private final PrintStream log;

        Runner(Options o, Environment env, PrintStream log) {
            this.o = o;
            this.env = env;
            this.log = log;
        }

        Session runAll() {
            log.printf(Locale.ROOT, "[harness] %d model(s), %d threads, -p %d -n %d, %d reps; peers: %s%n", o.models.size(),
                    o.threads, o.nPrompt, o.nGen, o.reps, env.peersDir());
            Map<String, Object> membw = null;
            String membwError = null;
            if (o.membw) {
                log.println("[harness] membw -t " + o.threads + " ...");
                ChildProcess.Outcome r = exec(List.of(env.peersBin("membw").toString(), "-t", Integer.toString(o.threads)), "membw");
                try {
                    if (!r.ok()) throw new IllegalStateException(failure(r));
                    membw = FlatJson.lastObject(r.stdout());
                    if (FlatJson.number(membw, "read_GBs") == null) throw new IllegalStateException("no read_GBs in its output");
                } catch (RuntimeException e) {
                    membw = null;
                    membwError = e.getMessage();
                }
            }
            List<Result> results = new ArrayList<>();
            for (Path model : o.models) {
                ModelFacts facts = ModelFacts.read(model);
                if (facts.error() != null) log.println("[harness] " + model + ": our GGUF reader says: " + facts.error());
                if (!o.skipJlama) results.add(report(jlama(facts)));
                if (!o.skipLlamaCpp) results.add(report(llamaCpp(facts)));
                if (!o.skipJlamaPeer) results.add(report(jlamaPeer(facts)));
            }
            return new Session(o, cpuName(), System.getProperty("java.vm.name") + " " + Runtime.version(), membw,
                    membwError, results);
        }

        private Result report(Result r) {
            if (r.ok()) {
                log.printf(Locale.ROOT, "[harness]   %s: prompt %.2f tok/s, decode %.2f tok/s (%.1f s)%n", r.engine(),
                        r.prompt(), r.decode(), r.seconds());
            } else {
                log.printf(Locale.ROOT, "[harness]   %s: n/a (%s)%n", r.engine(), r.error());
            }
            return r;
        }

        private Result jlama(ModelFacts f) {
            log.println("[harness] " + f.name() + ": jlama ...");
            if (!Files.isRegularFile(env.jlamaJar())) {
                return failed(f, JLAMA, f.weightType(), env.jlamaJar() + " not found (build: scripts/mvn -q -B package -DskipTests)");
            }
            List<String> cmd = new ArrayList<>(List.of(env.java().toString(), "--add-modules", "jdk.incubator.vector"));
            cmd.addAll(o.jlamaJvmOpts);
            cmd.addAll(List.of("-jar", env.jlamaJar().toString(), "bench", "-m", f.path().toString(),
                    "-p", Integer.toString(o.nPrompt), "-n", Integer.toString(o.nGen), "--reps", Integer.toString(o.reps),
                    "--threads", Integer.toString(o.threads), "--json"));
            ChildProcess.Outcome r = exec(cmd, JLAMA);
            if (!r.ok()) return failed(f, JLAMA, f.weightType(), failure(r));
            try {
                Map<String, Object> j = FlatJson.lastObject(r.stdout());
                String wt = FlatJson.string(j, "weight_type");
                return measured(f, JLAMA, wt != null ? wt : f.weightType(), j,
                        o.best ? "prompt_tokens_per_second_max" : "prompt_tokens_per_second",
                        o.best ? "decode_tokens_per_second_max" : "decode_tokens_per_second",
                        "prompt_tokens_per_second_max", "decode_tokens_per_second_max", r.seconds());
            } catch (RuntimeException e) {
                return failed(f, JLAMA, f.weightType(), e.getMessage());
            }
        }

        private Result llamaCpp(ModelFacts f) {
            log.println("[harness] " + f.name() + ": llama.cpp ...");
            Path tool = env.peersBin("llamacpp-bench");
            if (!Files.isExecutable(tool)) return failed(f, LLAMA_CPP, f.weightType(), tool + " not found (--peers DIR)");
            ChildProcess.Outcome r = exec(List.of(tool.toString(), "-m", f.path().toString(), "-t", Integer.toString(o.threads),
                    "--pp", Integer.toString(o.nPrompt), "--tg", Integer.toString(o.nGen), "--reps", Integer.toString(o.reps)), LLAMA_CPP);
            if (!r.ok()) return failed(f, LLAMA_CPP, f.weightType(), failure(r));
            try {
                Map<String, Object> j = FlatJson.lastObject(r.stdout());
                return measured(f, LLAMA_CPP, f.weightType(), j,
                        o.best ? "pp_tok_s_best" : "pp_tok_s_mean", o.best ? "tg_tok_s_best" : "tg_tok_s_mean",
                        "pp_tok_s_best", "tg_tok_s_best", r.seconds());
            } catch (RuntimeException e) {
                return failed(f, LLAMA_CPP, f.weightType(), e.getMessage());
            }
        }

        private Result jlamaPeer(ModelFacts f) {
            log.println("[harness] " + f.name() + ": " + JLAMA_PEER + " ...");
            String dtype = o.jlamaDtype.toUpperCase(Locale.ROOT);
            String obstacle = f.jlamaPeerObstacle();
            if (obstacle != null) return failed(f, JLAMA_PEER, "-", obstacle);
            if (!Files.isRegularFile(env.peerJar())) {
                return failed(f, JLAMA_PEER, "-", env.peerJar() + " not found (build: scripts/mvn -q -B package -DskipTests)");
            }
            Path dir;
            try {
                dir = converted(f);
            } catch (RuntimeException e) {
                return failed(f, JLAMA_PEER, "-", "conversion failed: " + e.getMessage());
            }
            List<String> cmd = new ArrayList<>(List.of(env.java().toString(), "--add-modules", "jdk.incubator.vector",
                    "--enable-native-access=ALL-UNNAMED", "-Djlama.force_panama_tensor_operations=true",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.logFile=System.err"));
            if (env.ownJava() && Runtime.version().feature() >= 24) cmd.add("--sun-misc-unsafe-memory-access=allow"); // jctools
            cmd.addAll(o.peerJvmOpts);
            cmd.addAll(List.of("-jar", env.peerJar().toString(), "--model-dir", dir.toString(), "--label", f.path().toString(),
                    "--threads", Integer.toString(o.threads), "-p", Integer.toString(o.nPrompt), "-n", Integer.toString(o.nGen),
                    "--reps", Integer.toString(o.reps)));
            ChildProcess.Outcome r = exec(cmd, JLAMA_PEER);
            String planned = ranAs(f, dtype, 0);
            if (!r.ok()) {
                String why = failure(r);
                if (why.contains("IndexOutOfBounds") && f.headDim() > 0 && f.headDim() < 16) {
                    // Jlama 0.8.4 loads whole vectors from each attention head; 512-bit vectors overrun an 8-float head.
                    why = "Jlama fails on head size " + f.headDim() + ", narrower than its vectors on this CPU"
                            + " (try --jlama-peer-jvm-opt -XX:MaxVectorSize=32); " + why;
                }
                return failed(f, JLAMA_PEER, planned, why);
            }
            try {
                Map<String, Object> j = FlatJson.lastObject(r.stdout());
                String wt = FlatJson.string(j, "weight_type");
                Double ffn = FlatJson.number(j, "n_ffn");
                return measured(f, JLAMA_PEER, ranAs(f, wt != null ? wt : dtype, ffn != null ? ffn.intValue() : 0), j,
                        o.best ? "prompt_tokens_per_second_max" : "prompt_tokens_per_second",
                        o.best ? "decode_tokens_per_second_max" : "decode_tokens_per_second",
                        "prompt_tokens_per_second_max", "decode_tokens_per_second_max", r.seconds());
            } catch (RuntimeException e) {
                return failed(f, JLAMA_PEER, planned, e.getMessage());
            }
        }

        /** What Jlama actually computed with, e.g. "F32 (dequantized from Q4_0; FFN 172->192)". */
        static String ranAs(ModelFacts f, String jlamaType, int jlamaFfn) {
            List<String> notes = new ArrayList<>();
            String src = f.weightType();
            if (!src.equals(jlamaType)) {
                notes.add(src.startsWith("Q") || src.startsWith("I") ? "dequantized from " + src : "converted from " + src);
            }
            Set<String> viaLlamaCpp = f.typesNeedingLlamaCpp();
            if (!viaLlamaCpp.isEmpty()) notes.add("its " + String.join("/", viaLlamaCpp) + " tensors by llama.cpp");
            if (jlamaFfn > 0 && f.ffn() > 0 && jlamaFfn != f.ffn()) notes.add("FFN " + f.ffn() + "->" + jlamaFfn + " zero-padded");
            return notes.isEmpty() ? jlamaType : jlamaType + " (" + String.join("; ", notes) + ")";
        }

        /**
         * The model as a Hugging Face directory for Jlama, made once by the peers' gguf-to-hf and kept in the cache
         * under a name that changes with the file's path, size and modification time. A file with tensor types
         * gguf-to-hf cannot dequantize (llama.cpp's Q4_0 mix keeps output.weight in Q6_K) is first written as an F32
         * GGUF by llama.cpp's quantizer ({@code llamacpp-quantize --allow-requantize IN OUT F32}), which dequantizes
         * every type with ggml's own routines; that intermediate file is deleted afterwards.
         */
        private Path converted(ModelFacts f) {
            Path abs = f.path().toAbsolutePath().normalize();
            String key;
            try {
                key = abs + "|" + Files.size(abs) + "|" + Files.getLastModifiedTime(abs).toMillis();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String base = f.name().replaceFirst("\\.gguf$", "");
            Path dir = env.cacheDir().resolve("hf").resolve(base + "-" + sha256(key).substring(0, 12) + "-" + o.jlamaDtype + "-pad32");
            if (Files.isRegularFile(dir.resolve("config.json")) && Files.isRegularFile(dir.resolve("model.safetensors"))) {
                log.println("[harness]   using the converted model in " + dir);
                return dir;
            }
            Path tool = env.peersBin("gguf-to-hf");
            if (!Files.isExecutable(tool)) throw new IllegalStateException(tool + " not found (--peers DIR)");
            Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp-" + ProcessHandle.current().pid());
            Path f32 = dir.resolveSibling(dir.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-f32.gguf");
            try {
                Files.createDirectories(dir.getParent());
                deleteTree(tmp);
                Path source = abs;
                Set<String> viaLlamaCpp = f.typesNeedingLlamaCpp();
                if (!viaLlamaCpp.isEmpty()) {
                    Path quantize = env.peersBin("llamacpp-quantize");
                    if (!Files.isExecutable(quantize)) throw new IllegalStateException(quantize + " not found (--peers DIR)");
                    log.println("[harness]   " + f.name() + " has " + String.join("/", viaLlamaCpp)
                            + " tensors, which gguf-to-hf cannot read: dequantizing to F32 with llama.cpp first");
                    ChildProcess.Outcome q = exec(List.of(quantize.toString(), abs.toString(), f32.toString(), "F32",
                            "--allow-requantize", "-q"), "llamacpp-quantize");
                    if (!q.ok()) throw new IllegalStateException("llamacpp-quantize to F32: " + failure(q));
                    source = f32;
                }
                log.println("[harness]   converting " + source + " -> " + dir + " (gguf-to-hf --pad-ffn 32 --dtype " + o.jlamaDtype + "; once)");
                ChildProcess.Outcome r = exec(List.of(tool.toString(), source.toString(), tmp.toString(), "--pad-ffn", "32",
                        "--dtype", o.jlamaDtype), "gguf-to-hf");
                if (!r.ok()) throw new IllegalStateException(failure(r));
                deleteTree(dir);
                try {
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, dir);
                }
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                try {
                    deleteTree(tmp);
                    Files.deleteIfExists(f32);
                } catch (IOException e) {
                    log.println("[harness]   could not remove " + tmp + ": " + e.getMessage());
                }
            }
        }

        private ChildProcess.Outcome exec(List<String> cmd, String what) {
            if (o.verbose) log.println("[harness]   $ " + String.join(" ", cmd));
            return ChildProcess.run(cmd, Map.of(), o.timeoutSeconds, o.verbose ? log : null, "    " + what + " | ");
        }

        private String failure(ChildProcess.Outcome r) {
            if (r.timedOut()) return Text.fmt("timed out after %d s (--timeout)", o.timeoutSeconds);
            String line = Text.failureLine(r.stderrTail());
            return "exit " + r.exitCode() + (line.isEmpty() ? "" : ": " + line);
        }

        private Result measured(ModelFacts f, String engine, String weightType, Map<String, Object> j, String promptKey,
                                String decodeKey, String promptBestKey, String decodeBestKey, double seconds) {
            Double pp = FlatJson.number(j, promptKey), tg = FlatJson.number(j, decodeKey);
            if (pp == null || tg == null) {
                return failed(f, engine, weightType, "no " + (pp == null ? promptKey : decodeKey) + " in its JSON");
            }
            return new Result(f.name(), f.path(), weightType, engine, pp, tg, FlatJson.number(j, promptBestKey),
                    FlatJson.number(j, decodeBestKey), null, j, seconds);
        }

        private static Result failed(ModelFacts f, String engine, String weightType, String why) {
            return new Result(f.name(), f.path(), weightType, engine, null, null, null, null, Text.oneLine(why), Map.of(), 0);
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    static String cpuName() {
        String name = null;
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            name = lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElse(null);
        } catch (IOException | UncheckedIOException e) {
            // not Linux
        }
        if (name == null) name = System.getProperty("os.arch");
        return name + ", " + Runtime.getRuntime().availableProcessors() + " CPUs";
    }
}
