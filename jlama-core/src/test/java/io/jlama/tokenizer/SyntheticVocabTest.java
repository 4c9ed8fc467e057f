package io.jlama.tokenizer;

import io.jlama.gguf.GgufFile;
import io.jlama.gguf.ModelFormatException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Special-token splitting, merge order and vocabulary fix-ups on {@link SyntheticVocab}. Every expected value below was
 * produced by llama.cpp (libllama v0.5.0 through shared/peers/bin/llamacpp-tokenize) on the same generated files.
 */
class SyntheticVocabTest {
    @TempDir
    static Path dir;
    static Tokenizer plain;
    static Tokenizer phi3;

    @BeforeAll
    static void write() throws IOException {
        plain = TestFiles.open(SyntheticVocab.write(dir.resolve("synth.gguf"), "synthetic-spm"));
        // a general.name containing "phi3" switches on llama.cpp's Phi-3 rule: special tokens eat the whitespace after them
        phi3 = TestFiles.open(SyntheticVocab.write(dir.resolve("synth-phi3.gguf"), "synthetic-phi3"));
    }

    /** text; ids without / with add_special; ids with parse_special; llama_detokenize of the first. */
    record Case(String text, int[] plain, int[] withBos, int[] parseSpecial, String detokenized) {
    }

    private static Case c(String text, int[] plain, int[] withBos, int[] parseSpecial, String detokenized) {
        return new Case(text, plain, withBos, parseSpecial, detokenized);
    }

    static final List<Case> PLAIN = List.of(
            c("abcd", new int[]{271, 269, 263}, new int[]{1, 271, 269, 263}, new int[]{271, 269, 263}, "abcd"),
            c("bcd", new int[]{259, 269, 263}, new int[]{1, 259, 269, 263}, new int[]{259, 269, 263}, "bcd"),
            c("x<ud>y", new int[]{259, 264, 273, 259, 265}, new int[]{1, 259, 264, 273, 259, 265}, new int[]{259, 264, 273, 259, 265}, "x<ud> y"),
            c("<ud>x>", new int[]{259, 63, 274}, new int[]{1, 259, 63, 274}, new int[]{259, 63, 274}, "<ud>x>"),
            c("ud>x><ud>", new int[]{274, 273}, new int[]{1, 274, 273}, new int[]{274, 273}, "ud>x><ud>"),
            c("a<ctl>b", new int[]{271, 63, 262, 119, 111, 65, 261}, new int[]{1, 271, 63, 262, 119, 111, 65, 261}, new int[]{271, 275, 259, 261}, "a<ctl>b"),
            c("a<|im_end|>b", new int[]{271, 63, 127, 108, 112, 98, 104, 113, 263, 127, 65, 261}, new int[]{1, 271, 63, 127, 108, 112, 98, 104, 113, 263, 127, 65, 261}, new int[]{271, 276, 259, 261}, "a<|im_end|>b"),
            c("\t\tab\t\t", new int[]{278, 272, 278}, new int[]{1, 278, 272, 278}, new int[]{278, 272, 278}, "\t\t ab\t\t"),
            c("<s>ab</s>", new int[]{259, 63, 118, 65, 267, 63, 50, 118, 65}, new int[]{1, 259, 63, 118, 65, 267, 63, 50, 118, 65}, new int[]{1, 272, 2}, "<s>ab</s>"),
            c("", new int[]{}, new int[]{1}, new int[]{}, ""),
            c(" ", new int[]{280}, new int[]{1, 280}, new int[]{280}, " "),
            c("axyb", new int[]{271, 279, 259, 261}, new int[]{1, 271, 279, 259, 261}, new int[]{271, 279, 259, 261}, "axy b"),
            c("x y <ud> <ctl> z", new int[]{259, 264, 259, 265, 259, 273, 280, 63, 262, 119, 111, 65, 259, 266}, new int[]{1, 259, 264, 259, 265, 259, 273, 280, 63, 262, 119, 111, 65, 259, 266}, new int[]{259, 264, 259, 265, 259, 273, 280, 275, 280, 266}, "x y <ud>  <ctl> z"),
            c("ab <ud>  cd", new int[]{272, 259, 273, 280, 259, 268}, new int[]{1, 272, 259, 273, 280, 259, 268}, new int[]{272, 259, 273, 280, 259, 268}, "ab <ud>   cd"),
            c("a\t\t b", new int[]{271, 278, 280, 261}, new int[]{1, 271, 278, 280, 261}, new int[]{271, 278, 280, 261}, "a\t\t  b"),
            c(" <ud> ", new int[]{280, 273, 280}, new int[]{1, 280, 273, 280}, new int[]{280, 273, 280}, " <ud>  "),
            c("cdab", new int[]{259, 268, 267}, new int[]{1, 259, 268, 267}, new int[]{259, 268, 267}, "cdab"));

    static final List<Case> PHI3 = List.of(
            c("x<ud>y", new int[]{259, 264, 273, 259, 265}, new int[]{1, 259, 264, 273, 259, 265}, new int[]{259, 264, 273, 259, 265}, "x<ud> y"),
            c("\t\tab\t\t", new int[]{278, 272, 278}, new int[]{1, 278, 272, 278}, new int[]{278, 272, 278}, "\t\t ab\t\t"),
            c("x y <ud> <ctl> z", new int[]{259, 264, 259, 265, 259, 273, 259, 63, 262, 119, 111, 65, 259, 266}, new int[]{1, 259, 264, 259, 265, 259, 273, 259, 63, 262, 119, 111, 65, 259, 266}, new int[]{259, 264, 259, 265, 259, 273, 275, 259, 266}, "x y <ud> <ctl> z"),
            c("ab <ud>  cd", new int[]{272, 259, 273, 259, 268}, new int[]{1, 272, 259, 273, 259, 268}, new int[]{272, 259, 273, 259, 268}, "ab <ud> cd"),
            c("a\t\t b", new int[]{271, 278, 259, 261}, new int[]{1, 271, 278, 259, 261}, new int[]{271, 278, 259, 261}, "a\t\t b"),
            c(" <ud> ", new int[]{280, 273}, new int[]{1, 280, 273}, new int[]{280, 273}, " <ud>"),
            c("<s>ab</s>", new int[]{259, 63, 118, 65, 267, 63, 50, 118, 65}, new int[]{1, 259, 63, 118, 65, 267, 63, 50, 118, 65}, new int[]{1, 272, 2}, "<s>ab</s>"));

    @Test
    void matchesLlamaCpp() {
        check(plain, PLAIN);
    }

    @Test
    void phi3RightStripMatchesLlamaCpp() {
        check(phi3, PHI3);
    }

    private static void check(Tokenizer tok, List<Case> cases) {
        for (Case k : cases) {
            String what = "'" + k.text.replace("\t", "\\t") + "'";
            assertArrayEquals(k.plain, tok.encode(k.text, false, false), what);
            assertArrayEquals(k.withBos, tok.encode(k.text, true, false), what + " add_special");
            assertArrayEquals(k.parseSpecial, tok.encode(k.text, false, true), what + " parse_special");
            assertEquals(k.detokenized, tok.decode(k.plain), what + " detokenize");
        }
    }

    @Test
    void vocabularyFixups() {
        Vocabulary v = plain.vocabulary();
        assertEquals(282, v.size());
        assertEquals(TokenType.NORMAL, v.type(SyntheticVocab.IM_END), "stored type");
        assertTrue(v.isControl(SyntheticVocab.IM_END), "an end-of-turn text makes a token CONTROL");
        assertEquals(SyntheticVocab.IM_END, v.eot(), "EOT recognised by its text");
        assertTrue(v.isEndOfGeneration(SyntheticVocab.IM_END));
        assertTrue(v.isEndOfGeneration(SyntheticVocab.EOS));
        assertTrue(v.isEndOfGeneration(SyntheticVocab.ENDOFTEXT));
        assertFalse(v.isEndOfGeneration(SyntheticVocab.BOS));
        assertFalse(v.isEndOfGeneration(-1));
        assertArrayEquals(new int[]{SyntheticVocab.EOS, SyntheticVocab.IM_END, SyntheticVocab.ENDOFTEXT}, v.endOfGenerationIds());
        assertTrue(v.isUnused(SyntheticVocab.CTL_UNUSED));
        assertTrue(v.isUserDefined(SyntheticVocab.UD));
        assertTrue(v.isByte(3 + 0x41));
        assertTrue(v.isUnknown(0));
        assertEquals(SyntheticVocab.UD, v.id("<ud>"));
        assertEquals(-1, v.id("nope"));
        assertTrue(v.addBos());
        assertFalse(v.addEos());
        assertTrue(v.addSpacePrefix());
        assertEquals("llama", v.model());
        assertEquals(0, phi3.vocabulary().attributes(SyntheticVocab.BOS) & Vocabulary.ATTR_RSTRIP, "<s> keeps no RSTRIP");
        assertTrue((phi3.vocabulary().attributes(SyntheticVocab.UD) & Vocabulary.ATTR_RSTRIP) != 0);
        assertEquals(0, plain.vocabulary().attributes(SyntheticVocab.UD) & Vocabulary.ATTR_RSTRIP);
    }

    @Test
    void tokenBytes() {
        assertEquals(" ab", new String(plain.tokenBytes(272), StandardCharsets.UTF_8), "U+2581 becomes a space");
        assertArrayEquals(new byte[0], plain.tokenBytes(SyntheticVocab.BOS), "control");
        assertArrayEquals(new byte[0], plain.tokenBytes(SyntheticVocab.UNK), "unknown");
        assertArrayEquals(new byte[0], plain.tokenBytes(SyntheticVocab.IM_END), "made control by llama.cpp's fix-up");
        assertEquals("<ud>", new String(plain.tokenBytes(SyntheticVocab.UD), StandardCharsets.UTF_8), "user-defined: verbatim");
        assertArrayEquals(new byte[]{(byte) 0xE4}, plain.tokenBytes(3 + 0xE4), "byte token");
        assertThrows(IllegalArgumentException.class, () -> plain.tokenBytes(282));
        assertThrows(IllegalArgumentException.class, () -> plain.tokenBytes(-1));
        // Only the very first token loses a leading space when decoding.
        assertEquals("ab ab", plain.decode(new int[]{272, 272}));
        assertEquals(" ab ab", plain.decode(new int[]{SyntheticVocab.BOS, 272, 272}));
    }

    @Test
    void addSpacePrefixFalse() throws IOException {
        Path f = dir.resolve("noprefix.gguf");
        SyntheticVocab.write(f, "synthetic-spm", w -> w.bool("tokenizer.ggml.add_space_prefix", false).bool("tokenizer.ggml.add_eos_token", true));
        Tokenizer t = TestFiles.open(f);
        assertFalse(t.vocabulary().addSpacePrefix());
        // llama.cpp on this file: [1, 260, 269, 263, 2] ("a" "bc" "d": "bc" outscores "ab", so "abcd" is never reached)
        assertArrayEquals(new int[]{SyntheticVocab.BOS, 260, 269, 263, SyntheticVocab.EOS}, t.encode("abcd", true, false));
        assertEquals(" ab", t.decode(new int[]{272}), "no leading space is removed without the dummy prefix");
    }

    @Test
    void unsupportedModelNamesFileAndKey() throws IOException {
        Path f = dir.resolve("rwkv.gguf");
        new VocabGgufWriter().string("tokenizer.ggml.model", "rwkv").strings("tokenizer.ggml.tokens", List.of(new byte[]{'a'})).write(f);
        try (GgufFile g = GgufFile.open(f)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.fromGguf(g));
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("tokenizer.ggml.model 'rwkv' is not supported yet (supported: llama, gpt2, bert)"), e.getMessage());
        }
        Path none = dir.resolve("none.gguf");
        new VocabGgufWriter().string("general.architecture", "llama").write(none);
        try (GgufFile g = GgufFile.open(none)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.fromGguf(g));
            assertTrue(e.getMessage().contains("tokenizer.ggml.model"), e.getMessage());
        }
    }

    @Test
    void unknownPreTokenizerAndMissingMergesAreRefused() throws IOException {
        Path f = dir.resolve("bpe-unknown-pre.gguf");
        new VocabGgufWriter().string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", "no-such-pre")
                .strings("tokenizer.ggml.tokens", List.of(new byte[]{'a'}, new byte[]{'b'})).strings("tokenizer.ggml.merges", List.of()).write(f);
        try (GgufFile g = GgufFile.open(f)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.fromGguf(g));
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("tokenizer.ggml.pre 'no-such-pre'"), e.getMessage());
        }
        Path m = dir.resolve("bpe-no-merges.gguf");
        new VocabGgufWriter().string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", "gpt-2")
                .strings("tokenizer.ggml.tokens", List.of(new byte[]{'a'}, new byte[]{'b'})).write(m);
        try (GgufFile g = GgufFile.open(m)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.fromGguf(g));
            assertTrue(e.getMessage().contains("tokenizer.ggml.merges"), e.getMessage());
        }
    }

    @Test
    void malformedVocabulary() throws IOException {
        Path f = dir.resolve("short-scores.gguf");
        new VocabGgufWriter().string("tokenizer.ggml.model", "llama")
                .strings("tokenizer.ggml.tokens", List.of(new byte[]{'a'}, new byte[]{'b'}))
                .floats("tokenizer.ggml.scores", new float[]{0f}).write(f);
        try (GgufFile g = GgufFile.open(f)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.fromGguf(g));
            assertTrue(e.getMessage().contains("tokenizer.ggml.scores"), e.getMessage());
        }
    }

    @Test
    void rawTokenBytesSurvive() throws IOException {
        // A token that is not valid UTF-8 (a lone 0xE4) must keep its byte, not its ISO-8859-1 reading.
        Path f = dir.resolve("raw.gguf");
        new VocabGgufWriter().string("tokenizer.ggml.model", "llama")
                .strings("tokenizer.ggml.tokens", List.of("<unk>".getBytes(StandardCharsets.UTF_8), "<s>".getBytes(StandardCharsets.UTF_8),
                        "</s>".getBytes(StandardCharsets.UTF_8), new byte[]{(byte) 0xE4}, "▁".getBytes(StandardCharsets.UTF_8)))
                .write(f);
        Tokenizer t = TestFiles.open(f);
        assertArrayEquals(new byte[]{(byte) 0xE4}, t.vocabulary().textBytes(3));
        assertArrayEquals(new byte[]{(byte) 0xE4}, t.tokenBytes(3));
        // Without <0xXX> tokens the byte fallback uses the single-byte token, then <unk>.
        int[] ids = t.encode("中", false, false); // E4 B8 AD
        assertArrayEquals(new int[]{4, 3, 0, 0}, ids);
    }
}
