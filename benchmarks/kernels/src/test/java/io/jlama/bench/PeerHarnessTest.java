package io.jlama.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness's parsing and reporting; the engines themselves are exercised by benchmarks/run-peers.sh. */
class PeerHarnessTest {

    @Test
    void readsTheJsonLineAmongLogLines() {
        String out = "loading...\n{\"engine\":\"llama.cpp 0.5.0-dev\",\"pp\":32,\"pp_tok_s_mean\":1234.5,\"nested\":{\"a\":[1,2]},"
                + "\"flash\":false,\"none\":null}\n";
        Map<String, Object> m = FlatJson.lastObject(out);
        assertEquals("llama.cpp 0.5.0-dev", m.get("engine"));
        assertEquals(1234.5, FlatJson.number(m, "pp_tok_s_mean"));
        assertEquals(32.0, FlatJson.number(m, "pp"));
        assertEquals(Boolean.FALSE, m.get("flash"));
        assertFalse(m.containsKey("nested"));
        assertNull(FlatJson.number(m, "engine"));
    }

    @Test
    void readsAPrettyPrintedObject() {
        Map<String, Object> m = FlatJson.lastObject("{\n  \"read_GBs\": 19.5,\n  \"threads\": 2\n}\n");
        assertEquals(19.5, FlatJson.number(m, "read_GBs"));
    }

    @Test
    void refusesOutputWithoutJson() {
        assertThrows(IllegalArgumentException.class, () -> FlatJson.lastObject(""));
        assertThrows(IllegalArgumentException.class, () -> FlatJson.lastObject("Segmentation fault\n"));
        assertThrows(IllegalArgumentException.class, () -> FlatJson.lastObject("{\"a\":1"));
    }

    @Test
    void parsesOptions() {
        PeerHarness.Options o = PeerHarness.Options.parse(new String[] {"--model", "a.gguf", "b.gguf", "-m", "c.gguf",
                "--threads", "2", "-p", "32", "-n", "16", "--reps", "1", "--skip-jlama-peer", "--membw", "--json-out", "r.json",
                "--jlama-peer-jvm-opt", "-Xmx8g", "--jlama-dtype", "BF16"});
        assertEquals(List.of(Path.of("a.gguf"), Path.of("b.gguf"), Path.of("c.gguf")), o.models);
        assertEquals(2, o.threads);
        assertEquals(32, o.nPrompt);
        assertEquals(16, o.nGen);
        assertEquals(1, o.reps);
        assertTrue(o.skipJlamaPeer && o.membw);
        assertFalse(o.skipJlama || o.skipLlamaCpp);
        assertEquals(Path.of("r.json"), o.jsonOut);
        assertEquals(List.of("-Xmx8g"), o.peerJvmOpts);
        assertEquals("bf16", o.jlamaDtype);
    }

    @Test
    void badUsageExitsWithTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(2, PeerHarness.run(new String[] {}, System.out, log));
        assertEquals(2, PeerHarness.run(new String[] {"-m", "x.gguf", "--threads", "0"}, System.out, log));
        assertEquals(2, PeerHarness.run(new String[] {"-m", "x.gguf", "--frobnicate"}, System.out, log));
        assertEquals(2, PeerHarness.run(new String[] {"-m", "x.gguf", "--jlama-dtype", "q4"}, System.out, log));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: PeerHarness"));
    }

    @Test
    void picksTheTellingStderrLine() {
        assertEquals("jlama: error: model.gguf: unknown weight type Q2_K",
                Text.failureLine(List.of("WARNING: Using incubator modules: jdk.incubator.vector", "jlama: error: model.gguf: unknown weight type Q2_K")));
        assertEquals("[peers] ERROR: model x.gguf not found",
                Text.failureLine(List.of("[peers] ERROR: model x.gguf not found", "")));
        assertEquals("Caused by: java.lang.OutOfMemoryError: Java heap space",
                Text.failureLine(List.of("Exception in thread \"main\" java.lang.RuntimeException", "\tat a.b(C.java:1)",
                        "Caused by: java.lang.OutOfMemoryError: Java heap space", "\tat d.e(F.java:2)", "\t... 4 more")));
        assertEquals("Killed", Text.failureLine(List.of("some log", "Killed", "WARNING: x")));
        assertEquals("", Text.failureLine(List.of()));
    }

    @Test
    void saysWhatJlamaRan() {
        ModelFacts q4 = facts("llama1b-q4_0.gguf", "Q4_0", Set.of("F32", "Q4_0", "Q6_K"), 8192);
        assertEquals("F32 (dequantized from Q4_0; its Q6_K tensors by llama.cpp)", PeerHarness.Runner.ranAs(q4, "F32", 8192));
        ModelFacts pure = facts("q4-pure.gguf", "Q4_0", Set.of("F32", "Q4_0"), 8192);
        assertEquals("F32 (dequantized from Q4_0)", PeerHarness.Runner.ranAs(pure, "F32", 8192));
        ModelFacts tiny = facts("stories260K.gguf", "F32", Set.of("F32"), 172);
        assertEquals("F32 (FFN 172->192 zero-padded)", PeerHarness.Runner.ranAs(tiny, "F32", 192));
        ModelFacts f16 = facts("m.gguf", "F16", Set.of("F32", "F16"), 8192);
        assertEquals("F32 (converted from F16)", PeerHarness.Runner.ranAs(f16, "F32", 8192));
        assertEquals("F16", PeerHarness.Runner.ranAs(f16, "F16", 0));
    }

    @Test
    void knowsWhatJlamaCannotRun() {
        assertNull(facts("a.gguf", "Q4_0", Set.of("F32", "Q4_0", "Q8_0"), 64).jlamaPeerObstacle());
        assertEquals(Set.of(), facts("a.gguf", "Q4_0", Set.of("F32", "Q4_0", "Q8_0"), 64).typesNeedingLlamaCpp());
        ModelFacts k = facts("a.gguf", "Q4_K", Set.of("F32", "Q4_K", "Q6_K"), 64);
        assertNull(k.jlamaPeerObstacle());
        assertEquals(Set.of("Q4_K", "Q6_K"), k.typesNeedingLlamaCpp());
        ModelFacts bpe = new ModelFacts(Path.of("b.gguf"), "llama", "F16", Set.of("F16"), "gpt2", 64, 64, 0, null);
        assertTrue(bpe.jlamaPeerObstacle().contains("SentencePiece"));
        ModelFacts qwen = new ModelFacts(Path.of("q.gguf"), "qwen2", "F16", Set.of("F16"), "gpt2", 64, 64, 0, null);
        assertTrue(qwen.jlamaPeerObstacle().contains("qwen2"));
    }

    @Test
    void tableShowsRatiosAndReasons() {
        PeerHarness.Options o = PeerHarness.Options.parse(new String[] {"-m", "m.gguf", "-t", "2"});
        o.peerJvmOpts.add("-XX:MaxVectorSize=32");
        Path m = Path.of("m.gguf");
        List<PeerHarness.Result> rs = List.of(
                new PeerHarness.Result("m.gguf", m, "Q4_0", PeerHarness.JLAMA, 50.0, 10.0, 60.0, 11.0, null, Map.of(), 1),
                new PeerHarness.Result("m.gguf", m, "Q4_0", PeerHarness.LLAMA_CPP, 200.0, 20.0, 210.0, 21.0, null, Map.of(), 1),
                new PeerHarness.Result("m.gguf", m, "-", PeerHarness.JLAMA_PEER, null, null, null, null, "exit 1: a | b", Map.of(), 0));
        String md = Report.markdown(new PeerHarness.Session(o, "cpu", "jvm", Map.of("read_GBs", 19.0), null, rs));
        assertTrue(md.contains("| m.gguf | Q4_0 | jlama | 50.00 | 10.00 | 0.25x | 0.50x |"), md);
        assertTrue(md.contains("| m.gguf | Q4_0 | llama.cpp | 200.00 | 20.00 | 1.00x | 1.00x |"), md);
        assertTrue(md.contains("| m.gguf | - | Jlama 0.8.4 (-XX:MaxVectorSize=32) | n/a (exit 1: a \\| b) | n/a | n/a | n/a |"), md);
        assertTrue(md.contains("memory read bandwidth (membw -t 2): 19.0 GB/s"), md);
    }

    @Test
    void writesJson(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        PeerHarness.Options o = PeerHarness.Options.parse(new String[] {"-m", "m.gguf"});
        Path m = Path.of("m.gguf");
        List<PeerHarness.Result> rs = List.of(
                new PeerHarness.Result("m.gguf", m, "Q8_0", PeerHarness.JLAMA, 50.0, 10.0, 60.0, 11.0, null,
                        Map.of("engine", "jlama", "threads", 2.0), 1),
                new PeerHarness.Result("m.gguf", m, "Q8_0", PeerHarness.LLAMA_CPP, null, null, null, null, "boom", Map.of(), 0));
        Path f = tmp.resolve("out/r.json");
        Report.writeJson(new PeerHarness.Session(o, "cpu", "jvm", null, "no membw", rs), f);
        String json = Files.readString(f);
        assertTrue(json.contains("\"prompt_vs_llamacpp\" : null"), json);
        assertTrue(json.contains("\"threads\" : 2"), json);
        assertTrue(json.contains("\"error\" : \"boom\""), json);
        assertTrue(json.contains("\"membw_error\" : \"no membw\""), json);
    }

    @Test
    void readsModelFactsFromTheSharedTinyModel() {
        Path p = Path.of(System.getenv().getOrDefault("JLAMA_SHARED", System.getenv().getOrDefault("JLAMA_SHARED_DEFAULT", "../../../shared")),
                "models/tinystories/stories260K.gguf");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(p), "reference data not found: " + p);
        ModelFacts f = ModelFacts.read(p);
        assertNull(f.error());
        assertEquals("llama", f.architecture());
        assertEquals("F32", f.weightType());
        assertEquals("llama", f.tokenizerModel());
        assertEquals(8, f.headDim());
        assertEquals(172, f.ffn());
        assertNull(f.jlamaPeerObstacle());
        ModelFacts missing = ModelFacts.read(p.resolveSibling("no-such-model.gguf"));
        assertTrue(missing.error() != null && missing.jlamaPeerObstacle().startsWith("unreadable GGUF"));
    }

    private static ModelFacts facts(String name, String type, Set<String> types, int ffn) {
        return new ModelFacts(Path.of(name), "llama", type, types, "llama", 64, ffn, 0, null);
    }
}
