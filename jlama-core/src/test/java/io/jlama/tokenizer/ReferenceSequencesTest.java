package io.jlama.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Token ids that llama.cpp produced for the reference model runs in shared/reference. */
class ReferenceSequencesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** TEXT_A of shared/reference/arch/README.md. */
    static final String TEXT_A = "The quick brown fox jumps over the lazy dog. Once upon a time, there was a little girl named Lily who loved"
            + " to play in the park with her friends.";

    @Test
    void stories260KPrompts() throws IOException {
        Tokenizer tok = TestFiles.openShared("models/tinystories/stories260K.gguf");
        JsonNode prompts = JSON.readTree(SharedData.require("reference/stories260K/prompts.json").toFile());
        assertTrue(prompts.size() >= 4);
        for (JsonNode p : prompts) {
            String text = p.get("text").asText();
            assertArrayEquals(ids(p.get("tokens_with_bos")), tok.encode(text, true, false), "tokens_with_bos of " + p.get("id"));
            int[] plain = ids(p.get("tokens"));
            assertArrayEquals(plain, tok.encode(text, false, false), "tokens of " + p.get("id"));
            JsonNode pieces = p.get("pieces");
            assertEquals(plain.length, pieces.size());
            for (int i = 0; i < plain.length; i++) {
                assertEquals(pieces.get(i).asText(), new String(tok.tokenBytes(plain[i]), StandardCharsets.UTF_8), "piece " + i + " of " + p.get("id"));
            }
            assertEquals(text, tok.decode(plain));
        }
        Vocabulary v = tok.vocabulary();
        assertEquals(512, v.size());
        assertEquals(1, v.bos());
        assertEquals(2, v.eos());
        assertEquals(0, v.unk());
        assertEquals(-1, v.pad(), "padding_token_id 0xFFFFFFFF is out of range and ignored");
        assertTrue(v.addBos());
        assertTrue(v.isEndOfGeneration(2));
    }

    /** TEXT_B of shared/reference/arch/README.md. */
    static final String TEXT_B = "In 1969, Neil Armstrong and Buzz Aldrin walked on the Moon; the mission lasted 8 days, 3 hours and 18 minutes."
            + " Scientists still study the rocks they brought back to Earth, because they tell us how the solar system formed.";

    /** Every model of shared/reference/arch: SentencePiece (llama, phi3, gemma, mixtral) and byte-level BPE vocabularies. */
    static final String[] ARCH = {"llama-spm", "llama-spm-fullvocab", "llama3", "qwen2", "qwen3", "qwen3moe", "gpt2", "gpt2-fullvocab",
            "qwen2-fullvocab", "gpt-oss", "phi3", "gemma2", "gemma3", "mixtral"};

    /**
     * The reference sequences are llama.cpp's tokenization with add_special: seq16 is the first 16 tokens of TEXT_A,
     * seq48 starts with the first 24 tokens of TEXT_B.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "llama-spm-fullvocab", "llama3", "qwen2", "qwen3", "qwen3moe", "gpt2", "gpt2-fullvocab",
            "qwen2-fullvocab", "gpt-oss", "phi3", "gemma2", "gemma3", "mixtral"})
    void archSequencesAreTheTokensOfTheTexts(String model) throws IOException {
        Path idx = SharedData.require("reference/arch/" + model + "/index.json");
        JsonNode root = JSON.readTree(idx.toFile());
        String file = root.get("variants").get(0).get("file").asText();
        Tokenizer tok = TestFiles.open(idx.resolveSibling(file));
        int[] seq16 = ids(root.get("sequences").get("seq16").get("tokens"));
        assertEquals(16, seq16.length);
        assertArrayEquals(seq16, Arrays.copyOf(tok.encode(TEXT_A, true, false), 16), model + " seq16 (" + file + ")");
        int[] seq48 = ids(root.get("sequences").get("seq48").get("tokens"));
        assertArrayEquals(Arrays.copyOf(seq48, 24), Arrays.copyOf(tok.encode(TEXT_B, true, false), 24), model + " seq48 (" + file + ")");
    }

    /**
     * Decoding llama.cpp's greedy continuations (random weights: arbitrary tokens, byte tokens, special tokens) gives
     * llama.cpp's text ({@code llama_detokenize(generated, remove_special=false)}; bytes that are not UTF-8 read as U+FFFD).
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "llama-spm-fullvocab", "llama3", "qwen2", "qwen3", "qwen3moe", "gpt2", "gpt2-fullvocab",
            "qwen2-fullvocab", "gpt-oss", "phi3", "gemma2", "gemma3", "mixtral"})
    void archGreedyTextIsTheDecodedTokens(String model) throws IOException {
        Path idx = SharedData.require("reference/arch/" + model + "/index.json");
        JsonNode root = JSON.readTree(idx.toFile());
        Tokenizer tok = TestFiles.open(idx.resolveSibling(root.get("variants").get(0).get("file").asText()));
        int checked = 0;
        for (JsonNode v : root.get("variants")) {
            for (java.util.Iterator<java.util.Map.Entry<String, JsonNode>> it = v.get("results").fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode g = e.getValue().get("greedy");
                if (g == null) continue;
                int[] generated = ids(g.get("generated_tokens"));
                assertEquals(g.get("text").asText(), tok.decode(generated), model + " " + v.get("variant").asText() + " " + e.getKey());
                checked++;
            }
        }
        assertTrue(checked >= 2, "greedy runs checked: " + checked);
    }

    private static int[] ids(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }
}
