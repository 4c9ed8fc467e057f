package io.jlama.quantize;

import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufTensor;
import io.jlama.tensor.GgmlType;
import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizerTest {
    private static final String MODEL = "models/tinystories/stories260K.gguf";

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }

    /** llama-quantize --pure on stories260K: the same file, byte for byte. */
    @ParameterizedTest
    @CsvSource({"Q8_0, stories260K-q8_0-pure.gguf, 1", "Q4_0, stories260K-q4_0-pure.gguf, 2", "Q8_0, stories260K-q8_0-pure.gguf, 3"})
    void pureMatchesLlamaCppByteForByte(String type, String reference, int threads) throws IOException {
        Path in = SharedData.require(MODEL);
        Path want = SharedData.require("reference/stories260K/" + reference);
        Path out = SharedData.scratch("quantize").resolve(type + "-t" + threads + ".gguf");
        Files.deleteIfExists(out);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Quantizer.Summary s = new Quantizer(Quantizer.Options.of(GgmlType.valueOf(type)).withPure(true).withThreads(threads), new PrintStream(log, true))
                .run(in, out);
        assertEquals(5, s.fallbacks());
        assertEquals(Files.size(want), s.fileSize());
        byte[] got = Files.readAllBytes(out), exp = Files.readAllBytes(want);
        int at = Arrays.mismatch(got, exp);
        assertEquals(-1, at, "first difference at byte " + at + "\n" + log);
        assertTrue(log.toString().contains("falling back to     f16"), log.toString());
        try (Stream<Path> files = Files.list(out.getParent())) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".part")));
        }
    }

    @Test
    void defaultMixForQ4_0MakesTheOutputQ6K() throws IOException {
        Path in = SharedData.require(MODEL);
        Path out = SharedData.scratch("quantize").resolve("q4_0-default.gguf");
        new Quantizer(Quantizer.Options.of(GgmlType.Q4_0), quiet()).run(in, out);
        try (GgufFile f = GgufFile.open(out)) {
            // stories260K's rows are 64 wide: Q6_K's 256-blocks do not fit, so the output falls back to Q8_0
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").type());
            assertEquals(GgmlType.Q4_0, f.tensor("token_embd.weight").type());
        }
        // with --output-type / --embd-type the rest of the default mix is the plain type
        new Quantizer(Quantizer.Options.of(GgmlType.Q4_0).withOutputType(GgmlType.Q8_0).withEmbdType(GgmlType.F16), quiet()).run(in, out);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").type());
            assertEquals(GgmlType.F16, f.tensor("token_embd.weight").type());
            assertEquals(GgmlType.Q4_0, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F16, f.tensor("blk.0.ffn_down.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_norm.weight").type());
            assertEquals(2L, f.getLong("general.file_type"));
            assertEquals(2L, f.getLong("general.quantization_version"));
        }
    }

    @Test
    void q2KSNeedsAnImportanceMatrixAsInLlamaCpp() throws IOException {
        Path in = SharedData.require("reference/arch/qwen2/qwen2-f32.gguf");
        Path out = SharedData.scratch("quantize").resolve("q2_k_s.gguf");
        Files.deleteIfExists(out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Quantizer(Quantizer.Options.of(QuantType.Q2_K_S), quiet()).run(in, out));
        assertTrue(e.getMessage().contains("importance matrix"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void defaultMixForQ8_0IsPure() throws IOException {
        Path in = SharedData.require(MODEL);
        Path out = SharedData.scratch("quantize").resolve("q8_0-default.gguf");
        new Quantizer(Quantizer.Options.of(GgmlType.Q8_0), quiet()).run(in, out);
        assertArrayEquals(Files.readAllBytes(SharedData.require("reference/stories260K/stories260K-q8_0-pure.gguf")), Files.readAllBytes(out));
    }

    @Test
    void requantizingNeedsPermissionAndDequantizesFirst() throws IOException {
        Path in = SharedData.require("reference/stories260K/stories260K-q8_0-pure.gguf");
        Path out = SharedData.scratch("quantize").resolve("requant.gguf");
        Files.deleteIfExists(out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Quantizer(Quantizer.Options.of(GgmlType.Q4_0).withPure(true), quiet()).run(in, out));
        assertTrue(e.getMessage().contains("--allow-requantize"), e.getMessage());
        assertFalse(Files.exists(out));
        new Quantizer(Quantizer.Options.of(GgmlType.Q4_0).withPure(true).withAllowRequantize(true), quiet()).run(in, out);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(GgmlType.Q4_0, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F16, f.tensor("blk.0.ffn_down.weight").type()); // F16 stays F16 (fallback = its own type: copied)
        }
    }

    @Test
    void aFailureMidwayLeavesNoOutput() throws IOException {
        Path in = SharedData.require(MODEL);
        Path dir = SharedData.scratch("quantize-fail");
        Path out = dir.resolve("out.gguf");
        Files.deleteIfExists(out);
        Quantizer q = new Quantizer(Quantizer.Options.of(GgmlType.Q8_0).withPure(true), quiet()).listener((i, n, src, t) -> {
            if (i == 10) throw new IOException("boom at " + src.name());
        });
        IOException e = assertThrows(IOException.class, () -> q.run(in, out));
        assertTrue(e.getMessage().startsWith("boom"), e.getMessage());
        assertFalse(Files.exists(out));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void anInterruptLeavesNoOutputAndKeepsAnOldOne() throws IOException {
        Path in = SharedData.require(MODEL);
        Path dir = SharedData.scratch("quantize-interrupt");
        Path out = dir.resolve("out.gguf");
        Files.write(out, new byte[] {1, 2, 3});
        Quantizer q = new Quantizer(Quantizer.Options.of(GgmlType.Q4_0).withPure(true).withThreads(2), quiet()).listener((i, n, src, t) -> {
            if (i == 20) Thread.currentThread().interrupt();
        });
        try {
            assertThrows(InterruptedIOException.class, () -> q.run(in, out));
        } finally {
            Thread.interrupted();
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(out));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void llamaCppRules() {
        assertEquals(-1, Quantizer.layerOf("output.weight"));
        assertEquals(12, Quantizer.layerOf("blk.12.attn_q.weight"));
        assertEquals(-1, Quantizer.layerOf("blk.x.attn_q.weight"));
        assertEquals(7, QuantType.Q8_0.fileType);
        assertEquals(32, QuantType.BF16.fileType);
        assertEquals(15, QuantType.byName("q4_k_m").fileType);
        assertEquals(QuantType.Q4_K_M, QuantType.byName("Q4_K"));
        assertEquals(QuantType.MXFP4_MOE, QuantType.byName("mxfp4"));
        assertEquals(null, QuantType.byName("Q4_K_X"));
        assertTrue(Quantizer.allowsQuantization(new GgufTensor("blk.0.attn_q.weight", GgmlType.F32, new long[] {64, 64}, 0, 0, null)));
        assertFalse(Quantizer.allowsQuantization(new GgufTensor("blk.0.attn_norm.weight", GgmlType.F32, new long[] {64}, 0, 0, null)));
        assertFalse(Quantizer.allowsQuantization(new GgufTensor("blk.0.attn_q.bias", GgmlType.F32, new long[] {64, 64}, 0, 0, null)));
        assertFalse(Quantizer.allowsQuantization(new GgufTensor("blk.0.x.weight", GgmlType.F32, new long[] {64, 1}, 0, 0, null)));
        assertFalse(Quantizer.allowsQuantization(new GgufTensor("blk.0.ffn_gate_inp.weight", GgmlType.F32, new long[] {64, 8}, 0, 0, null)));
    }
}
