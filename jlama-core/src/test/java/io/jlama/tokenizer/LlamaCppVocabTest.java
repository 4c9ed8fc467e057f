package io.jlama.tokenizer;

import io.jlama.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** llama.cpp's own tokenizer test vectors for its SentencePiece vocabularies (vocab-only GGUF files). */
class LlamaCppVocabTest {

    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf"})
    void everyInputGivesLlamaCppIds(String vocab) {
        Path gguf = SharedData.require(TestFiles.VOCAB_DIR + vocab);
        List<String> inputs = TestFiles.readInputs(SharedData.require(TestFiles.VOCAB_DIR + vocab + ".inp"));
        List<int[]> expected = TestFiles.readOutputs(SharedData.require(TestFiles.VOCAB_DIR + vocab + ".out"));
        assertEquals(expected.size(), inputs.size(), "inputs vs expected lines");
        assertTrue(inputs.size() >= 40, "too few vectors: " + inputs.size());
        Tokenizer tok = TestFiles.open(gguf);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            int[] got = tok.encode(inputs.get(i), false, false);
            if (!Arrays.equals(expected.get(i), got)) {
                failures.add("#" + i + " " + quote(inputs.get(i)) + "\n   expected " + Arrays.toString(expected.get(i)) + "\n   got      " + Arrays.toString(got));
            }
        }
        if (!failures.isEmpty()) fail(failures.size() + " of " + inputs.size() + " differ:\n" + String.join("\n", failures));
    }

    /**
     * decode(encode(x)) == x: encoding adds the dummy-prefix space and decoding removes one leading space from the
     * first token, as llama.cpp does. (Holds for these vocabularies; USER_DEFINED tokens can break it, see
     * SyntheticVocabTest.)
     */
    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf"})
    void decodeInvertsEncode(String vocab) {
        Tokenizer tok = TestFiles.openShared(TestFiles.VOCAB_DIR + vocab);
        List<String> inputs = TestFiles.readInputs(SharedData.require(TestFiles.VOCAB_DIR + vocab + ".inp"));
        List<int[]> expected = TestFiles.readOutputs(SharedData.require(TestFiles.VOCAB_DIR + vocab + ".out"));
        for (int i = 0; i < inputs.size(); i++) {
            String x = inputs.get(i);
            assertEquals(x, tok.decode(tok.encode(x, false, false)), "round trip of #" + i + " " + quote(x));
            assertEquals(x, tok.decode(expected.get(i)), "decoding llama.cpp's ids of #" + i);
            // With BOS first, BOS takes the leading-space removal: the dummy prefix stays.
            String withBos = tok.decode(tok.encode(x, true, false));
            assertEquals(x.isEmpty() ? "" : " " + x, withBos, "round trip with BOS of #" + i);
        }
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        for (char c : s.toCharArray()) {
            if (c == '\n') b.append("\\n");
            else if (c == '\t') b.append("\\t");
            else if (c == '\r') b.append("\\r");
            else b.append(c);
        }
        return b.append('\'').toString();
    }
}
