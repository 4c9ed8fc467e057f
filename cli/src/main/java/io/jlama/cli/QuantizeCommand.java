package io.jlama.cli;

import io.jlama.quantize.QuantType;
import io.jlama.quantize.Quantizer;
import io.jlama.quantize.RowQuantizer;
import io.jlama.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jlama quantize}: llama-quantize's file types and mixes, with llama.cpp's bytes. */
@Command(name = "quantize", mixinStandardHelpOptions = true, description = "Quantize a GGUF model (F32/F16/BF16 weights) to a llama.cpp file type "
        + "(legacy, K-quant mixes, IQ4, MXFP4_MOE, F16/BF16), choosing the same per-tensor types and writing the same bytes as llama.cpp's llama-quantize. "
        + "Progress and a summary go to stderr.")
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "INPUT", description = "the GGUF model to read")
    Path input;

    @Parameters(index = "1", paramLabel = "OUTPUT", description = "the GGUF file to write (written under a temporary name, renamed when complete)")
    Path output;

    @Parameters(index = "2", paramLabel = "TYPE", description = "Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, "
            + "IQ4_NL, IQ4_XS, MXFP4_MOE (or MXFP4), TQ1_0, TQ2_0, F16, BF16, F32; Q3_K/Q4_K/Q5_K mean their _M mix")
    String type;

    @Option(names = {"-t", "--threads"}, paramLabel = "T", description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--pure", description = "every quantizable tensor gets TYPE (no per-tensor mix)")
    boolean pure;

    @Option(names = "--output-type", paramLabel = "T", description = "type of output.weight")
    String outputType;

    @Option(names = "--embd-type", paramLabel = "T", description = "type of token_embd.weight")
    String embdType;

    @Option(names = "--allow-requantize", description = "accept already quantized tensors (dequantized first; quality suffers)")
    boolean allowRequantize;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(input)) throw new IllegalArgumentException("input file not found: " + input);
        if (Files.exists(output) && Files.isSameFile(input, output)) throw new IllegalArgumentException("the output would overwrite the input: " + output);
        Path parent = output.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) throw new IllegalArgumentException("output folder not found: " + parent);
        QuantType q = QuantType.parse(type);
        Quantizer.Options o = Quantizer.Options.of(q);
        if (threads != null) {
            if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, not " + threads);
            o = o.withThreads(threads);
        }
        o = o.withPure(pure).withAllowRequantize(allowRequantize);
        if (outputType != null) o = o.withOutputType(parse(outputType, "--output-type"));
        if (embdType != null) o = o.withEmbdType(parse(embdType, "--embd-type"));
        if (TensorProgressBar.onTerminal()) { // a bar instead of llama-quantize's line per tensor
            TensorProgressBar bar = new TensorProgressBar(System.err);
            new Quantizer(o, bar.log()).tensorLog(null).listener(bar).run(input, output);
        } else {
            new Quantizer(o, System.err).run(input, output);
        }
        return 0;
    }

    private static GgmlType parse(String name, String what) {
        GgmlType t = GgmlType.byName(name.trim());
        if (t == null || !RowQuantizer.supports(t)) throw new IllegalArgumentException(what + ": unknown or unsupported tensor type '" + name + "'");
        return t;
    }
}
