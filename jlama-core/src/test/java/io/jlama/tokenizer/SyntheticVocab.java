package io.jlama.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A small hand-made SentencePiece vocabulary that exercises what the real test vocabularies do not: USER_DEFINED
 * tokens (always split out), overlapping special tokens (the longer one wins, wherever it starts), a token that
 * llama.cpp turns into CONTROL by its text ({@code <|im_end|>}), score ties and a merge reachable only through
 * lower-scored pieces. The expected ids in the tests were produced by llama.cpp (shared/peers llamacpp-tokenize)
 * on this very file.
 */
final class SyntheticVocab {
    private SyntheticVocab() {
    }

    static final int UNK = 0, BOS = 1, EOS = 2;
    static final int UD = 273, UD_LONG = 274, CTL = 275, IM_END = 276, CTL_UNUSED = 277, TABS = 278, XY = 279, ENDOFTEXT = 281;

    static Path write(Path file, String name) throws IOException {
        return write(file, name, w -> w);
    }

    /** As {@link #write(Path, String)}, with extra metadata added by {@code extra}. */
    static Path write(Path file, String name, java.util.function.UnaryOperator<VocabGgufWriter> extra) throws IOException {
        List<byte[]> tokens = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        add(tokens, scores, types, "<unk>", 0, 2);
        add(tokens, scores, types, "<s>", 0, 3);
        add(tokens, scores, types, "</s>", 0, 3);
        for (int b = 0; b < 256; b++) add(tokens, scores, types, String.format("<0x%02X>", b), 0, 6);
        add(tokens, scores, types, "▁", -1, 1);          // 259
        for (String c : new String[]{"a", "b", "c", "d", "x", "y"}) add(tokens, scores, types, c, -2, 1); // 260..265
        add(tokens, scores, types, "z", -2, 1);          // 266
        add(tokens, scores, types, "ab", -3, 1);         // 267
        add(tokens, scores, types, "cd", -3, 1);         // 268: ties with "ab"
        add(tokens, scores, types, "bc", -2.5f, 1);      // 269: beats "ab" and "cd"
        add(tokens, scores, types, "abcd", -1, 1);       // 270: only via "ab" + "cd"
        add(tokens, scores, types, "▁a", -4, 1);         // 271
        add(tokens, scores, types, "▁ab", -2, 1);        // 272
        add(tokens, scores, types, "<ud>", 0, 4);        // 273 USER_DEFINED
        add(tokens, scores, types, "ud>x>", 0, 4);       // 274 USER_DEFINED, overlaps "<ud>" and is longer
        add(tokens, scores, types, "<ctl>", 0, 3);       // 275 CONTROL
        add(tokens, scores, types, "<|im_end|>", 0, 1);  // 276 NORMAL in the file; llama.cpp makes it CONTROL + EOT
        add(tokens, scores, types, "<ctl_unused_1>", 0, 3); // 277 CONTROL, "unused" -> UNUSED
        add(tokens, scores, types, "\t\t", 0, 4);        // 278 USER_DEFINED whitespace
        add(tokens, scores, types, "xy", 0, 4);          // 279 USER_DEFINED
        add(tokens, scores, types, "▁▁", -1.5f, 1);      // 280
        add(tokens, scores, types, "<|endoftext|>", 0, 3); // 281 CONTROL (llama.cpp's Phi-3 rules need it)
        float[] s = new float[scores.size()];
        int[] t = new int[types.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            t[i] = types.get(i);
        }
        VocabGgufWriter w = new VocabGgufWriter().llamaHparams()
                .string("general.name", name)
                .string("tokenizer.ggml.model", "llama")
                .string("tokenizer.ggml.pre", "default")
                .strings("tokenizer.ggml.tokens", tokens)
                .floats("tokenizer.ggml.scores", s)
                .ints("tokenizer.ggml.token_type", t)
                .u32("tokenizer.ggml.bos_token_id", BOS)
                .u32("tokenizer.ggml.eos_token_id", EOS)
                .u32("tokenizer.ggml.unknown_token_id", UNK);
        extra.apply(w).write(file);
        return file;
    }

    private static void add(List<byte[]> tokens, List<Float> scores, List<Integer> types, String text, float score, int type) {
        tokens.add(text.getBytes(StandardCharsets.UTF_8));
        scores.add(score);
        types.add(type);
    }
}
