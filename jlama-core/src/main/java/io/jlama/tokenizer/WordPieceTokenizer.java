package io.jlama.tokenizer;

import java.util.Arrays;

/**
 * The WordPiece tokenizer of GGUF {@code tokenizer.ggml.model = "bert"} (BERT-style embedding models), giving the same
 * ids as llama.cpp's {@code llm_tokenizer_wpm}:
 * <ol>
 * <li>the text is split on special tokens ({@link SpecialTokenSplitter});</li>
 * <li>normalization, one code point at a time: with {@code strip_accents} each code point becomes the first code point
 * of its canonical decomposition and combining marks are dropped; NUL, U+FFFD and control characters are dropped;
 * with {@code lowercase} (the default) letters are lowercased;</li>
 * <li>words end at whitespace; punctuation, ASCII symbols and CJK ideographs are words of their own;</li>
 * <li>each word, with U+2581 in front (the GGUF keeps word-initial pieces as "▁piece" and continuations, BERT's
 * "##piece", without the "##"), is cut greedily into the longest tokens from the left; a word that cannot be cut
 * completely becomes the unknown token.</li>
 * </ol>
 * With add_special the ids are framed by [CLS] (the BOS id) and [SEP]. Decoding turns U+2581 back into spaces, so a
 * decoded text starts with a space, as in llama.cpp.
 */
public final class WordPieceTokenizer extends AbstractTokenizer {

    public WordPieceTokenizer(Vocabulary vocab) {
        super(vocab);
    }

    @Override
    void addPrefix(IntList out) {
        out.add(require(vocab.bos(), "BOS ([CLS])"));
    }

    @Override
    void addSuffix(IntList out) {
        out.add(require(vocab.sep(), "SEP"));
    }

    @Override
    Session session() {
        return new Words();
    }

    /** Normalizes and splits text into words, and cuts each word into tokens. */
    private final class Words implements Session {
        private byte[] word = new byte[64];
        private int len;

        @Override
        public void encodeText(byte[] s, int from, int to, boolean afterSpecial, IntList out) {
            boolean strip = vocab.stripAccents(), lower = vocab.lowercase();
            newWord();
            for (int cp : Unicode.codePoints(s, from, to)) {
                if (strip) cp = Unicode.nfdFirst(cp);
                int f = Unicode.flags(cp);
                if ((f & Unicode.WHITESPACE) != 0) {
                    endWord(out);
                    continue;
                }
                if (cp == 0 || cp == 0xFFFD || (f & Unicode.CONTROL) != 0) continue;
                if (strip && (f & Unicode.MARK) != 0) continue;
                int c = lower ? Unicode.toLower(cp) : cp;
                if ((f & Unicode.PUNCTUATION) != 0 || (cp < 0x7F && (f & Unicode.SYMBOL) != 0) || isChineseChar(cp)) {
                    endWord(out);
                    append(c);
                    endWord(out);
                } else {
                    append(c);
                }
            }
            endWord(out);
        }

        private void newWord() {
            System.arraycopy(ESCAPED_SPACE, 0, word, 0, 3);
            len = 3;
        }

        private void append(int cp) {
            if (word.length < len + 4) word = Arrays.copyOf(word, word.length * 2);
            len = Unicode.putUtf8(cp, word, len);
        }

        /** Cuts the word (if any) into the longest tokens from the left; the unknown token when that fails. */
        private void endWord(IntList out) {
            if (len == 3) return;
            int n = len, mark = out.size(), maxLen = vocab.maxTokenBytes();
            for (int i = 0; i < n; ) {
                int id = -1, j = Math.min(n, i + maxLen + 1);
                for (; j > i; j--) {
                    id = vocab.find(word, i, j - i);
                    if (id >= 0) break;
                }
                if (id < 0) {
                    out.truncate(mark);
                    break;
                }
                out.add(id);
                i = j;
            }
            if (out.size() == mark) out.add(require(vocab.unk(), "unknown"));
            newWord();
        }
    }

    /** The CJK ideograph ranges of BERT's {@code _is_chinese_char} (llama.cpp starts Extension E at U+2B920, as HF does). */
    static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    @Override
    byte[] normalPiece(byte[] text) {
        return unescapeSpaces(text);
    }

    @Override
    public String toString() {
        return "WordPieceTokenizer[" + vocab + "]";
    }
}
