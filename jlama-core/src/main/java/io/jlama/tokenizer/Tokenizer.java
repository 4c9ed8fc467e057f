package io.jlama.tokenizer;

import io.jlama.gguf.GgufFile;

/** TEMPORARY STUB until the tokenizer branch merges. */
public interface Tokenizer {
    static Tokenizer fromGguf(GgufFile gguf) {
        throw new UnsupportedOperationException();
    }

    Vocabulary vocabulary();

    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    String decode(int[] tokens);

    StreamingDecoder streamingDecoder();

    byte[] tokenBytes(int token);
}
