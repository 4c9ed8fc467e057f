package io.jlama.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pre-tokenizers and the Unicode facts under them. That they split exactly like llama.cpp is checked through the
 * tokenizer vectors (LlamaCppVocabTest) and was checked on thousands of random texts with every pre-tokenizer name
 * (see the package notes); here: that every one of them works, and the corner cases of the machinery.
 */
class PreTokenizerTest {
    static final String SAMPLE = "Hello, y'all! I'M 12345 'RE ÄpfeL naïve\u00a0café —  東京の天気は晴れ 한국어 🦙🚀 👍🏽\n\n\t x+=1; "
            + "e\u0301\u0301 ＡＢＣ １２３ Ωmega \u2028 end   ";

    private static List<String> words(PreTokenizer p, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] cps = Unicode.codePoints(b, 0, b.length);
        IntList lens = p.split(cps, cps.length);
        List<String> out = new ArrayList<>();
        int at = 0;
        for (int k = 0; k < lens.size(); k++) {
            assertTrue(lens.get(k) > 0, "empty word");
            out.add(new String(cps, at, lens.get(k)));
            at += lens.get(k);
        }
        assertEquals(cps.length, at, "words cover the text");
        return out;
    }

    @Test
    void everyPresetSplitsText() {
        List<String> names = PreTokenizer.presetNames();
        assertTrue(names.size() > 80, "pre-tokenizer names: " + names.size());
        for (String name : names) {
            PreTokenizer.Preset preset = PreTokenizer.preset(name);
            assertNotNull(preset);
            PreTokenizer p = new PreTokenizer(preset.type());
            assertEquals(SAMPLE, String.join("", words(p, SAMPLE)), name);
        }
        assertEquals("default", PreTokenizer.preset("").name(), "a missing tokenizer.ggml.pre means 'default'");
        assertEquals(null, PreTokenizer.preset("no-such-pre"));
    }

    /** Words by the regexes (llama.cpp's tokens of these texts, shared/peers llamacpp-tokenize, never cross them). */
    @Test
    void knownSplits() {
        PreTokenizer gpt2 = new PreTokenizer(PreTokenizer.Type.GPT2);
        assertEquals(List.of("Hello", ",", " y", "'", "all", "!", " I", "'", "M", " 12345", "   ", " x"), words(gpt2, "Hello, y'all! I'M 12345    x"));
        PreTokenizer llama3 = new PreTokenizer(PreTokenizer.Type.LLAMA3);
        assertEquals(List.of("Hello", ",", " y", "'all", "!", " I", "'M", " ", "123", "45", "   ", " x", "\n\n"),
                words(llama3, "Hello, y'all! I'M 12345    x\n\n"));
        PreTokenizer qwen2 = new PreTokenizer(PreTokenizer.Type.QWEN2);
        assertEquals(List.of("1", "2", "3", " 東京", "!\n"), words(qwen2, "123 東京!\n"));
        PreTokenizer gpt4o = new PreTokenizer(PreTokenizer.Type.GPT4O);
        assertEquals(List.of("Hello", "World", " HELLOWorld's", " ", "123", "4"), words(gpt4o, "HelloWorld HELLOWorld's 1234"));
    }

    /** java.util.regex repeats groups by recursion: the pre-tokenizers must not overflow the stack on a long word. */
    @Test
    void longWordsDoNotOverflowTheStack() {
        String word = "Ab".repeat(300_000) + " " + "é".repeat(300_000) + " " + "x'".repeat(100_000);
        for (PreTokenizer.Type type : PreTokenizer.Type.values()) {
            assertEquals(word, String.join("", words(new PreTokenizer(type), word)), type.name());
        }
    }

    @Test
    void regexTranslation() {
        // \p{..} in the collapsed text: the category's character plus its ASCII members
        String collapsed = PreTokenizer.collapseRegex("[^\\s\\p{L}\\p{N}]+|\\p{P}");
        assertTrue(collapsed.startsWith("[^\\s\u00D2A-Za-z\u00D10-9]+|[\u00D3"), collapsed);
        // $ is the end of the piece, and a lookahead-guarded character is a class intersection
        assertTrue(PreTokenizer.toJava("\\s+$").endsWith("\\z"));
        String j = PreTokenizer.toJava("((?=[\u00D2A-Za-z])([^a-z]))*");
        assertTrue(j.contains("&&[^"), j);
        assertFalse(j.contains("(?="), j);
    }

    @Test
    void unicodeAsLlamaCppSeesIt() {
        assertEquals(Unicode.LETTER, Unicode.flags('a'));
        assertEquals(Unicode.SYMBOL, Unicode.flags(0x1F999), "llama emoji");
        assertEquals(Unicode.NUMBER, Unicode.flags(0xFF11), "fullwidth digit");
        assertEquals(Unicode.MARK, Unicode.flags(0x0301));
        assertEquals(Unicode.CONTROL, Unicode.flags(0x200D), "ZWJ is a format character");
        assertEquals(Unicode.SEPARATOR | Unicode.WHITESPACE, Unicode.flags(0x3000));
        assertEquals(Unicode.CONTROL | Unicode.WHITESPACE, Unicode.flags(0x85));
        assertEquals(Unicode.CONTROL, Unicode.flags(0x1C), "not White_Space, although Java's isWhitespace says so");
        assertEquals(Unicode.UNDEFINED, Unicode.flags(0x1FAE9), "Unicode 16: unassigned in llama.cpp's tables");
        assertEquals(Unicode.UNDEFINED, Unicode.flags(0x0897), "Unicode 16");
        assertEquals(Unicode.UNDEFINED, Unicode.flags(0x110000));
        assertEquals('i', Unicode.toLower(0x130));
        assertEquals(0xA7CB, Unicode.toLower(0xA7CB), "Unicode 16 letter: no lowercase in llama.cpp's tables");
        assertEquals('e', Unicode.nfdFirst('é'));
        assertEquals(0x1112, Unicode.nfdFirst('한'), "a Hangul syllable: its leading consonant");
        assertEquals('A', Unicode.nfdFirst(0x212B), "ANGSTROM SIGN");
        assertEquals(0x4E00, Unicode.nfdFirst(0x4E00));
        assertTrue(Unicode.isNewInUnicode16(0x1FBEF) && !Unicode.isNewInUnicode16(0x1FBF0) && !Unicode.isNewInUnicode16(0x896));
    }

    @Test
    void cleanSpaces() {
        // llama.cpp's detokenizer on the ids of these texts (gpt-2 vocabulary)
        assertEquals("Hello, world! a.b?", clean("Hello , world ! a .b ?"));
        assertEquals("a'b", clean("a ' b"));
        assertEquals("it's I'm we're you've", clean("it 's I 'm we 're you 've"));
        assertEquals("don 't I 'd we 'll", clean("don 't I 'd we 'll"));
        assertEquals("", clean(""));
        assertEquals(" ", clean(" "));
    }

    private static String clean(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return new String(b, 0, AbstractTokenizer.cleanSpaces(b, b.length), StandardCharsets.UTF_8);
    }
}
