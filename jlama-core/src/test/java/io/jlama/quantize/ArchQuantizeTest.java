package io.jlama.quantize;

import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufTensor;
import io.jlama.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every quantized file in shared/reference/arch was written by llama.cpp's {@code llama_model_quantize} from the
 * model's F32 file ({@code made_by} in each index.json): quantizing the same F32 file the same way must give the
 * same file, byte for byte. This covers the Q4_K_M mix rules (Q6_K output and attention-V/FFN-down layers, the
 * fallbacks of 128-wide rows to Q5_0/Q8_0), MXFP4_MOE's expert rule, tensor order and metadata.
 */
class ArchQuantizeTest {
    private static final String[] MODELS = {"llama-spm", "llama3", "qwen2", "qwen3", "phi3", "gpt2", "gemma2", "gemma3", "mixtral", "qwen3moe", "gpt-oss"};
    private static final List<String> MOE = List.of("mixtral", "qwen3moe", "gpt-oss");

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (String m : MODELS) {
            a.add(Arguments.of(m, "q8_0", QuantType.Q8_0, true));
            a.add(Arguments.of(m, "q4_0", QuantType.Q4_0, true));
            a.add(Arguments.of(m, "q4_k_m", QuantType.Q4_K_M, false));
            if (MOE.contains(m)) a.add(Arguments.of(m, "mxfp4_moe", QuantType.MXFP4_MOE, false));
        }
        return a.stream();
    }

    /** The per-tensor types alone (the mix rules), independent of the row quantizers. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void sameTypesAsLlamaCpp(String model, String suffix, QuantType type, boolean pure) throws IOException {
        Path in = SharedData.require("reference/arch/" + model + "/" + model + "-f32.gguf");
        Path want = SharedData.require("reference/arch/" + model + "/" + model + "-" + suffix + ".gguf");
        StringBuilder diffs = new StringBuilder();
        try (GgufFile f = GgufFile.open(in); GgufFile w = GgufFile.open(want)) {
            List<Quantizer.Planned> plan = new Quantizer(Quantizer.Options.of(type).withPure(pure), new PrintStream(new ByteArrayOutputStream())).plan(f);
            assertEquals(w.tensors().size(), plan.size());
            for (Quantizer.Planned p : plan) {
                GgufTensor t = w.tensor(p.source().name());
                if (t == null || t.type() != p.target()) {
                    diffs.append(p.source().name()).append(": ").append(p.target()).append(", llama.cpp ").append(t == null ? "none" : t.type()).append('\n');
                }
            }
        }
        if (!diffs.isEmpty()) fail(diffs.toString());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void sameFileAsLlamaCpp(String model, String suffix, QuantType type, boolean pure) throws IOException {
        Path in = SharedData.require("reference/arch/" + model + "/" + model + "-f32.gguf");
        Path want = SharedData.require("reference/arch/" + model + "/" + model + "-" + suffix + ".gguf");
        Path out = SharedData.scratch("arch-quantize").resolve(model + "-" + suffix + ".gguf");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Quantizer(Quantizer.Options.of(type).withPure(pure).withThreads(2), new PrintStream(log, true)).run(in, out);
        byte[] got = Files.readAllBytes(out), exp = Files.readAllBytes(want);
        int at = Arrays.mismatch(got, exp);
        if (at < 0) return;
        // name the first tensor that differs (type or bytes) to make a failure readable
        StringBuilder why = new StringBuilder("first difference at byte " + at + " of " + exp.length + "\n");
        try (GgufFile g = GgufFile.open(out); GgufFile w = GgufFile.open(want)) {
            for (GgufTensor t : w.tensors().values()) {
                GgufTensor o = g.tensor(t.name());
                if (o == null) {
                    why.append(t.name()).append(": missing\n");
                } else if (o.type() != t.type()) {
                    why.append(t.name()).append(": type ").append(o.type()).append(", llama.cpp ").append(t.type()).append('\n');
                } else if (o.data().mismatch(t.data()) >= 0) {
                    why.append(t.name()).append(" (").append(t.type()).append("): bytes differ at ").append(o.data().mismatch(t.data())).append('\n');
                }
            }
        }
        fail(why.toString());
    }
}
