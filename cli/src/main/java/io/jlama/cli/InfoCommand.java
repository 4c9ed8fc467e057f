package io.jlama.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.jlama.gguf.GgufArray;
import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufTensor;
import io.jlama.model.Architecture;
import io.jlama.model.ModelConfig;
import io.jlama.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code jlama info}: what a GGUF file holds. Reads only the header; works on vocabulary-only files too. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Describe a GGUF model: architecture, hyperparameters, vocabulary, tensors.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF model file")
    Path model;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Option(names = "--tensors", description = "list every tensor")
    boolean listTensors;

    @Override
    public Integer call() throws Exception {
        PrintStream out = Console.out();
        try (GgufFile f = GgufFile.open(model)) {
            ModelConfig c = null;
            String archError = null;
            try {
                c = ModelConfig.read(f, Architecture.of(f));
            } catch (RuntimeException e) {
                archError = e.getMessage();
            }
            Map<GgmlType, Integer> types = new TreeMap<>();
            long params = 0;
            for (GgufTensor t : f.tensors().values()) {
                types.merge(t.type(), 1, Integer::sum);
                params += t.elementCount();
            }
            String tokModel = f.getString("tokenizer.ggml.model", null);
            int vocab = f.has("tokenizer.ggml.tokens") ? ((GgufArray) f.metadata().get("tokenizer.ggml.tokens").value()).length() : 0;
            if (json) {
                try (JsonGenerator g = Json.to(out, true)) {
                    g.writeStartObject();
                    g.writeStringField("file", model.toString());
                    g.writeNumberField("file_size", f.fileSize());
                    g.writeNumberField("gguf_version", f.version());
                    g.writeStringField("architecture", f.architecture());
                    g.writeStringField("name", f.getString("general.name", null));
                    if (c != null) {
                        g.writeObjectFieldStart("hparams");
                        g.writeNumberField("vocab_size", c.vocabSize());
                        g.writeNumberField("embedding_length", c.embeddingLength());
                        g.writeNumberField("block_count", c.blockCount());
                        g.writeNumberField("head_count", c.headCount());
                        g.writeNumberField("head_count_kv", c.headCountKv());
                        g.writeNumberField("head_dim", c.headDimK());
                        g.writeNumberField("feed_forward_length", c.feedForwardLength());
                        g.writeNumberField("context_length", c.contextLength());
                        g.writeNumberField("norm_eps", c.normEps());
                        g.writeNumberField("rope_dimension_count", c.ropeDimensions());
                        g.writeNumberField("rope_freq_base", c.ropeFreqBase());
                        g.writeNumberField("rope_freq_scale", c.ropeFreqScale());
                        g.writeEndObject();
                    } else {
                        g.writeStringField("unsupported", archError);
                    }
                    g.writeObjectFieldStart("tokenizer");
                    g.writeStringField("model", tokModel);
                    g.writeStringField("pre", f.getString("tokenizer.ggml.pre", null));
                    g.writeNumberField("tokens", vocab);
                    if (f.has("tokenizer.ggml.bos_token_id")) g.writeNumberField("bos", f.getLong("tokenizer.ggml.bos_token_id"));
                    if (f.has("tokenizer.ggml.eos_token_id")) g.writeNumberField("eos", f.getLong("tokenizer.ggml.eos_token_id"));
                    g.writeEndObject();
                    g.writeNumberField("tensor_count", f.tensors().size());
                    g.writeNumberField("parameters", params);
                    g.writeObjectFieldStart("tensor_types");
                    for (var e : types.entrySet()) g.writeNumberField(e.getKey().name(), e.getValue());
                    g.writeEndObject();
                    if (listTensors) {
                        g.writeArrayFieldStart("tensors");
                        for (GgufTensor t : f.tensors().values()) {
                            g.writeStartObject();
                            g.writeStringField("name", t.name());
                            g.writeStringField("type", t.type().name());
                            g.writeArrayFieldStart("ne");
                            for (long d : t.ne()) g.writeNumber(d);
                            g.writeEndArray();
                            g.writeNumberField("offset", t.fileOffset());
                            g.writeNumberField("bytes", t.byteSize());
                            g.writeEndObject();
                        }
                        g.writeEndArray();
                    }
                    g.writeEndObject();
                }
                out.println();
            } else {
                out.printf("file:          %s (%,d bytes, GGUF v%d)%n", model, f.fileSize(), f.version());
                out.printf("architecture:  %s%s%n", f.architecture(), f.has("general.name") ? " (" + f.getString("general.name") + ")" : "");
                if (c != null) {
                    out.printf("layers:        %d%n", c.blockCount());
                    out.printf("embedding:     %d%n", c.embeddingLength());
                    out.printf("heads:         %d query, %d key/value, head size %d%n", c.headCount(), c.headCountKv(), c.headDimK());
                    out.printf("feed-forward:  %d%n", c.feedForwardLength());
                    out.printf("context:       %d (trained)%n", c.contextLength());
                    if (c.arch().ropeStyle() == io.jlama.ops.Rope.Style.NONE) out.printf("positions:     learned (position_embd), no RoPE%n");
                    else out.printf("rope:          %s, %d dims, base %s, scale %s%s%s%s%n", c.arch().ropeStyle(), c.ropeDimensions(), c.ropeFreqBase(), c.ropeFreqScale(),
                            c.yarn() != null ? ", YaRN from " + c.yarn().origContext() + " positions" : "",
                            f.tensor("rope_factors_long.weight") != null ? ", LongRoPE (long factors beyond " + c.ropeOrigContext() + " positions)" : "",
                            c.ropeAttnFactor() != 1f ? ", attn_factor " + c.ropeAttnFactor() : "");
                    out.printf("norm:          %s, eps %s; feed-forward %s%n", c.arch().norm(), c.normEps(), c.arch().ffn());
                    if (c.slidingWindow() > 0) {
                        StringBuilder layers = new StringBuilder();
                        for (int i = 0; i < c.swaLayers().length; i++) if (c.swaLayers()[i]) layers.append(layers.isEmpty() ? "" : ",").append(i);
                        out.printf("sliding window: %d on layers %s, rope base %s%n", c.slidingWindow(), layers, c.ropeFreqBaseSwa());
                    }
                    if (c.attnSoftCap() > 0 || c.finalSoftCap() > 0) {
                        out.printf("soft-capping:  attention %s, final %s%n", c.attnSoftCap(), c.finalSoftCap());
                    }
                    out.printf("vocab size:    %d%n", c.vocabSize());
                } else {
                    out.printf("note:          %s%n", archError);
                }
                out.printf("tokenizer:     %s%s, %d tokens%n", tokModel, f.has("tokenizer.ggml.pre") ? " / " + f.getString("tokenizer.ggml.pre") : "", vocab);
                out.printf("tensors:       %d, %,d parameters%n", f.tensors().size(), params);
                StringBuilder sb = new StringBuilder();
                for (var e : types.entrySet()) sb.append(sb.isEmpty() ? "" : ", ").append(e.getKey()).append(": ").append(e.getValue());
                out.printf("tensor types:  %s%n", sb);
                if (listTensors) {
                    for (GgufTensor t : f.tensors().values()) out.printf("  %-40s %-6s %s%n", t.name(), t.type(), java.util.Arrays.toString(t.ne()));
                }
            }
        }
        out.flush();
        return 0;
    }
}
