package io.jlama.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamingDecoderTest {
    static final String TEXT = "Grüße aus Köln — 東京の天気は晴れ。🦙🚀 👍🏽 ñandú, naïve café; 한국어 😶‍🌫️ Ελληνικά 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ok";

    @TempDir
    static Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"models/llamacpp-vocab/ggml-vocab-llama-spm.gguf", "models/llamacpp-vocab/ggml-vocab-phi-3.gguf",
            "models/tinystories/stories260K.gguf"})
    void streamsMultiByteTextExactly(String vocab) {
        streamAndCheck(TestFiles.openShared(vocab));
    }

    /**
     * Byte-level BPE: a multi-byte character is often split across tokens (each token stands for a few bytes); the
     * streamed text is exactly the original bytes, with no replacement character on the way.
     */
    @ParameterizedTest
    @ValueSource(strings = {"models/llamacpp-vocab/ggml-vocab-gpt-2.gguf", "models/llamacpp-vocab/ggml-vocab-deepseek-llm.gguf",
            "reference/arch/qwen2-fullvocab/qwen2-fullvocab-f16-q4_0embd.gguf", "reference/arch/gpt-oss/gpt-oss-f32.gguf"})
    void byteLevelBpeStreamsMultiByteTextExactly(String vocab) {
        Tokenizer tok = TestFiles.openShared(vocab);
        int[] ids = tok.encode(TEXT, true, false);
        int split = 0;
        for (int id : ids) if (!completeUtf8(tok.tokenBytes(id))) split++;
        assertTrue(split > 0, "the test text should split some characters across tokens");
        for (StreamingDecoder d : new StreamingDecoder[]{tok.streamingDecoder(), tok.streamingDecoder(true)}) {
            StringBuilder all = new StringBuilder();
            for (int id : ids) {
                String piece = d.accept(id);
                assertFalse(piece.contains("\uFFFD"), "replacement character in piece after token " + id + ": " + piece);
                assertNoLoneSurrogate(piece);
                all.append(piece);
            }
            all.append(d.finish());
            assertArrayEquals(TEXT.getBytes(StandardCharsets.UTF_8), all.toString().getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(TEXT, tok.decode(ids));
    }

    /**
     * GPT-2 style vocabularies clean up spaces when decoding (" ," becomes ","; " 's" becomes "'s"): streaming holds
     * back what the next token could still change and gives the same text as decoding the whole sequence.
     */
    @Test
    void streamingCleansSpacesLikeDecode() {
        Tokenizer tok = TestFiles.openShared("models/llamacpp-vocab/ggml-vocab-gpt-2.gguf");
        assertTrue(tok.vocabulary().cleanSpaces());
        String text = "Hello , world ! It 's a ' quoted ' word . We 're here , are n't we ?  ' x '' y 've ' 'll  ,,";
        int[] ids = tok.encode(text, false, false);
        // llama.cpp (shared/peers/bin/llamacpp-tokenize) detokenizes these ids to:
        String expected = "Hello, world! It's a'quoted'word. We're here, are n't we? 'x '' y've''ll ,,";
        assertEquals(expected, tok.decode(ids));
        StreamingDecoder d = tok.streamingDecoder();
        StringBuilder all = new StringBuilder();
        for (int id : ids) all.append(d.accept(id));
        all.append(d.finish());
        assertEquals(expected, all.toString());
    }

    @Test
    void streamsByteTokensExactly() throws IOException {
        // the synthetic vocabulary has no multi-byte characters at all: every one arrives byte by byte
        streamAndCheck(TestFiles.open(SyntheticVocab.write(dir.resolve("synth.gguf"), "synthetic-spm")));
    }

    private static void streamAndCheck(Tokenizer tok) {
        int[] ids = tok.encode(TEXT, true, false);
        int split = 0;
        for (int id : ids) if (!completeUtf8(tok.tokenBytes(id))) split++;
        assertTrue(split > 0, "the test text should split some characters across tokens");

        StreamingDecoder d = tok.streamingDecoder();
        StringBuilder all = new StringBuilder();
        for (int id : ids) {
            String piece = d.accept(id);
            assertFalse(piece.contains("\uFFFD"), "replacement character in piece after token " + id + ": " + piece);
            assertNoLoneSurrogate(piece);
            all.append(piece);
        }
        all.append(d.finish());
        // BOS comes first and takes the leading-space removal, as in decode(): the dummy prefix stays
        assertEquals(" " + TEXT, all.toString());
        assertEquals(tok.decode(ids), all.toString());
        assertArrayEquals((" " + TEXT).getBytes(StandardCharsets.UTF_8), all.toString().getBytes(StandardCharsets.UTF_8));

        // without BOS the dummy prefix space goes, exactly as decode() does
        int[] noBos = tok.encode(TEXT, false, false);
        assertEquals(TEXT, stream(tok.streamingDecoder(), noBos));
        // a continuation keeps every byte of every token
        assertEquals(" " + TEXT, stream(tok.streamingDecoder(true), noBos));
    }

    private static String stream(StreamingDecoder d, int[] ids) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            String p = d.accept(id);
            assertFalse(p.contains("\uFFFD"));
            b.append(p);
        }
        return b.append(d.finish()).toString();
    }

    @Test
    void invalidBytesComeOutAtOnceAndIncompleteOnesAtFinish() throws IOException {
        Tokenizer tok = TestFiles.open(SyntheticVocab.write(dir.resolve("synth2.gguf"), "synthetic-spm"));
        StreamingDecoder d = tok.streamingDecoder(true);
        assertEquals("a", d.accept(260));
        assertEquals("", d.accept(3 + 0xE6), "first byte of 3 held back");
        assertEquals("", d.accept(3 + 0x97));
        assertEquals("日", d.accept(3 + 0xA5));
        assertEquals("\uFFFD", d.accept(3 + 0xFF), "0xFF can never start a character");
        assertEquals("\uFFFDb", d.accept(3 + 0xBF) + d.accept(261), "a stray continuation byte");
        assertEquals("", d.accept(3 + 0xF0));
        assertEquals("\uFFFD", d.finish(), "an incomplete character is flushed by finish");
        assertEquals("", d.finish());
        assertEquals("\uFFFDa", d.accept(3 + 0xE0) + d.accept(260), "a lead byte followed by ASCII");
        assertEquals("", d.accept(3 + 0xED));
        String bad = d.accept(3 + 0xA0); // ED A0 would start a surrogate: never valid, so not held back
        assertFalse(bad.isEmpty());
        assertTrue(bad.chars().allMatch(ch -> ch == 0xFFFD), bad);
        assertEquals("", d.finish());
    }

    @Test
    void completeLength() {
        byte[] b = "a€".getBytes(StandardCharsets.UTF_8); // 61 E2 82 AC
        assertEquals(4, Utf8StreamingDecoder.completeLength(b, 4));
        assertEquals(1, Utf8StreamingDecoder.completeLength(b, 3));
        assertEquals(1, Utf8StreamingDecoder.completeLength(b, 2));
        assertEquals(1, Utf8StreamingDecoder.completeLength(b, 1));
        byte[] e = "🦙".getBytes(StandardCharsets.UTF_8);
        for (int n = 1; n < 4; n++) assertEquals(0, Utf8StreamingDecoder.completeLength(e, n));
        assertEquals(4, Utf8StreamingDecoder.completeLength(e, 4));
        assertEquals(0, Utf8StreamingDecoder.completeLength(new byte[0], 0));
    }

    private static boolean completeUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    private static void assertNoLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                assertTrue(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)), "lone high surrogate in " + Arrays.toString(s.toCharArray()));
                i++;
            } else {
                assertFalse(Character.isLowSurrogate(c), "lone low surrogate");
            }
        }
    }
}
