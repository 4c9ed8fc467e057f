package io.jlama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The SentencePiece-style tokenizer of GGUF {@code tokenizer.ggml.model = "llama"}, giving the same ids as llama.cpp's
 * {@code llm_tokenizer_spm}:
 * <ol>
 * <li>the text is split on special tokens ({@link SpecialTokenSplitter});</li>
 * <li>each piece of plain text gets a leading space when {@link Vocabulary#addSpacePrefix()} and it starts the text or
 * follows a special token; spaces become U+2581;</li>
 * <li>the piece starts as one symbol per UTF-8 character; repeatedly the adjacent pair whose concatenation is a
 * vocabulary token with the highest score is merged (ties: the leftmost pair), until no pair forms a token;</li>
 * <li>each final symbol is its token; a symbol that is no token (a single character outside the vocabulary) becomes
 * one byte token {@code <0xXX>} per UTF-8 byte.</li>
 * </ol>
 * The merging uses a priority queue with lazy invalidation: O(n log n) in the text length.
 * A tokenizer keeps its own copy of the vocabulary data; the GGUF file can be closed once it is built.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    private static final byte SPACE = ' ';
    /** U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space. */
    private static final byte[] ESCAPED_SPACE = {(byte) 0xE2, (byte) 0x96, (byte) 0x81};

    private final Vocabulary vocab;
    private final SpecialTokenSplitter splitter;
    private final int[] byteTokens = new int[256]; // -1: the vocabulary cannot express this byte
    private final byte[][] pieces;                 // tokenBytes of every token
    private final int[] scoreKeys;                 // sortableScore of every token's score

    public SentencePieceTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.splitter = new SpecialTokenSplitter(vocab);
        final String hex = "0123456789ABCDEF";
        for (int b = 0; b < 256; b++) {
            int id = vocab.id("<0x" + hex.charAt(b >> 4) + hex.charAt(b & 15) + ">");
            if (id < 0) id = vocab.find(new byte[]{(byte) b}, 0, 1); // llama.cpp falls back to the byte itself
            if (id < 0) id = vocab.unk();
            byteTokens[b] = id;
        }
        pieces = new byte[vocab.size()][];
        scoreKeys = new int[vocab.size()];
        for (int id = 0; id < pieces.length; id++) {
            pieces[id] = piece(id);
            scoreKeys[id] = sortableScore(vocab.score(id));
        }
    }

    @Override
    public Vocabulary vocabulary() {
        return vocab;
    }

    // ---- encoding ----

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        byte[] s = text.getBytes(StandardCharsets.UTF_8);
        IntList out = new IntList(s.length / 3 + 4);
        if (addSpecial && vocab.addBos()) {
            if (vocab.bos() < 0) throw new IllegalStateException("the vocabulary asks for a BOS token but has none");
            out.add(vocab.bos());
        }
        IntList frags = splitter.split(s, parseSpecial);
        boolean afterSpecial = true; // the text start counts as "after a special token"
        for (int f = 0; f < frags.size(); f += 3) {
            int token = frags.get(f);
            if (token >= 0) {
                out.add(token);
                afterSpecial = true;
            } else {
                encodePlain(s, frags.get(f + 1), frags.get(f + 2), vocab.addSpacePrefix() && afterSpecial, out);
                afterSpecial = false;
            }
        }
        if (addSpecial && vocab.addEos()) {
            if (vocab.eos() < 0) throw new IllegalStateException("the vocabulary asks for an EOS token but has none");
            out.add(vocab.eos());
        }
        return out.toArray();
    }

    /** Tokenizes plain text {@code s[from, to)}, with a leading space if asked, appending the ids to out. */
    private void encodePlain(byte[] s, int from, int to, boolean spacePrefix, IntList out) {
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
        new Merger(buf).run(out);
    }

    /** One run of the score-driven pair merging over an escaped text. */
    private final class Merger {
        private final byte[] text;
        // symbols: a byte range of text, linked to its neighbours; a symbol merged into its left neighbour has length 0
        private final int[] start, length, prev, next;
        private final int count;
        // Max-heap of candidate pairs. A pair is (left symbol, size in bytes when queued); its right symbol is always
        // next[left] while the pair is still valid. The key orders by score (higher first), then by left symbol (lower
        // first): the order of llama.cpp's llm_bigram_spm comparator.
        private long[] hKey;
        private int[] hSize;
        private int hCount;

        Merger(byte[] text) {
            this.text = text;
            int n = text.length;
            start = new int[n];
            length = new int[n];
            prev = new int[n];
            next = new int[n];
            int c = 0;
            for (int off = 0; off < n; c++) {
                int len = Math.min(utf8Length(text[off]), n - off);
                start[c] = off;
                length[c] = len;
                prev[c] = c - 1;
                next[c] = c + 1;
                off += len;
            }
            count = c;
            if (c > 0) next[c - 1] = -1;
            int cap = c + 16; // grows when merges queue more pairs
            hKey = new long[cap];
            hSize = new int[cap];
        }

        void run(IntList out) {
            if (count == 0) return;
            for (int i = 1; i < count; i++) tryPair(i - 1, i);
            while (hCount > 0) {
                int l = Integer.MAX_VALUE - (int) hKey[0], size = hSize[0];
                pop();
                int r = next[l];
                // Stale: the left symbol was merged away, or one side grew since this pair was queued. (A queued pair
                // whose right symbol was merged into the left one can only be seen again with a larger left length.)
                if (length[l] == 0 || r < 0 || length[l] + length[r] != size) continue;
                length[l] += length[r];
                length[r] = 0;
                next[l] = next[r];
                if (next[r] >= 0) prev[next[r]] = l;
                tryPair(prev[l], l);
                tryPair(l, next[l]);
            }
            for (int i = 0; i != -1; i = next[i]) {
                int id = vocab.find(text, start[i], length[i]);
                if (id >= 0) {
                    out.add(id);
                } else {
                    // Every merged symbol is a token, so this is a single character outside the vocabulary.
                    for (int j = start[i], e = start[i] + length[i]; j < e; j++) out.add(byteToken(text[j]));
                }
            }
        }

        private void tryPair(int l, int r) {
            if (l < 0 || r < 0) return;
            int size = length[l] + length[r];
            int id = vocab.find(text, start[l], size);
            if (id < 0) return;
            push((long) scoreKeys[id] << 32 | (Integer.MAX_VALUE - l), size);
        }

        private void push(long key, int size) {
            if (hCount == hKey.length) {
                hKey = Arrays.copyOf(hKey, hCount * 2);
                hSize = Arrays.copyOf(hSize, hCount * 2);
            }
            int i = hCount++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (hKey[p] >= key) break;
                hKey[i] = hKey[p];
                hSize[i] = hSize[p];
                i = p;
            }
            hKey[i] = key;
            hSize[i] = size;
        }

        private void pop() {
            int n = --hCount;
            if (n == 0) return;
            long key = hKey[n];
            int size = hSize[n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) break;
                if (c + 1 < n && hKey[c + 1] > hKey[c]) c++;
                if (hKey[c] <= key) break;
                hKey[i] = hKey[c];
                hSize[i] = hSize[c];
                i = c;
            }
            hKey[i] = key;
            hSize[i] = size;
        }
    }

    /** An int that orders like the float (with -0.0 equal to 0.0, as the C++ comparison treats them). */
    private static int sortableScore(float f) {
        int bits = Float.floatToIntBits(f + 0.0f);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    /** Length of a UTF-8 sequence from its first byte, as llama.cpp counts it (no validation). */
    private static int utf8Length(byte b) {
        int hi = (b & 0xFF) >>> 4;
        return hi < 12 ? 1 : hi < 14 ? 2 : hi == 14 ? 3 : 4;
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

    /** What {@code llama_token_to_piece(special = false)} gives for a token. */
    private byte[] piece(int id) {
        int attr = vocab.attributes(id);
        byte[] t = vocab.textBytesShared(id);
        if ((attr & (Vocabulary.ATTR_UNKNOWN | Vocabulary.ATTR_CONTROL)) != 0) return new byte[0];
        if ((attr & Vocabulary.ATTR_USER_DEFINED) != 0) return t.clone();
        if ((attr & Vocabulary.ATTR_NORMAL) != 0) return unescapeSpaces(t);
        if ((attr & Vocabulary.ATTR_BYTE) != 0) return new byte[]{byteValue(t)};
        return new byte[0]; // UNUSED / UNDEFINED tokens render as nothing
    }

    private static byte[] unescapeSpaces(byte[] t) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(t.length);
        for (int i = 0; i < t.length; i++) {
            if (i + 2 < t.length && t[i] == ESCAPED_SPACE[0] && t[i + 1] == ESCAPED_SPACE[1] && t[i + 2] == ESCAPED_SPACE[2]) {
                o.write(SPACE);
                i += 2;
            } else {
                o.write(t[i]);
            }
        }
        return o.toByteArray();
    }

    /** The byte of a byte token "<0xXX>": the hex digits at offsets 3-4 (as strtol reads them; no digits = 0). */
    private static byte byteValue(byte[] t) {
        int v = 0;
        for (int i = 3; i < Math.min(5, t.length); i++) {
            int d = Character.digit(t[i], 16);
            if (d < 0) break;
            v = v * 16 + d;
        }
        return (byte) v;
    }

    @Override
    public byte[] tokenBytes(int token) {
        return pieceOf(token).clone();
    }

    private byte[] pieceOf(int token) {
        if (token < 0 || token >= pieces.length) {
            throw new IllegalArgumentException("token id " + token + " is out of range [0, " + pieces.length + ")");
        }
        return pieces[token];
    }

    @Override
    public byte[] decodeBytes(int[] tokens) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(tokens.length * 4);
        boolean stripSpace = vocab.addSpacePrefix(); // only the first token may lose a leading space; a BOS there uses that up
        for (int t : tokens) {
            byte[] p = pieceOf(t);
            int from = stripSpace && p.length > 0 && p[0] == SPACE ? 1 : 0;
            o.write(p, from, p.length - from);
            stripSpace = false;
        }
        return o.toByteArray();
    }

    @Override
    public StreamingDecoder streamingDecoder(boolean continuation) {
        return new Utf8StreamingDecoder(this, !continuation && vocab.addSpacePrefix());
    }

    @Override
    public String toString() {
        return "SentencePieceTokenizer[" + vocab + "]";
    }
}
