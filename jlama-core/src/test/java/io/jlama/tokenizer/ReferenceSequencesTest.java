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

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm/index.json", "llama-spm-fullvocab/index.json"})
    void archSeq16IsThePrefixOfTextA(String index) throws IOException {
        Path idx = SharedData.require("reference/arch/" + index);
        JsonNode root = JSON.readTree(idx.toFile());
        int[] seq16 = ids(root.get("sequences").get("seq16").get("tokens"));
        assertEquals(16, seq16.length);
        String file = root.get("variants").get(0).get("file").asText();
        Tokenizer tok = TestFiles.open(idx.resolveSibling(file));
        int[] all = tok.encode(TEXT_A, true, false);
        assertTrue(all.length >= 16);
        assertArrayEquals(seq16, Arrays.copyOf(all, 16), index + " (" + file + ")");
    }

    private static int[] ids(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }
}
