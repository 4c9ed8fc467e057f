package io.jlama.tokenizer;

import io.jlama.gguf.ModelFormatException;

import java.nio.charset.StandardCharsets;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The byte-level BPE tokenizer of GGUF {@code tokenizer.ggml.model = "gpt2"}, giving the same ids as llama.cpp's
 * {@code llm_tokenizer_bpe}:
 * <ol>
 * <li>the text is split on special tokens ({@link SpecialTokenSplitter});</li>
 * <li>each plain fragment is split into words by the pre-tokenizer that {@code tokenizer.ggml.pre} names
 * ({@link PreTokenizer});</li>
 * <li>each word is written in GPT-2's byte-level alphabet (every UTF-8 byte one printable character) and starts as one
 * symbol per byte; the adjacent pair with the lowest rank in {@code tokenizer.ggml.merges} is merged until none is
 * left ({@link PairMerger}); with {@code ignore_merges} (Llama 3) a word that is a token is taken whole;</li>
 * <li>each final symbol is its token; a symbol that is no token falls back to one token per byte of its text, where
 * a single byte is a token (others are dropped, as in llama.cpp).</li>
 * </ol>
 * Decoding maps the byte-level characters of NORMAL tokens back to bytes and, for most vocabularies, cleans up spaces
 * before punctuation as llama.cpp does. A tokenizer keeps its own copy of the vocabulary data; the GGUF file can be
 * closed once it is built.
 */
public final class BpeTokenizer extends AbstractTokenizer {
    private final PreTokenizer.Preset preset;
    private final PreTokenizer pre;
    private final boolean byteEncode;
    // The merge parts: every string that is the left or right side or the result of a merge, interned to an id.
    private final ByteIndex parts;
    private final LongIntMap ranks;   // (left part id, right part id) -> rank of the first merge of that pair
    private final int[] mergedPart;   // rank -> part id of the concatenation

    public BpeTokenizer(Vocabulary vocab) {
        super(vocab);
        preset = PreTokenizer.preset(vocab.pre());
        if (preset == null) {
            throw new ModelFormatException(vocab.file(), Vocabulary.KEY_PRE + " '" + vocab.pre() + "' is not a pre-tokenizer this runtime knows"
                    + " (known: " + String.join(", ", PreTokenizer.presetNames()) + ")");
        }
        pre = new PreTokenizer(preset.type());
        byteEncode = preset.byteEncode();

        byte[][] merges = vocab.merges();
        if (merges == null) throw new ModelFormatException(vocab.file(), "cannot find tokenizer merges (" + Vocabulary.KEY_MERGES + ")");
        Map<ByteKey, Integer> ids = new HashMap<>(merges.length * 3);
        List<byte[]> partList = new ArrayList<>();
        ranks = new LongIntMap(merges.length);
        mergedPart = new int[merges.length];
        for (int rank = 0; rank < merges.length; rank++) {
            byte[] m = merges[rank];
            // llama.cpp: split at the first space after the first byte; no such space gives ("", "")
            int sp = -1;
            for (int i = 1; i < m.length; i++) {
                if (m[i] == ' ') {
                    sp = i;
                    break;
                }
            }
            byte[] left = sp < 0 ? new byte[0] : Arrays.copyOfRange(m, 0, sp);
            byte[] right = sp < 0 ? new byte[0] : Arrays.copyOfRange(m, sp + 1, m.length);
            byte[] both = new byte[left.length + right.length];
            System.arraycopy(left, 0, both, 0, left.length);
            System.arraycopy(right, 0, both, left.length, right.length);
            int l = intern(ids, partList, left), r = intern(ids, partList, right);
            mergedPart[rank] = intern(ids, partList, both);
            ranks.putIfAbsent((long) l << 32 | r, rank);
        }
        parts = new ByteIndex(partList.toArray(new byte[0][]));
    }

    private static int intern(Map<ByteKey, Integer> ids, List<byte[]> list, byte[] s) {
        return ids.computeIfAbsent(new ByteKey(s), k -> {
            list.add(s);
            return list.size() - 1;
        });
    }

    private record ByteKey(byte[] b) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ByteKey k && Arrays.equals(b, k.b);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(b);
        }
    }

    // ---- encoding ----

    @Override
    Session session() {
        return new Merger();
    }

    /** Encodes plain text: pre-tokenization, then the rank-driven merges within each word. */
    private final class Merger extends PairMerger implements Session {
        private byte[] word = new byte[64];
        private final byte[] utf8 = new byte[4];
        private int[] part = new int[64]; // per symbol: its merge-part id, or -1 when it is no merge part
        private WordCache cache; // for long texts, which repeat words

        @Override
        public void encodeText(byte[] s, int from, int to, boolean afterSpecial, IntList out) {
            if (preset.escapeWhitespace()) { // SentencePiece-style BPE: spaces become U+2581 before anything else
                s = escapeSpaces(s, from, to);
                from = 0;
                to = s.length;
            }
            if (cache == null && to - from > 4096) cache = new WordCache();
            int[] c = Unicode.codePoints(s, from, to);
            IntList words = pre.split(c, c.length);
            int at = 0;
            for (int k = 0; k < words.size(); k++) {
                int len = words.get(k);
                encodeWord(c, at, at + len, out);
                at += len;
            }
        }

        private void encodeWord(int[] c, int from, int to, IntList out) {
            // the word's UTF-8, written in the byte-level alphabet
            int w = 0;
            for (int i = from; i < to; i++) {
                if (word.length < w + 8) word = Arrays.copyOf(word, word.length * 2 + 8);
                if (!byteEncode) {
                    w = Unicode.putUtf8(c[i], word, w);
                    continue;
                }
                int len = Unicode.putUtf8(c[i], utf8, 0);
                for (int k = 0; k < len; k++) {
                    byte[] e = Unicode.byteLevelUtf8(utf8[k]);
                    word[w++] = e[0];
                    if (e.length > 1) word[w++] = e[1];
                }
            }
            if (w == 0) return;
            boolean cacheable = cache != null && w <= 64;
            if (cacheable) {
                int[] ids = cache.get(word, w);
                if (ids != null) {
                    out.addAll(ids);
                    return;
                }
            }
            int mark = out.size();
            mergeWord(w, out);
            if (cacheable) cache.put(word, w, out.tail(mark));
        }

        /** The ids of the byte-level word in {@code word[0, w)}. */
        private void mergeWord(int w, IntList out) {
            if (preset.ignoreMerges()) {
                int id = vocab.find(word, 0, w);
                if (id >= 0) {
                    out.add(id);
                    return;
                }
            }
            if (preset.type() == PreTokenizer.Type.GEMMA4 && onlyNewlines(word, w)) {
                int id = vocab.find(word, 0, w); // llama.cpp's Gemma 4 fix: a run of newlines that is a token stays whole
                if (id >= 0) {
                    out.add(id);
                    return;
                }
            }
            reset(word, 0, w);
            if (part.length < count) part = new int[Math.max(count, part.length * 2)];
            for (int i = 0; i < count; i++) part[i] = parts.find(text, start[i], length[i]);
            run();
            for (int i = first(); i != -1; i = next[i]) {
                int id = vocab.find(text, start[i], length[i]);
                if (id >= 0) {
                    out.add(id);
                    continue;
                }
                for (int j = start[i], e = start[i] + length[i]; j < e; j++) { // per byte of the symbol's text
                    int b = byteEncode ? vocab.find(text, j, 1) : vocab.id(hexByte(text[j]));
                    if (b >= 0) out.add(b);
                }
            }
        }

        @Override
        protected void offer(int l, int r) {
            int a = part[l], b = part[r];
            if (a < 0 || b < 0) return;
            int rank = ranks.get((long) a << 32 | b);
            if (rank >= 0) queue(l, r, Integer.MAX_VALUE - rank);
        }

        @Override
        protected void merged(int l, int r, int priority) {
            part[l] = mergedPart[Integer.MAX_VALUE - priority];
        }
    }

    private static boolean onlyNewlines(byte[] b, int n) {
        for (int i = 0; i < n; i++) if (b[i] != '\n') return false;
        return true;
    }

    private static String hexByte(byte b) {
        return String.format("<0x%02X>", b & 0xFF);
    }

    private static byte[] escapeSpaces(byte[] s, int from, int to) {
        int spaces = 0;
        for (int i = from; i < to; i++) if (s[i] == ' ') spaces++;
        byte[] b = new byte[to - from + 2 * spaces];
        int w = 0;
        for (int i = from; i < to; i++) {
            if (s[i] == ' ') {
                System.arraycopy(ESCAPED_SPACE, 0, b, w, 3);
                w += 3;
            } else {
                b[w++] = s[i];
            }
        }
        return b;
    }

    // ---- decoding ----

    @Override
    byte[] normalPiece(byte[] text) {
        PreTokenizer.Preset p = PreTokenizer.preset(vocab.pre()); // (runs before this class's fields are set)
        if (p != null && p.escapeWhitespace()) return unescapeSpaces(text);
        return decodeByteLevel(text);
    }

    /**
     * llama.cpp's {@code llama_decode_text}: each character of a byte-level token stands for one byte; a character
     * outside the byte-level alphabet is written as {@code [UNK_BYTE_0x..<token text>]}.
     */
    static byte[] decodeByteLevel(byte[] text) {
        int[] cps = Unicode.codePoints(text, 0, text.length);
        ByteArrayOutputStream o = new ByteArrayOutputStream(cps.length);
        byte[] tmp = new byte[4];
        for (int cp : cps) {
            int b = Unicode.byteOfByteLevel(cp);
            if (b >= 0) {
                o.write(b);
                continue;
            }
            int n = Unicode.putUtf8(cp, tmp, 0);
            StringBuilder sb = new StringBuilder("[UNK_BYTE_0x");
            for (int i = 0; i < n; i++) sb.append(String.format("%02x", tmp[i] & 0xFF));
            o.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
            o.writeBytes(text);
            o.write(']');
        }
        return o.toByteArray();
    }

    @Override
    public String toString() {
        return "BpeTokenizer[" + vocab + "]";
    }
}
