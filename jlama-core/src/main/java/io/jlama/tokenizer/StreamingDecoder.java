package io.jlama.tokenizer;

/** TEMPORARY STUB. */
public interface StreamingDecoder {
    String accept(int token);

    String finish();
}
