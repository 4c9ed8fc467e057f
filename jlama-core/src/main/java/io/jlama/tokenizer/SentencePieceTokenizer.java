package io.jlama.tokenizer;

/**
 * The SentencePiece-style tokenizer of GGUF {@code tokenizer.ggml.model = "llama"}, giving the same ids as llama.cpp's
 * {@code llm_tokenizer_spm}:
 * <ol>
 * <li>the text is split on special tokens ({@link SpecialTokenSplitter});</li>
 * <li>each piece of plain text gets a leading space when {@link Vocabulary#addSpacePrefix()} and it starts the text or
 * follows a special token; spaces become U+2581;</li>
 * <li>the piece starts as one symbol per UTF-8 character; repeatedly the adjacent pair whose concatenation is a
 * vocabulary token with the highest score is merged (ties: the leftmost pair), until no pair forms a token
 * ({@link PairMerger});</li>
 * <li>each final symbol is its token; a symbol that is no token (a single character outside the vocabulary) becomes
 * one byte token {@code <0xXX>} per UTF-8 byte.</li>
 * </ol>
 * A tokenizer keeps its own copy of the vocabulary data; the GGUF file can be closed once it is built.
 */
public final class SentencePieceTokenizer extends AbstractTokenizer {
    private static final byte SPACE = ' ';

    private final int[] byteTokens = new int[256]; // -1: the vocabulary cannot express this byte
    private final int[] scoreKeys;                 // sortableScore of every token's score

    public SentencePieceTokenizer(Vocabulary vocab) {
        super(vocab);
        final String hex = "0123456789ABCDEF";
        for (int b = 0; b < 256; b++) {
            int id = vocab.id("<0x" + hex.charAt(b >> 4) + hex.charAt(b & 15) + ">");
            if (id < 0) id = vocab.find(new byte[]{(byte) b}, 0, 1); // llama.cpp falls back to the byte itself
            if (id < 0) id = vocab.unk();
            byteTokens[b] = id;
        }
        scoreKeys = new int[vocab.size()];
        for (int id = 0; id < scoreKeys.length; id++) scoreKeys[id] = sortableScore(vocab.score(id));
    }

    // ---- encoding ----

    @Override
    Session session() {
        Merger merger = new Merger();
        return (s, from, to, afterSpecial, out) -> merger.encode(s, from, to, vocab.addSpacePrefix() && afterSpecial, out);
    }

    /** The score-driven pair merging: a pair merges when its concatenation is a token; the higher score first. */
    private final class Merger extends PairMerger {
        /** Tokenizes plain text {@code s[from, to)}, with a leading space if asked, appending the ids to out. */
        void encode(byte[] s, int from, int to, boolean spacePrefix, IntList out) {
            int spaces = 0;
            for (int i = from; i < to; i++) if (s[i] == SPACE) spaces++;
            byte[] buf = new byte[(spacePrefix ? 3 : 0) + to - from + 2 * spaces];
            int w = 0;
            if (spacePrefix) {
                System.arraycopy(ESCAPED_SPACE, 0, buf, w, 3);
                w += 3;
            }
            for (int i = from; i < to; i++) {
                if (s[i] == SPACE) {
                    System.arraycopy(ESCAPED_SPACE, 0, buf, w, 3);
                    w += 3;
                } else {
                    buf[w++] = s[i];
                }
            }
            reset(buf, 0, buf.length);
            run();
            for (int i = first(); i != -1; i = next[i]) {
                int id = vocab.find(text, start[i], length[i]);
                if (id >= 0) {
                    out.add(id);
                } else {
                    // Every merged symbol is a token, so this is a single character outside the vocabulary.
                    for (int j = start[i], e = start[i] + length[i]; j < e; j++) out.add(byteToken(text[j]));
                }
            }
        }

        @Override
        protected void offer(int l, int r) {
            int id = vocab.find(text, start[l], length[l] + length[r]);
            if (id >= 0) queue(l, r, scoreKeys[id]);
        }
    }

    /** An int that orders like the float (with -0.0 equal to 0.0, as the C++ comparison treats them). */
    private static int sortableScore(float f) {
        int bits = Float.floatToIntBits(f + 0.0f);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    private int byteToken(byte b) {
        int id = byteTokens[b & 0xFF];
        if (id < 0) {
            throw new IllegalStateException(String.format("the vocabulary has no token for byte 0x%02X (no <0x%02X>, no such character, no unknown token)",
                    b & 0xFF, b & 0xFF));
        }
        return id;
    }

    // ---- decoding ----

    @Override
    byte[] normalPiece(byte[] text) {
        return unescapeSpaces(text);
    }

    @Override
    public String toString() {
        return "SentencePieceTokenizer[" + vocab + "]";
    }
}
