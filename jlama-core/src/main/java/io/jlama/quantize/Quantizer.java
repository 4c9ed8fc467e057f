package io.jlama.quantize;

import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufTensor;
import io.jlama.gguf.GgufWriter;
import io.jlama.tensor.GgmlType;
import io.jlama.tensor.Tensor;
import io.jlama.tensor.Tensors;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code llama-quantize}: reads a GGUF, writes one whose weight matrices are quantized for a {@link QuantType},
 * choosing the same types per tensor, in the same tensor order, with the same metadata and the same bytes as
 * llama.cpp's {@code llama_model_quantize} (without an importance matrix).
 *
 * <p>Rules, as in llama.cpp's {@code llama-quant.cpp}:
 * <ul>
 * <li>Only tensors of 2 or more dimensions whose name ends in {@code weight} are quantized, except norms
 * ({@code _norm.weight}), MoE gates ({@code ffn_gate_inp.weight}), position/token-type embeddings, and the other small
 * tensors llama.cpp leaves alone; the rest are copied unchanged.</li>
 * <li>The per-tensor type is {@link QuantMix}'s: the mix of the file type unless {@code --pure}, then the fallback
 * for rows that are not a whole number of blocks (Q4_K to Q5_0, Q6_K to Q8_0, ..., and F16 as the last resort).
 * {@code --output-type} / {@code --embd-type} override the type of {@code output.weight} / {@code token_embd.weight}.</li>
 * <li>Tensors are written in llama.cpp's loader order: by layer number (tensors outside {@code blk.N.} first), then
 * by name; metadata is copied in order, the split keys are dropped, and {@code general.quantization_version} = 2 and
 * {@code general.file_type} are (re)appended at the end.</li>
 * </ul>
 * The output is written to a temporary file in the output's folder and renamed when complete, so that a failed or
 * interrupted run never leaves the output file. One slab of rows of one tensor is held in memory at a time.
 */
public final class Quantizer {
    /** The ggml quantization version llama.cpp writes (GGML_QNT_VERSION). */
    public static final int QUANTIZATION_VERSION = 2;
    private static final long SLAB_BYTES = 32L << 20;

    /** What to do. Null output/embedding types mean "as the mix decides". */
    public record Options(QuantType type, int threads, boolean pure, GgmlType outputType, GgmlType embdType, boolean allowRequantize) {
        public Options {
            if (threads < 1) throw new IllegalArgumentException("threads must be at least 1");
        }

        public static Options of(QuantType type) {
            return new Options(type, Math.max(1, Runtime.getRuntime().availableProcessors()), false, null, null, false);
        }

        /** The file type whose default tensor type is {@code type} (Q4_K means Q4_K_M, as in llama-quantize). */
        public static Options of(GgmlType type) {
            QuantType q = QuantType.of(type);
            if (q == null) throw new IllegalArgumentException("quantizing to " + type + " is not supported (supported: " + QuantType.names() + ")");
            return of(q);
        }

        public Options withPure(boolean p) {
            return new Options(type, threads, p, outputType, embdType, allowRequantize);
        }

        public Options withThreads(int t) {
            return new Options(type, t, pure, outputType, embdType, allowRequantize);
        }

        public Options withOutputType(GgmlType t) {
            return new Options(type, threads, pure, t, embdType, allowRequantize);
        }

        public Options withEmbdType(GgmlType t) {
            return new Options(type, threads, pure, outputType, t, allowRequantize);
        }

        public Options withAllowRequantize(boolean a) {
            return new Options(type, threads, pure, outputType, embdType, a);
        }
    }

    /** Told about each tensor just before its data is written; may throw to abort the run. */
    @FunctionalInterface
    public interface Listener {
        void tensor(int index, int count, GgufTensor source, GgmlType target) throws IOException;
    }

    /** The result of a run. */
    public record Summary(long sizeBefore, long sizeAfter, long fileSize, int quantized, int fallbacks, long nanos) {
    }

    /** A plan entry: one tensor, the type it is written as, and the type it fell back from (or null). */
    public record Planned(GgufTensor source, GgmlType target, GgmlType fellBackFrom) {
        public boolean fallback() {
            return fellBackFrom != null;
        }
    }

    private final Options options;
    private final PrintStream log;
    private PrintStream tensorLog;
    private Listener listener = (i, n, s, t) -> { };

    public Quantizer(Options options, PrintStream log) {
        this.options = options;
        this.log = log;
        this.tensorLog = log;
        if (options.type == null) throw new IllegalArgumentException("no quantization type given");
        for (GgmlType t : new GgmlType[] {options.outputType, options.embdType}) {
            if (t != null && !RowQuantizer.supports(t)) throw new IllegalArgumentException("quantizing to " + t + " is not supported");
        }
    }

    /** Where the line per tensor goes (llama-quantize's "[ i/ n] name - ..."); by default the log, null for nowhere. */
    public Quantizer tensorLog(PrintStream out) {
        this.tensorLog = out == null ? new PrintStream(java.io.OutputStream.nullOutputStream()) : out;
        return this;
    }

    public Quantizer listener(Listener l) {
        this.listener = l;
        return this;
    }

    /** The tensors in llama.cpp's order with the type each one gets. */
    public List<Planned> plan(GgufFile in) {
        List<GgufTensor> tensors = new ArrayList<>(in.tensors().values());
        tensors.sort(Comparator.comparingInt((GgufTensor t) -> layerOf(t.name())).thenComparing(GgufTensor::name, Quantizer::compareBytes));
        QuantMix mix = new QuantMix(options.type, options.pure, options.outputType, options.embdType, in, tensors);
        List<Planned> plan = new ArrayList<>();
        for (GgufTensor t : tensors) {
            if (!allowsQuantization(t)) {
                plan.add(new Planned(t, t.type(), null));
                continue;
            }
            GgmlType target = mix.choose(t);
            if (mix.requiresImatrix(t, target)) {
                throw new IllegalArgumentException("tensor '" + t.name() + "': " + options.type + " makes it " + typeName(target)
                        + ", which needs an importance matrix (not supported); choose another type");
            }
            if (t.cols() % target.blockSize != 0) {
                // only an explicit --output-type/--embd-type gets here: llama.cpp applies those without a fallback
                throw new IllegalArgumentException("tensor '" + t.name() + "': row length " + t.cols() + " is not a multiple of the " + target + " block size " + target.blockSize);
            }
            plan.add(new Planned(t, target, mix.lastFallback == null ? null : mix.lastFallback.wanted()));
        }
        return plan;
    }

    /** Quantizes {@code input} into {@code output}. */
    public Summary run(Path input, Path output) throws IOException {
        long t0 = System.nanoTime();
        Path out = output.toAbsolutePath();
        Path dir = out.getParent();
        try (GgufFile in = GgufFile.open(input)) {
            List<Planned> plan = plan(in);
            for (Planned p : plan) {
                GgmlType from = p.source.type();
                if (from != p.target && from.isQuantized() && !options.allowRequantize) {
                    throw new IllegalArgumentException("tensor '" + p.source.name() + "' is " + from + ": requantizing is disabled (use --allow-requantize)");
                }
                if (from != p.target && from != GgmlType.F32 && from != GgmlType.F16 && from != GgmlType.BF16 && !Tensors.supports(from)) {
                    throw new IllegalArgumentException("tensor '" + p.source.name() + "' has type " + from + ", which cannot be dequantized");
                }
                if (p.source.cols() > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor '" + p.source.name() + "' has rows too long");
                if (p.target != from && !RowQuantizer.supports(p.target)) {
                    throw new IllegalArgumentException("tensor '" + p.source.name() + "': quantizing to " + p.target + " is not supported");
                }
            }
            for (Planned p : plan) {
                if (p.fallback()) {
                    log.printf("warning: %-36s - ncols %6d not divisible by %3d (required for type %7s) %s-> falling back to %7s%n",
                            p.source.name(), p.source.cols(), p.fellBackFrom.blockSize, typeName(p.fellBackFrom),
                            p.target == GgmlType.F16 ? "(WARNING: must use F16 due to unusual shape) " : "", typeName(p.target));
                }
            }
            GgufWriter w = new GgufWriter();
            w.putAll(in);
            w.remove("split.no").remove("split.count").remove("split.tensors.count");
            w.remove("general.quantization_version").putUInt32("general.quantization_version", QUANTIZATION_VERSION);
            w.remove("general.file_type").putUInt32("general.file_type", options.type.fileType);
            long[] sizes = new long[2];
            int[] counts = new int[2];
            ExecutorService pool = options.threads > 1 ? Executors.newFixedThreadPool(options.threads, r -> {
                Thread th = new Thread(r, "jlama-quantize");
                th.setDaemon(true);
                return th;
            }) : null;
            try {
                int n = plan.size();
                for (int i = 0; i < n; i++) {
                    Planned p = plan.get(i);
                    int index = i;
                    GgufTensor t = p.source;
                    long newBytes = p.target.rowBytes(t.cols()) * t.rows();
                    sizes[0] += t.byteSize();
                    sizes[1] += newBytes;
                    if (p.fallback()) counts[1]++;
                    if (p.target != t.type()) counts[0]++;
                    w.addTensor(t.name(), p.target, t.ne(), ch -> {
                        listener.tensor(index, n, t, p.target);
                        tensorLog.printf("[%4d/%4d] %-36s - %-28s type = %6s, ", index + 1, n, t.name(), shape(t.ne()), typeName(t.type()));
                        if (p.target == t.type()) {
                            tensorLog.printf("size = %8.3f MiB%n", t.byteSize() / 1048576.0);
                            GgufWriter.TensorData.of(t.data()).writeTo(ch);
                        } else {
                            tensorLog.printf("converting to %s .. ", typeName(p.target));
                            convert(in.path(), t, p.target, ch, pool);
                            tensorLog.printf("size = %8.2f MiB -> %8.2f MiB%n", t.byteSize() / 1048576.0, newBytes / 1048576.0);
                        }
                        tensorLog.flush();
                    });
                }
                // created like any new file (the umask's permissions), unlike Files.createTempFile's owner-only ones
                Path tmp = dir.resolve("." + out.getFileName() + "." + ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime()) + ".part");
                Files.createFile(tmp);
                // a JVM stopped midway (Ctrl-C) deletes the partial file too
                Thread cleanup = new Thread(() -> {
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // best effort
                    }
                });
                boolean hooked = addShutdownHook(cleanup);
                boolean done = false;
                long fileSize;
                try {
                    fileSize = w.write(tmp);
                    try {
                        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
                    }
                    done = true;
                } finally {
                    if (!done) Files.deleteIfExists(tmp);
                    if (hooked) removeShutdownHook(cleanup);
                }
                long nanos = System.nanoTime() - t0;
                log.printf("model size  = %8.2f MiB%n", sizes[0] / 1048576.0);
                log.printf("quant size  = %8.2f MiB%n", sizes[1] / 1048576.0);
                if (counts[1] > 0) log.printf("WARNING: %d of %d tensor(s) required fallback quantization%n", counts[1], n);
                log.printf("quantize time = %.2f s, file %s (%d bytes)%n", nanos / 1e9, out, fileSize);
                return new Summary(sizes[0], sizes[1], fileSize, counts[0], counts[1], nanos);
            } finally {
                if (pool != null) pool.shutdownNow();
            }
        }
    }

    private static boolean addShutdownHook(Thread t) {
        try {
            Runtime.getRuntime().addShutdownHook(t);
            return true;
        } catch (IllegalStateException | SecurityException e) {
            return false;
        }
    }

    private static void removeShutdownHook(Thread t) {
        try {
            Runtime.getRuntime().removeShutdownHook(t);
        } catch (IllegalStateException | SecurityException e) {
            // shutting down: the hook runs
        }
    }

    /** Converts one tensor in slabs of rows, quantizing each slab's rows in parallel. */
    private void convert(Path file, GgufTensor t, GgmlType target, WritableByteChannel ch, ExecutorService pool) throws IOException {
        int cols = (int) t.cols();
        long rows = t.rows();
        int dstRow = (int) target.rowBytes(cols);
        long perRow = Math.max(dstRow, 4L * cols);
        int slabRows = (int) Math.max(1, Math.min(rows, SLAB_BYTES / perRow));
        RowSource src = rowSource(file, t);
        byte[] buf = new byte[slabRows * dstRow];
        int threads = pool == null ? 1 : options.threads;
        for (long r0 = 0; r0 < rows; r0 += slabRows) {
            if (Thread.interrupted()) throw new InterruptedIOException("quantization interrupted");
            int nr = (int) Math.min(slabRows, rows - r0);
            long base = r0;
            if (threads == 1 || nr < 2) {
                quantizeRows(src, target, cols, base, 0, nr, buf, dstRow);
            } else {
                int parts = Math.min(threads, nr);
                List<Future<?>> fs = new ArrayList<>(parts);
                for (int k = 0; k < parts; k++) {
                    int a = (int) ((long) nr * k / parts), b = (int) ((long) nr * (k + 1) / parts);
                    fs.add(pool.submit(() -> quantizeRows(src, target, cols, base, a, b, buf, dstRow)));
                }
                try {
                    for (Future<?> f : fs) f.get();
                } catch (InterruptedException e) {
                    for (Future<?> f : fs) f.cancel(true);
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("quantization interrupted");
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IOException(e.getCause());
                }
            }
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, nr * dstRow);
            while (bb.hasRemaining()) ch.write(bb);
        }
    }

    private static void quantizeRows(RowSource src, GgmlType target, int cols, long base, int a, int b, byte[] buf, int dstRow) {
        float[] row = new float[cols];
        for (int r = a; r < b; r++) {
            src.read(base + r, row);
            RowQuantizer.quantize(target, row, 0, cols, buf, r * dstRow);
        }
    }

    /** Reads one row of a tensor as floats; safe to call from several threads. */
    private interface RowSource {
        void read(long row, float[] dst);
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static RowSource rowSource(Path file, GgufTensor t) {
        MemorySegment d = t.data();
        int cols = (int) t.cols();
        long rowBytes = t.type().rowBytes(cols);
        return switch (t.type()) {
            case F32 -> (r, dst) -> MemorySegment.copy(d, F32, r * rowBytes, dst, 0, cols);
            case F16 -> (r, dst) -> {
                long o = r * rowBytes;
                for (int i = 0; i < cols; i++) dst[i] = Float.float16ToFloat(d.get(I16, o + 2L * i));
            };
            case BF16 -> (r, dst) -> {
                long o = r * rowBytes;
                for (int i = 0; i < cols; i++) dst[i] = Float.intBitsToFloat(d.get(I16, o + 2L * i) << 16);
            };
            default -> {
                if (t.rows() > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor '" + t.name() + "' has too many rows");
                Tensor q = Tensors.of(file, t);
                yield (r, dst) -> q.dequantizeRow((int) r, dst, 0);
            }
        };
    }

    // ---- llama.cpp's rules ----

    /** llama.cpp's tensor_allows_quantization (params: quantize_output_tensor on, only_copy off). */
    static boolean allowsQuantization(GgufTensor t) {
        int dims = t.ne().length;
        while (dims > 1 && t.ne()[dims - 1] == 1) dims--; // ggml_n_dims ignores trailing 1s
        if (dims < 2) return false;
        String name = t.name();
        if (!name.endsWith("weight")) return false;
        for (String s : new String[] {"_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
                "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight",
                "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
                "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight",
                "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd",
                ".patch_merger", "a.rvq.codebook", "mm.a.code_embd"}) {
            if (name.contains(s)) return false;
        }
        return !name.equals("position_embd.weight") && !name.equals("token_types.weight");
    }

    /** The layer of a {@code blk.N.} tensor as C's {@code sscanf("blk.%d.")} reads it; -1 otherwise. */
    static int layerOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int i = 4;
        while (i < name.length() && Character.isWhitespace(name.charAt(i))) i++;
        int start = i;
        if (i < name.length() && (name.charAt(i) == '-' || name.charAt(i) == '+')) i++;
        int digits = i;
        while (i < name.length() && name.charAt(i) >= '0' && name.charAt(i) <= '9') i++;
        if (i == digits) return -1;
        try {
            return Integer.parseInt(name.substring(start, i));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** std::string's operator<: unsigned byte order of the UTF-8 bytes. */
    static int compareBytes(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    static String typeName(GgmlType t) {
        return t.name().toLowerCase(java.util.Locale.ROOT).replace("_k", "_K");
    }

    private static String shape(long[] ne) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < 4; i++) {
            if (i > 0) s.append(", ");
            s.append(String.format("%6d", i < ne.length ? ne[i] : 1));
        }
        return s.append("],").toString();
    }
}
