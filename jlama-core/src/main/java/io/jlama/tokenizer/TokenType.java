package io.jlama.tokenizer;

/**
 * The token types stored in GGUF {@code tokenizer.ggml.token_type} (the numbering of llama.cpp's
 * {@code llama_token_type} and of SentencePiece's piece types).
 */
public enum TokenType {
    UNDEFINED(0),
    NORMAL(1),
    UNKNOWN(2),
    CONTROL(3),
    USER_DEFINED(4),
    UNUSED(5),
    BYTE(6);

    /** The number stored in the file. */
    public final int id;

    TokenType(int id) {
        this.id = id;
    }

    /** The type for a stored number; numbers outside 0..6 are {@link #UNDEFINED}, as in llama.cpp. */
    public static TokenType fromId(int id) {
        return switch (id) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> UNDEFINED;
        };
    }
}
