package io.jlama.tokenizer;

import io.jlama.gguf.GgufFile;
import io.jlama.gguf.ModelFormatException;

import java.nio.charset.StandardCharsets;

/**
 * Text to token ids and back, with llama.cpp's results. Implementations are immutable and thread-safe; a
 * {@link StreamingDecoder} is not (use one per stream).
 */
public interface Tokenizer {
    /** The tokenizer models {@link #fromGguf} supports ({@code tokenizer.ggml.model}). */
    String SUPPORTED = "llama, gpt2, bert";

    /**
     * The tokenizer described by a GGUF file's {@code tokenizer.ggml.*} metadata: {@code "llama"} (SentencePiece
     * scores) gives a {@link SentencePieceTokenizer}, {@code "gpt2"} (byte-level BPE with merges, pre-tokenizer by
     * {@code tokenizer.ggml.pre}) a {@link BpeTokenizer}, {@code "bert"} (WordPiece) a {@link WordPieceTokenizer}.
     * Any other model or pre-tokenizer, or a missing/malformed vocabulary, throws a {@link ModelFormatException}
     * naming the file and the key.
     */
    static Tokenizer fromGguf(GgufFile gguf) {
        String model = gguf.getString(Vocabulary.KEY_MODEL);
        return switch (model) {
            case "llama" -> new SentencePieceTokenizer(Vocabulary.fromGguf(gguf));
            case "gpt2" -> new BpeTokenizer(Vocabulary.fromGguf(gguf));
            case "bert" -> new WordPieceTokenizer(Vocabulary.fromGguf(gguf));
            default -> throw new ModelFormatException(gguf.path(),
                    Vocabulary.KEY_MODEL + " '" + model + "' is not supported yet (supported: " + SUPPORTED + ")");
        };
    }

    /** The vocabulary: token texts, scores, types, special ids, add-BOS/EOS flags, end-of-generation ids. */
    Vocabulary vocabulary();

    /**
     * Token ids of {@code text}, like {@code llama_tokenize} on its UTF-8 bytes (an unpaired surrogate, which has no
     * UTF-8 form, is encoded as '?').
     *
     * @param addSpecial   add the vocabulary's BOS / EOS when {@link Vocabulary#addBos()} / {@link Vocabulary#addEos()}
     * @param parseSpecial also turn the text of CONTROL and UNKNOWN tokens (e.g. {@code <s>}) into those tokens;
     *                     USER_DEFINED tokens are always matched
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * The bytes a token stands for, like {@code llama_token_to_piece(special = false)}: CONTROL and UNKNOWN tokens
     * give nothing, byte tokens ({@code <0xXX>}) that byte. A piece need not be complete UTF-8.
     */
    byte[] tokenBytes(int token);

    /** The bytes of a token sequence, like {@code llama_detokenize(remove_special = false, unparse_special = false)}. */
    byte[] decodeBytes(int[] tokens);

    /** {@link #decodeBytes} as text (bytes that are not valid UTF-8 become U+FFFD). */
    default String decode(int[] tokens) {
        return new String(decodeBytes(tokens), StandardCharsets.UTF_8);
    }

    /**
     * A decoder for tokens arriving one at a time, whose output put together is {@link #decode} of the whole
     * sequence (so the leading space of the dummy prefix is removed from the first token, like decode).
     */
    default StreamingDecoder streamingDecoder() {
        return streamingDecoder(false);
    }

    /**
     * A streaming decoder.
     *
     * @param continuation true when the tokens continue a sequence whose start was decoded elsewhere (e.g. the
     *                     tokens generated after a prompt): then every token contributes exactly
     *                     {@link #tokenBytes}, and no leading space is removed
     */
    StreamingDecoder streamingDecoder(boolean continuation);
}
