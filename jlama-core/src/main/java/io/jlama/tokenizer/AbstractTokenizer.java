package io.jlama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What every tokenizer model shares, following llama.cpp's {@code llama_vocab::impl::tokenize / token_to_piece /
 * detokenize}: the text is split on special tokens first, the plain fragments go to the model's own algorithm
 * ({@link #encodeText}); a token's piece is empty for CONTROL and UNKNOWN tokens, the text for USER_DEFINED ones,
 * the byte for byte tokens and the model's rendering of NORMAL ones ({@link #normalPiece}); decoding joins the pieces,
 * removes the dummy-prefix space from the first one and, where the vocabulary asks, cleans up spaces before
 * punctuation ({@link #cleanSpaces}).
 */
abstract class AbstractTokenizer implements Tokenizer {
    final Vocabulary vocab;
    final SpecialTokenSplitter splitter;
    private final byte[][] pieces; // tokenBytes of every token

    AbstractTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.splitter = new SpecialTokenSplitter(vocab);
        pieces = new byte[vocab.size()][];
        for (int id = 0; id < pieces.length; id++) pieces[id] = piece(id);
    }

    @Override
    public final Vocabulary vocabulary() {
        return vocab;
    }

    // ---- encoding ----

    @Override
    public final int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        byte[] s = text.getBytes(StandardCharsets.UTF_8);
        IntList out = new IntList(s.length / 3 + 4);
        Session session = session();
        if (addSpecial) addPrefix(out);
        IntList frags = splitter.split(s, parseSpecial);
        boolean afterSpecial = true; // the text start counts as "after a special token"
        for (int f = 0; f < frags.size(); f += 3) {
            int token = frags.get(f);
            if (token >= 0) {
                out.add(token);
                afterSpecial = true;
            } else {
                session.encodeText(s, frags.get(f + 1), frags.get(f + 2), afterSpecial, out);
                afterSpecial = false;
            }
        }
        if (addSpecial) addSuffix(out);
        return out.toArray();
    }

    /** The per-call state of the model's algorithm (scratch buffers): not shared between threads. */
    interface Session {
        /** Tokenizes plain text {@code s[from, to)} (no special tokens in it), appending the ids to out. */
        void encodeText(byte[] s, int from, int to, boolean afterSpecial, IntList out);
    }

    abstract Session session();

    /** With add_special: BOS when the vocabulary asks for it (SentencePiece and BPE). */
    void addPrefix(IntList out) {
        if (vocab.addBos()) out.add(require(vocab.bos(), "BOS"));
    }

    /** With add_special: EOS when the vocabulary asks for it (SentencePiece and BPE). */
    void addSuffix(IntList out) {
        if (vocab.addEos()) out.add(require(vocab.eos(), "EOS"));
    }

    static int require(int id, String what) {
        if (id < 0) throw new IllegalStateException("the vocabulary asks for a " + what + " token but has none");
        return id;
    }

    // ---- decoding ----

    /** What {@code llama_token_to_piece(special = false)} gives for a token. */
    private byte[] piece(int id) {
        int attr = vocab.attributes(id);
        byte[] t = vocab.textBytesShared(id);
        if ((attr & (Vocabulary.ATTR_UNKNOWN | Vocabulary.ATTR_CONTROL)) != 0) return new byte[0];
        if ((attr & Vocabulary.ATTR_USER_DEFINED) != 0) return t.clone();
        if ((attr & Vocabulary.ATTR_NORMAL) != 0) return normalPiece(t);
        if ((attr & Vocabulary.ATTR_BYTE) != 0) return new byte[]{byteValue(t)};
        return new byte[0]; // UNUSED / UNDEFINED tokens render as nothing
    }

    /** The bytes a NORMAL token stands for. */
    abstract byte[] normalPiece(byte[] text);

    /** The byte of a byte token "<0xXX>": the hex digits at offsets 3-4 (as strtol reads them; no digits = 0). */
    static byte byteValue(byte[] t) {
        int v = 0;
        for (int i = 3; i < Math.min(5, t.length); i++) {
            int d = Character.digit(t[i], 16);
            if (d < 0) break;
            v = v * 16 + d;
        }
        return (byte) v;
    }

    /** U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space. */
    static final byte[] ESCAPED_SPACE = {(byte) 0xE2, (byte) 0x96, (byte) 0x81};

    /** The text with every U+2581 turned back into a space. */
    static byte[] unescapeSpaces(byte[] t) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(t.length);
        for (int i = 0; i < t.length; i++) {
            if (i + 2 < t.length && t[i] == ESCAPED_SPACE[0] && t[i + 1] == ESCAPED_SPACE[1] && t[i + 2] == ESCAPED_SPACE[2]) {
                o.write(' ');
                i += 2;
            } else {
                o.write(t[i]);
            }
        }
        return o.toByteArray();
    }

    @Override
    public final byte[] tokenBytes(int token) {
        return pieceOf(token).clone();
    }

    final byte[] pieceOf(int token) {
        if (token < 0 || token >= pieces.length) {
            throw new IllegalArgumentException("token id " + token + " is out of range [0, " + pieces.length + ")");
        }
        return pieces[token];
    }

    @Override
    public final byte[] decodeBytes(int[] tokens) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(tokens.length * 4);
        boolean stripSpace = vocab.addSpacePrefix(); // only the first token may lose a leading space; a BOS there uses that up
        for (int t : tokens) {
            byte[] p = pieceOf(t);
            int from = stripSpace && p.length > 0 && p[0] == ' ' ? 1 : 0;
            o.write(p, from, p.length - from);
            stripSpace = false;
        }
        byte[] b = o.toByteArray();
        if (!vocab.cleanSpaces()) return b;
        int n = cleanSpaces(b, b.length);
        return n == b.length ? b : Arrays.copyOf(b, n);
    }

    @Override
    public final StreamingDecoder streamingDecoder(boolean continuation) {
        return new Utf8StreamingDecoder(this, !continuation && vocab.addSpacePrefix(), vocab.cleanSpaces());
    }

    /**
     * llama.cpp's {@code clean_up_tokenization_spaces}, in place on {@code b[0, n)}; returns the new length. Three
     * passes: drop a space before {@code ? ! . ,}; drop both spaces around a lone apostrophe ({@code " ' "}); drop the
     * space before {@code 's 'm 're 've}. Only spaces are ever removed, and only next to an apostrophe or one of those
     * characters, so text can be cleaned in pieces cut after any byte that is not a space, an apostrophe, 'r' or
     * 'v' ({@link #canCutAfter}).
     */
    static int cleanSpaces(byte[] b, int n) {
        // pass 1: " ?", " !", " .", " ,"
        int total = n > 0 ? 1 : 0;
        for (int i = 1; i < n; i++) {
            byte x = b[i];
            if (b[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) total--;
            b[total++] = x;
        }
        // pass 2: " ' " loses both spaces
        n = total;
        total = n > 0 ? 1 : 0;
        for (int i = 1; i < n; i++) {
            byte x = b[i];
            if (x == '\'' && i + 1 < n && b[i - 1] == ' ' && b[i + 1] == ' ') {
                total--;
                b[++i] = 0; // the next space is skipped (and no longer counts as a space before what follows)
            }
            b[total++] = x;
        }
        // pass 3: " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it)
        n = total;
        total = n > 0 ? 1 : 0;
        for (int i = 1; i < n; i++) {
            byte x = b[i];
            if (b[i - 1] == ' ' && x == '\'' && i + 1 < n) {
                byte x1 = b[i + 1];
                if (x1 == 's' || x1 == 'm') {
                    total--;
                } else if (i + 2 < n && (x1 == 'r' || x1 == 'v') && b[i + 2] == 'e') {
                    total--;
                }
            }
            b[total++] = x;
        }
        return total;
    }

    /** Whether cleaning text cut after byte c gives the same as cleaning it whole (see {@link #cleanSpaces}). */
    static boolean canCutAfter(byte c) {
        return c != ' ' && c != '\'' && c != 'r' && c != 'v';
    }
}
