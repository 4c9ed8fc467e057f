package io.jlama.tokenizer;

import io.jlama.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Not a benchmark: makes sure tokenizing a megabyte is not quadratic, and prints the time. There is no timing
 * assertion (shared CI machines); a quadratic merge loop would take minutes here instead of well under a second.
 */
class TokenizerSpeedTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "gpt-2", "deepseek-llm", "bert-bge"})
    void oneMegabyte(String vocab) {
        Tokenizer tok = TestFiles.openShared(LlamaCppVocabTest.gguf(vocab));
        List<String> inputs = TestFiles.readInputs(SharedData.require(LlamaCppVocabTest.gguf(vocab) + ".inp"));
        String text = megabyte(String.join("\n", inputs) + "\n" + StreamingDecoderTest.TEXT + "\n");
        // one long run without any space: a single symbol chain of a million characters
        String run = "x".repeat(1 << 20);

        for (String[] c : new String[][]{{"mixed text", text}, {"one 1 MiB word", run}}) {
            tok.encode(c[1].substring(0, 100_000), false, false); // warm-up
            long t0 = System.nanoTime();
            int[] ids = tok.encode(c[1], true, false);
            long t1 = System.nanoTime();
            String back = tok.decode(ids);
            long t2 = System.nanoTime();
            assertTrue(ids.length > 1000);
            if (tok instanceof SentencePieceTokenizer) assertEquals(" " + c[1], back);
            else if (tok instanceof BpeTokenizer && !tok.vocabulary().cleanSpaces()) assertEquals(c[1], back);
            System.out.printf("tokenizer speed (%s, %s): %,d bytes -> %,d tokens, encode %.0f ms, decode %.0f ms%n", vocab, c[0],
                    c[1].getBytes(StandardCharsets.UTF_8).length, ids.length, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }
    }

    /** The unit repeated up to 1 MiB of UTF-8. */
    private static String megabyte(String unit) {
        StringBuilder b = new StringBuilder();
        int bytes = unit.getBytes(StandardCharsets.UTF_8).length;
        for (int n = 0; n < (1 << 20); n += bytes) b.append(unit);
        return b.toString();
    }
}
