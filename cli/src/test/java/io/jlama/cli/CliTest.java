package io.jlama.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlama.gguf.GgufFile;
import io.jlama.tensor.GgmlType;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands end to end on stories260K (and tokenize on llama.cpp's vocabulary files), checked against llama.cpp's reference outputs. */
class CliTest {
    static final ObjectMapper JSON = new ObjectMapper();

    record Result(int code, String out, String err) {
    }

    static Result run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        Console.setOut(o);
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        if (stdin != null) System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            int code = Main.run(args);
            o.flush();
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    static Path shared(String rel) {
        String env = System.getenv("JLAMA_SHARED");
        if (env == null || env.isBlank()) env = System.getenv("JLAMA_SHARED_DEFAULT");
        Path p = Path.of(env == null ? "../../shared" : env).resolve(rel);
        if (!Files.exists(p)) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) Assertions.fail("reference data missing: " + p);
            Assumptions.abort("reference data missing: " + p);
        }
        return p;
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    @Test
    void generateJsonMatchesLlamaCppGreedy() throws Exception {
        Path model = shared("models/tinystories/stories260K.gguf");
        JsonNode ref = JSON.readTree(shared("reference/stories260K/f32/p0.greedy.json").toFile());
        Result r = run(null, "generate", "-m", model.toString(), "-p", "Once upon a time", "-n", "64", "--json", "--threads", "2", "--temperature", "0");
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        Assertions.assertArrayEquals(ints(ref.get("prompt_tokens")), ints(j.get("prompt_tokens")));
        int[] expected = java.util.Arrays.copyOf(ints(ref.get("generated_tokens")), 64);
        Assertions.assertArrayEquals(expected, ints(j.get("tokens")));
        assertTrue(ref.get("text").asText().startsWith(j.get("text").asText().substring(0, 40)), j.get("text").asText());
        assertTrue(j.get("decode_tokens_per_second").asDouble() > 0);
        assertTrue(j.get("prompt_tokens_per_second").asDouble() > 0);
    }

    @Test
    void generateStreamsTheText() throws Exception {
        Path model = shared("models/tinystories/stories260K.gguf");
        JsonNode ref = JSON.readTree(shared("reference/stories260K/f32/p0.greedy.json").toFile());
        Result r = run(null, "generate", "-m", model.toString(), "-p", "Once upon a time", "-n", "128", "--temperature", "0");
        assertEquals(0, r.code(), r.err());
        assertEquals("Once upon a time" + ref.get("text").asText() + "\n", r.out());
        assertTrue(r.err().contains("tok/s"), r.err());
    }

    @Test
    void seededSamplingIsReproducibleAcrossRunsAndThreadCounts() throws Exception {
        String model = shared("models/tinystories/stories260K.gguf").toString();
        JsonNode a = JSON.readTree(run(null, "generate", "-m", model, "-p", "Once upon a time", "-n", "48", "--seed", "7", "--threads", "1", "--json").out());
        JsonNode b = JSON.readTree(run(null, "generate", "-m", model, "-p", "Once upon a time", "-n", "48", "--seed", "7", "--threads", "2", "--json").out());
        JsonNode c = JSON.readTree(run(null, "generate", "-m", model, "-p", "Once upon a time", "-n", "48", "--seed", "8", "--threads", "2", "--json").out());
        assertEquals(7, a.get("seed").asLong());
        Assertions.assertArrayEquals(ints(a.get("tokens")), ints(b.get("tokens")));
        assertEquals(a.get("text").asText(), b.get("text").asText());
        assertTrue(!a.get("text").asText().equals(c.get("text").asText()), "seeds 7 and 8 gave the same story");
        assertEquals(48, ints(a.get("tokens")).length); // --max-tokens honoured (no EOS in 48 tokens here)
    }

    @Test
    void stopStringEndsTheOutputBeforeIt() throws Exception {
        String model = shared("models/tinystories/stories260K.gguf").toString();
        JsonNode full = JSON.readTree(run(null, "generate", "-m", model, "-p", "Once upon a time", "-n", "64", "--temperature", "0", "--json").out());
        String text = full.get("text").asText(); // ", there was a little girl named Lily. She loved ..."
        int at = text.indexOf("Lily");
        assertTrue(at > 0, text);
        JsonNode stopped = JSON.readTree(run(null, "generate", "-m", model, "-p", "Once upon a time", "-n", "64", "--temperature", "0",
                "--stop", "Lily", "--stop", "never appears", "--json").out());
        assertEquals(text.substring(0, at), stopped.get("text").asText());
        assertEquals("stop_string", stopped.get("stop_reason").asText());
        Result streamed = run(null, "generate", "-m", model, "-p", "Once upon a time", "-n", "64", "--temperature", "0", "--stop", "Lily");
        assertEquals("Once upon a time" + text.substring(0, at) + "\n", streamed.out());
    }

    @Test
    void topLogprobsAreReportedPerToken() throws Exception {
        String model = shared("models/tinystories/stories260K.gguf").toString();
        JsonNode j = JSON.readTree(run(null, "generate", "-m", model, "-p", "Once upon a time", "-n", "8", "--temperature", "0",
                "--top-logprobs", "3", "--json").out());
        JsonNode lp = j.get("logprobs");
        assertEquals(8, lp.size());
        for (JsonNode t : lp) {
            JsonNode top = t.get("top_logprobs");
            assertEquals(3, top.size());
            // greedy: the chosen token is the most likely one, and log-probabilities are <= 0 and descending
            assertEquals(t.get("id").asInt(), top.get(0).get("id").asInt());
            assertEquals(t.get("logprob").asDouble(), top.get(0).get("logprob").asDouble(), 1e-6);
            assertTrue(top.get(0).get("logprob").asDouble() <= 0);
            assertTrue(top.get(0).get("logprob").asDouble() >= top.get(1).get("logprob").asDouble());
            assertTrue(top.get(1).get("logprob").asDouble() >= top.get(2).get("logprob").asDouble());
        }
    }

    @Test
    void evalWritesLogitsOfEveryPosition(@TempDir Path dir) throws Exception {
        Path model = shared("models/tinystories/stories260K.gguf");
        Path out = dir.resolve("l.f32");
        Result r = run(null, "eval", "-m", model.toString(), "--tokens", "1,403,407,261,378", "--all", "--logits-out", out.toString());
        assertEquals(0, r.code(), r.err());
        float[] ours = floats(out), ref = floats(shared("reference/stories260K/f32/p0.logits.f32"));
        assertEquals(ref.length, ours.length);
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], ours[i], 1e-4f, "logit " + i);
        Result last = run(null, "eval", "-m", model.toString(), "--tokens", "1,403,407,261,378", "--logits-out", out.toString());
        assertEquals(0, last.code(), last.err());
        float[] lastRow = floats(out);
        assertEquals(512, lastRow.length);
        for (int i = 0; i < 512; i++) assertEquals(ref[4 * 512 + i], lastRow[i], 1e-4f);
    }

    @Test
    void tokenizeJsonlAgreesWithLlamaCpp() throws Exception {
        Path model = shared("models/tinystories/stories260K.gguf");
        JsonNode prompts = JSON.readTree(shared("reference/stories260K/prompts.json").toFile());
        StringBuilder in = new StringBuilder();
        for (JsonNode p : prompts) in.append(JSON.writeValueAsString(p.get("text").asText())).append('\n');
        Result r = run(in.toString(), "tokenize", "-m", model.toString(), "--jsonl");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        int i = 0;
        for (JsonNode p : prompts) {
            if (p.get("text").asText().isEmpty()) {
                assertEquals("[]", lines[i++]);
                continue;
            }
            Assertions.assertArrayEquals(ints(p.get("tokens")), ints(JSON.readTree(lines[i++])), p.get("text").asText());
        }
        Result withBos = run("\"Once upon a time\"\n", "tokenize", "-m", model.toString(), "--jsonl", "--bos");
        Assertions.assertArrayEquals(ints(prompts.get(0).get("tokens_with_bos")), ints(JSON.readTree(withBos.out().trim())));
        Result text = run(null, "tokenize", "-m", model.toString(), "--text", "Once upon a time", "--json");
        JsonNode t = JSON.readTree(text.out());
        Assertions.assertArrayEquals(ints(prompts.get(0).get("tokens_with_bos")), ints(t.get("tokens")));
        assertEquals(" Once", t.get("pieces").get(1).asText());
    }

    /**
     * {@code jlama tokenize --jsonl} on every vocabulary-only file with llama.cpp's test vectors (SentencePiece,
     * byte-level BPE, WordPiece): the ids of llama.cpp's .out files.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "bert-bge", "deepseek-coder", "deepseek-llm", "falcon",
            "gpt-2", "mpt", "refact", "starcoder"})
    void tokenizeJsonlAgreesWithLlamaCppVectors(String vocab) throws Exception {
        Path model = shared("models/llamacpp-vocab/ggml-vocab-" + vocab + ".gguf");
        String all = Files.readString(shared("models/llamacpp-vocab/ggml-vocab-" + vocab + ".gguf.inp"), StandardCharsets.UTF_8);
        List<String> expected = Files.readAllLines(shared("models/llamacpp-vocab/ggml-vocab-" + vocab + ".gguf.out"));
        String[] inputs = all.split("\n__ggml_vocab_test__\n", -1);
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < expected.size(); i++) in.append(JSON.writeValueAsString(inputs[i])).append('\n');
        Result r = run(in.toString(), "tokenize", "-m", model.toString(), "--jsonl");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(expected.size(), lines.length);
        for (int i = 0; i < expected.size(); i++) {
            String want = expected.get(i).trim();
            int[] ids = want.isEmpty() ? new int[0] : Arrays.stream(want.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            Assertions.assertArrayEquals(ids, ints(JSON.readTree(lines[i])), vocab + " #" + i);
        }
    }

    @Test
    void infoDescribesTheModel() throws Exception {
        Path model = shared("models/tinystories/stories260K.gguf");
        Result r = run(null, "info", "-m", model.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals("llama", j.get("architecture").asText());
        assertEquals(5, j.get("hparams").get("block_count").asInt());
        assertEquals(8, j.get("hparams").get("head_count").asInt());
        assertEquals(4, j.get("hparams").get("head_count_kv").asInt());
        assertEquals(512, j.get("tokenizer").get("tokens").asInt());
        assertEquals(48, j.get("tensor_count").asInt());
        assertEquals(Files.size(model), j.get("file_size").asLong());
    }

    @Test
    void errorsAreOneLine(@TempDir Path dir) throws Exception {
        Result missing = run(null, "generate", "-m", dir.resolve("nope.gguf").toString(), "-p", "x");
        assertEquals(1, missing.code());
        assertOneLine(missing.err(), "nope.gguf");
        Path junk = dir.resolve("junk.gguf");
        Files.write(junk, "this is not a gguf file at all, just text".getBytes(StandardCharsets.UTF_8));
        Result bad = run(null, "info", "-m", junk.toString());
        assertEquals(1, bad.code());
        assertOneLine(bad.err(), "junk.gguf");
        assertTrue(bad.err().contains("magic"), bad.err());
        Result badTemp = run(null, "generate", "-m", shared("models/tinystories/stories260K.gguf").toString(), "-p", "x", "--temperature", "NaN");
        assertEquals(1, badTemp.code());
        assertOneLine(badTemp.err(), "temperature");
        Result tooLong = run(null, "generate", "-m", shared("models/tinystories/stories260K.gguf").toString(), "-p", "Once upon a time ".repeat(20), "--ctx-size", "16");
        assertEquals(1, tooLong.code());
        assertOneLine(tooLong.err(), "context length 16");
        Result badToken = run(null, "eval", "-m", shared("models/tinystories/stories260K.gguf").toString(), "--tokens", "1,99999", "--logits-out", dir.resolve("x").toString());
        assertEquals(1, badToken.code());
        assertOneLine(badToken.err(), "99999");
        Result usage = run(null, "generate");
        assertEquals(2, usage.code());
    }

    @Test
    void quantizeWritesLlamaCppsFile(@TempDir Path dir) throws Exception {
        Path model = shared("models/tinystories/stories260K.gguf");
        Path out = dir.resolve("q4_0.gguf");
        Result r = run(null, "quantize", model.toString(), out.toString(), "q4_0", "--pure", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().contains("[  48/  48]"), r.err());
        assertTrue(r.err().contains("quant size"), r.err());
        assertArrayEquals(Files.readAllBytes(shared("reference/stories260K/stories260K-q4_0-pure.gguf")), Files.readAllBytes(out));

        // a K-quant mix on 64-wide rows: every 256-block type falls back (Q4_K to Q5_0, Q6_K to Q8_0), as in llama.cpp
        Path mixOut = dir.resolve("mix.gguf");
        Result mix = run(null, "quantize", model.toString(), mixOut.toString(), "Q4_K_M");
        assertEquals(0, mix.code(), mix.err());
        assertTrue(mix.err().contains("falling back to    q5_0"), mix.err());
        try (GgufFile f = GgufFile.open(mixOut)) {
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").type());
            assertEquals(GgmlType.Q5_0, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(15L, f.getLong("general.file_type"));
        }
        Files.delete(mixOut);
        Result type = run(null, "quantize", model.toString(), dir.resolve("x.gguf").toString(), "Q7_9");
        assertEquals(1, type.code());
        assertOneLine(type.err(), "Q7_9");
        // Q2_K_S's Q2_K tensors need an importance matrix (256-wide rows, so no fallback hides them), as in llama.cpp
        Result imatrix = run(null, "quantize", shared("reference/arch/qwen2/qwen2-f32.gguf").toString(), dir.resolve("x.gguf").toString(), "Q2_K_S");
        assertEquals(1, imatrix.code());
        assertOneLine(imatrix.err(), "importance matrix");
        Result iq2 = run(null, "quantize", model.toString(), dir.resolve("x.gguf").toString(), "IQ2_XS");
        assertEquals(1, iq2.code());
        assertOneLine(iq2.err(), "importance matrix");
        Result noDir = run(null, "quantize", model.toString(), dir.resolve("missing/x.gguf").toString(), "Q8_0");
        assertEquals(1, noDir.code());
        assertOneLine(noDir.err(), "output folder not found");
        Result requant = run(null, "quantize", out.toString(), dir.resolve("x.gguf").toString(), "Q8_0", "--pure");
        assertEquals(1, requant.code());
        assertOneLine(requant.err(), "--allow-requantize");
        Result same = run(null, "quantize", out.toString(), out.toString(), "Q8_0");
        assertEquals(1, same.code());
        assertOneLine(same.err(), "overwrite");
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    static void assertOneLine(String err, String mustContain) {
        String e = err.strip();
        assertTrue(e.startsWith("jlama: error: "), err);
        assertEquals(1, e.lines().count(), err);
        assertTrue(e.contains(mustContain), err);
    }

    static float[] floats(Path p) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }
}
