package io.jlama.tokenizer;

import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Not a benchmark: makes sure tokenizing a megabyte is not quadratic, and prints the time. There is no timing
 * assertion (shared CI machines); a quadratic merge loop would take minutes here instead of well under a second.
 */
class TokenizerSpeedTest {

    @Test
    void oneMegabyte() {
        Tokenizer tok = TestFiles.openShared(TestFiles.VOCAB_DIR + "ggml-vocab-llama-spm.gguf");
        List<String> inputs = TestFiles.readInputs(SharedData.require(TestFiles.VOCAB_DIR + "ggml-vocab-llama-spm.gguf.inp"));
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
            assertEquals(" " + c[1], back);
            System.out.printf("tokenizer speed (%s): %,d bytes -> %,d tokens, encode %.0f ms, decode %.0f ms%n",
                    c[0], c[1].getBytes(java.nio.charset.StandardCharsets.UTF_8).length, ids.length, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }
    }

    private static String megabyte(String unit) {
        StringBuilder b = new StringBuilder();
        while (b.length() < (1 << 20)) b.append(unit);
        return b.toString();
    }
}
