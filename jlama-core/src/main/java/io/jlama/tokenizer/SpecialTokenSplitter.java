package io.jlama.tokenizer;

import java.util.Arrays;

/**
 * Splits text on the special tokens before the tokenizer model sees it, with the result of llama.cpp's
 * {@code tokenizer_st_partition}:
 * <ul>
 * <li>the candidates are the CONTROL, USER_DEFINED and UNKNOWN tokens; without {@code parseSpecial} only the
 * USER_DEFINED ones (a USER_DEFINED token that llama.cpp also marks CONTROL, e.g. Phi-3's {@code </s>}, is skipped);</li>
 * <li>tokens are taken one at a time, longest text first; each claims, left to right, every occurrence that lies
 * entirely in text no earlier token claimed;</li>
 * <li>a token with LSTRIP / RSTRIP also removes the whitespace (C {@code isspace}) directly left / right of it.</li>
 * </ul>
 * All occurrences of all candidates are found in one pass (a binary search over the texts sorted bytewise, narrowed
 * one byte at a time), so the cost is linear in the text, not in text length times number of special tokens.
 */
final class SpecialTokenSplitter {
    private static final int FREE = 0, REMOVED = 1, INSIDE = 2, TOKEN_START = 3;

    private final Vocabulary vocab;
    private final int[] byRank;      // rank -> token id (longest first)
    private final byte[][] text;     // rank -> token bytes
    private final boolean[] always;  // rank -> a candidate even without parseSpecial
    private final int[] lex;         // ranks sorted by their bytes
    private final boolean[] firstByteAny = new boolean[256];
    private final boolean[] firstByteAlways = new boolean[256];
    private final boolean anyAlways;

    SpecialTokenSplitter(Vocabulary vocab) {
        this.vocab = vocab;
        byRank = vocab.specialTokensByLength();
        int k = byRank.length;
        text = new byte[k][];
        always = new boolean[k];
        boolean any = false;
        for (int r = 0; r < k; r++) {
            int id = byRank[r];
            text[r] = vocab.textBytesShared(id);
            always[r] = (vocab.attributes(id) & (Vocabulary.ATTR_CONTROL | Vocabulary.ATTR_UNKNOWN)) == 0;
            int b0 = text[r][0] & 0xFF; // texts are never empty (empty tokens get a placeholder text)
            firstByteAny[b0] = true;
            if (always[r]) {
                firstByteAlways[b0] = true;
                any = true;
            }
        }
        anyAlways = any;
        Integer[] order = new Integer[k];
        for (int r = 0; r < k; r++) order[r] = r;
        Arrays.sort(order, (a, b) -> {
            int c = Arrays.compareUnsigned(text[a], text[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        lex = new int[k];
        for (int i = 0; i < k; i++) lex[i] = order[i];
    }

    /**
     * Splits {@code s} into fragments, returned as triples {@code (token, start, end)}: {@code token >= 0} is a
     * special token (start = end = its position), {@code token == -1} is the raw text {@code s[start, end)}, never empty.
     */
    IntList split(byte[] s, boolean parseSpecial) {
        IntList out = new IntList(16);
        int n = s.length;
        if (n == 0) return out;
        long[] cands = (parseSpecial ? byRank.length > 0 : anyAlways) ? candidates(s, parseSpecial) : new long[0];
        if (cands.length == 0) {
            out.add(-1);
            out.add(0);
            out.add(n);
            return out;
        }
        Arrays.sort(cands); // by rank, then position
        int[] mark = new int[n];
        for (long c : cands) {
            int r = (int) (c >>> 32), p = (int) c, len = text[r].length;
            boolean free = true;
            for (int i = p; i < p + len; i++) {
                if (mark[i] != FREE) {
                    free = false;
                    break;
                }
            }
            if (!free) continue;
            int id = byRank[r];
            mark[p] = TOKEN_START + id;
            for (int i = p + 1; i < p + len; i++) mark[i] = INSIDE;
            int attr = vocab.attributes(id);
            if ((attr & Vocabulary.ATTR_LSTRIP) != 0) {
                for (int i = p - 1; i >= 0 && mark[i] == FREE && isSpace(s[i]); i--) mark[i] = REMOVED;
            }
            if ((attr & Vocabulary.ATTR_RSTRIP) != 0) {
                for (int i = p + len; i < n && mark[i] == FREE && isSpace(s[i]); i++) mark[i] = REMOVED;
            }
        }
        int runStart = -1;
        for (int i = 0; i < n; i++) {
            int m = mark[i];
            if (m == FREE) {
                if (runStart < 0) runStart = i;
                continue;
            }
            if (runStart >= 0) {
                out.add(-1);
                out.add(runStart);
                out.add(i);
                runStart = -1;
            }
            if (m >= TOKEN_START) {
                out.add(m - TOKEN_START);
                out.add(i);
                out.add(i);
            }
        }
        if (runStart >= 0) {
            out.add(-1);
            out.add(runStart);
            out.add(n);
        }
        return out;
    }

    /** Every occurrence of every candidate token, as {@code rank << 32 | position}. */
    private long[] candidates(byte[] s, boolean parseSpecial) {
        boolean[] first = parseSpecial ? firstByteAny : firstByteAlways;
        long[] found = new long[16];
        int nf = 0;
        int n = s.length, k = lex.length;
        for (int p = 0; p < n; p++) {
            if (!first[s[p] & 0xFF]) continue;
            int lo = 0, hi = k; // lex[lo, hi) all start with s[p, p+d)
            for (int d = 0; p + d < n; d++) {
                int b = s[p + d] & 0xFF;
                while (lo < hi && text[lex[lo]].length == d) lo++; // exact length d: already reported
                lo = lowerBound(lo, hi, d, b);
                hi = lowerBound(lo, hi, d, b + 1);
                if (lo >= hi) break;
                for (int i = lo; i < hi && text[lex[i]].length == d + 1; i++) {
                    int r = lex[i];
                    if (!parseSpecial && !always[r]) continue;
                    if (nf == found.length) found = Arrays.copyOf(found, nf * 2);
                    found[nf++] = (long) r << 32 | p;
                }
            }
        }
        return Arrays.copyOf(found, nf);
    }

    /** First index in [lo, hi) whose text has byte {@code >= b} at depth d (all there have length > d). */
    private int lowerBound(int lo, int hi, int d, int b) {
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if ((text[lex[mid]][d] & 0xFF) < b) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /** C {@code isspace} in the "C" locale. */
    private static boolean isSpace(byte c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
