package io.jlama.tokenizer;

/** TEMPORARY STUB. */
public interface Vocabulary {
    boolean isEndOfGeneration(int id);
}
