package io.jlama.tokenizer;

import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * llama.cpp's own tokenizer test vectors ({@code .inp} texts, {@code .out} ids with add_special=false and
 * parse_special=false) on its vocabulary-only GGUF files, and on full-vocabulary models for the vocabularies whose
 * vocab-only files are not kept.
 */
class LlamaCppVocabTest {
    /** Every vocabulary in shared/models/llamacpp-vocab that has both its GGUF and its vectors. */
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "bert-bge", "deepseek-coder", "deepseek-llm", "falcon", "gpt-2", "mpt", "refact",
            "starcoder"})
    void everyInputGivesLlamaCppIds(String vocab) {
        Tokenizer tok = TestFiles.openShared(gguf(vocab));
        checkVectors(tok, vocab);
    }

    /**
     * The vectors of vocabularies whose vocab-only GGUF is not kept, on models that carry the same vocabulary:
     * qwen2 on the real Qwen2.5 vocabulary of reference/arch/qwen2-fullvocab; gpt-2 also on reference/arch/gpt2-fullvocab.
     * (No reference/arch model carries the full Llama-3 vocabulary: llama3 there has 512 tokens; see {@link #llamaBpe}.)
     */
    @ParameterizedTest
    @CsvSource({"qwen2, reference/arch/qwen2-fullvocab/qwen2-fullvocab-f16-q4_0embd.gguf",
            "gpt-2, reference/arch/gpt2-fullvocab/gpt2-fullvocab-f16.gguf"})
    void fullVocabularyModels(String vocab, String model) {
        Tokenizer tok = TestFiles.openShared(model);
        checkVectors(tok, vocab);
    }

    /**
     * The llama-bpe (Llama 3) vectors on a vocabulary built from the official Llama-3 tiktoken file the way Hugging
     * Face and convert_hf_to_gguf.py build it (280147 merges; llama.cpp gives exactly the .out ids on this file).
     */
    @Test
    void llamaBpe(@TempDir Path dir) throws IOException {
        Path model = TiktokenGguf.write(SharedData.require("models/tokenizers/llama3/tokenizer.model"), dir.resolve("llama3.gguf"),
                "llama-bpe", TiktokenGguf.llama3Specials());
        Tokenizer tok = TestFiles.open(model);
        assertEquals(128256, tok.vocabulary().size());
        assertTrue(tok.vocabulary().addBos(), "llama-bpe adds BOS by default");
        checkVectors(tok, "llama-bpe");
        assertArrayEquals(new int[]{128000, 9906, 1917}, tok.encode("Hello world", true, false));
        assertArrayEquals(new int[]{128000, 128006, 882, 128007}, tok.encode("<|start_header_id|>user<|end_header_id|>", true, true));
    }

    private static void checkVectors(Tokenizer tok, String vocab) {
        List<String> inputs = TestFiles.readInputs(SharedData.require(gguf(vocab) + ".inp"));
        List<int[]> expected = TestFiles.readOutputs(SharedData.require(gguf(vocab) + ".out"));
        assertEquals(expected.size(), inputs.size(), "inputs vs expected lines");
        assertTrue(inputs.size() >= 40, "too few vectors: " + inputs.size());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            int[] got = tok.encode(inputs.get(i), false, false);
            if (!Arrays.equals(expected.get(i), got)) {
                failures.add("#" + i + " " + quote(inputs.get(i)) + "\n   expected " + Arrays.toString(expected.get(i)) + "\n   got      " + Arrays.toString(got));
            }
        }
        if (!failures.isEmpty()) fail(vocab + ": " + failures.size() + " of " + inputs.size() + " differ:\n" + String.join("\n", failures));
    }

    static String gguf(String vocab) {
        return TestFiles.VOCAB_DIR + "ggml-vocab-" + vocab + ".gguf";
    }

    /**
     * decode(encode(x)) == x wherever llama.cpp's own round trip holds, and what llama.cpp's detokenizer gives where
     * it does not. SentencePiece: encoding adds the dummy-prefix space and decoding removes one leading space from the
     * first token. Byte-level BPE is lossless, but most of these vocabularies clean up spaces when decoding
     * (" ," becomes ","), as llama.cpp does; then only texts that cleaning leaves alone come back unchanged.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "deepseek-coder", "deepseek-llm", "falcon", "gpt-2", "mpt", "refact", "starcoder"})
    void decodeInvertsEncode(String vocab) {
        Tokenizer tok = TestFiles.openShared(gguf(vocab));
        List<String> inputs = TestFiles.readInputs(SharedData.require(gguf(vocab) + ".inp"));
        List<int[]> expected = TestFiles.readOutputs(SharedData.require(gguf(vocab) + ".out"));
        int holds = 0;
        for (int i = 0; i < inputs.size(); i++) {
            String x = inputs.get(i);
            String llamaCpp = tok.vocabulary().cleanSpaces() ? cleanSpaces(x) : x; // llama.cpp's detokenize(tokenize(x))
            if (llamaCpp.equals(x)) holds++;
            assertEquals(llamaCpp, tok.decode(tok.encode(x, false, false)), "round trip of #" + i + " " + quote(x));
            assertEquals(llamaCpp, tok.decode(expected.get(i)), "decoding llama.cpp's ids of #" + i);
            if (tok instanceof SentencePieceTokenizer) {
                // With BOS first, BOS takes the leading-space removal: the dummy prefix stays.
                assertEquals(x.isEmpty() ? "" : " " + x, tok.decode(tok.encode(x, true, false)), "round trip with BOS of #" + i);
            }
        }
        assertTrue(holds >= inputs.size() - 2, vocab + ": the round trip holds for only " + holds + " inputs");
    }

    private static String cleanSpaces(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return new String(b, 0, AbstractTokenizer.cleanSpaces(b, b.length), StandardCharsets.UTF_8);
    }

    /** WordPiece: lowercased, accents stripped, and a space before every word (llama.cpp keeps it when decoding). */
    @Test
    void wordPiece() {
        Tokenizer tok = TestFiles.openShared(gguf("bert-bge"));
        assertInstanceOf(WordPieceTokenizer.class, tok);
        // Each value below is what llama.cpp (shared/peers/bin/llamacpp-tokenize) gives on the same file.
        assertArrayEquals(new int[]{101, 7592, 9706, 7959, 2140, 102}, tok.encode("Hello Äpfel", true, false), "[CLS] ... [SEP]");
        assertArrayEquals(new int[]{7592, 9706, 7959, 2140}, tok.encode("Hello Äpfel", false, false));
        assertEquals(" hello apfel", tok.decode(tok.encode("Hello Äpfel", false, false)));
        assertArrayEquals(new int[]{101, 102}, tok.encode("", true, false));
        assertArrayEquals(new int[]{100}, tok.encode("កាន់តែពិសេសអាចខលចេញ", false, false), "a word without pieces is [UNK]");
        assertArrayEquals(new int[]{7592, 1010, 1061, 1005, 2035, 999}, tok.encode("Hello, y'all!", false, false));
        assertEquals(" hello, y'all!", tok.decode(tok.encode("Hello, y'all!", false, false)), "spaces before , and ! are cleaned up");
        assertArrayEquals(new int[]{7592, 102, 2088}, tok.encode("hello[SEP]world", false, true), "special tokens in the text");
        assertArrayEquals(new int[]{7592, 1031, 19802, 1033, 2088}, tok.encode("hello[SEP]world", false, false));
    }

    static String quote(String s) {
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
