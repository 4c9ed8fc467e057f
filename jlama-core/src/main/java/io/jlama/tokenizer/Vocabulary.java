package io.jlama.tokenizer;

import io.jlama.gguf.GgufArray;
import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufValueType;
import io.jlama.gguf.ModelFormatException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * A tokenizer vocabulary as stored in GGUF ({@code tokenizer.ggml.*}): token texts, scores, types, the special token
 * ids and the add-BOS/EOS flags, shared by every tokenizer model.
 *
 * <p>Besides the stored {@link TokenType}, each token has llama.cpp's effective attributes ({@link #attributes}): the
 * stored type as a bit, plus the corrections llama.cpp applies when it loads a vocabulary (tokens that look like
 * end-of-turn markers become CONTROL, control tokens named "unused" become UNUSED, Phi-3 special tokens strip the
 * whitespace to their right, ...). Tokenization and detokenization use the effective attributes.
 *
 * <p>Ids are {@code 0 .. size()-1}; a special id that the vocabulary does not have is -1.
 */
public final class Vocabulary {
    // llama.cpp's llama_token_attr bits
    public static final int ATTR_UNDEFINED = 0;
    public static final int ATTR_UNKNOWN = 1;
    public static final int ATTR_UNUSED = 1 << 1;
    public static final int ATTR_NORMAL = 1 << 2;
    public static final int ATTR_CONTROL = 1 << 3;
    public static final int ATTR_USER_DEFINED = 1 << 4;
    public static final int ATTR_BYTE = 1 << 5;
    public static final int ATTR_NORMALIZED = 1 << 6;
    public static final int ATTR_LSTRIP = 1 << 7;
    public static final int ATTR_RSTRIP = 1 << 8;
    public static final int ATTR_SINGLE_WORD = 1 << 9;

    static final String KEY_MODEL = "tokenizer.ggml.model";
    static final String KEY_PRE = "tokenizer.ggml.pre";
    static final String KEY_TOKENS = "tokenizer.ggml.tokens";
    static final String KEY_SCORES = "tokenizer.ggml.scores";
    static final String KEY_TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String KEY_MERGES = "tokenizer.ggml.merges";

    // indexes into the special-id table
    private static final int BOS = 0, EOS = 1, EOT = 2, EOM = 3, UNK = 4, SEP = 5, PAD = 6, MASK = 7,
            FIM_PRE = 8, FIM_SUF = 9, FIM_MID = 10, FIM_PAD = 11, FIM_REP = 12, FIM_SEP = 13, N_SPECIAL = 14;

    /** The GGUF keys of the special ids, in the order llama.cpp reads them (the deprecated names last). */
    private static final String[][] SPECIAL_KEYS = {
            {"tokenizer.ggml.bos_token_id", "0"},
            {"tokenizer.ggml.eos_token_id", "1"},
            {"tokenizer.ggml.eot_token_id", "2"},
            {"tokenizer.ggml.eom_token_id", "3"},
            {"tokenizer.ggml.unknown_token_id", "4"},
            {"tokenizer.ggml.seperator_token_id", "5"}, // sic: llama.cpp's spelling
            {"tokenizer.ggml.padding_token_id", "6"},
            {"tokenizer.ggml.mask_token_id", "7"},
            {"tokenizer.ggml.fim_pre_token_id", "8"},
            {"tokenizer.ggml.fim_suf_token_id", "9"},
            {"tokenizer.ggml.fim_mid_token_id", "10"},
            {"tokenizer.ggml.fim_pad_token_id", "11"},
            {"tokenizer.ggml.fim_rep_token_id", "12"},
            {"tokenizer.ggml.fim_sep_token_id", "13"},
            {"tokenizer.ggml.prefix_token_id", "8"},
            {"tokenizer.ggml.suffix_token_id", "9"},
            {"tokenizer.ggml.middle_token_id", "10"},
    };

    // Texts by which llama.cpp recognises tokens when the GGUF does not name them (first match in this order wins).
    private static final List<String> EOT_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
            "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
    private static final List<String> EOM_TEXTS = List.of("<|eom_id|>");
    private static final List<String> FIM_PRE_TEXTS = List.of("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>",
            "▁<PRE>", "<|code_prefix|>", "<|prefix|>");
    private static final List<String> FIM_SUF_TEXTS = List.of("<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>",
            "▁<SUF>", "<|code_suffix|>", "<|suffix|>");
    private static final List<String> FIM_MID_TEXTS = List.of("<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>",
            "▁<MID>", "<|code_middle|>", "<|middle|>");
    private static final List<String> FIM_PAD_TEXTS = List.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
    private static final List<String> FIM_REP_TEXTS = List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>");
    private static final List<String> FIM_SEP_TEXTS = List.of("<|file_sep|>");
    /** Every token with one of these texts ends generation. */
    private static final List<String> EOG_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
            "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
            "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[");
    /** gpt-oss (harmony) tokens that llama.cpp always renders. */
    private static final List<String> ALWAYS_RENDERED = List.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>");

    private final Path file;
    private final String model;
    private final String pre;
    private final String[] texts;
    private final byte[][] bytes;
    private final float[] scores;
    private final TokenType[] types;
    private final int[] attrs;
    private final ByteIndex index;
    private final int[] special = new int[N_SPECIAL];
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSep;
    private final boolean addSpacePrefix;
    private final boolean cleanSpaces;
    private final boolean lowercase;
    private final boolean stripAccents;
    private final byte[][] merges;
    private final BitSet eog = new BitSet();
    private final int[] specialTokens;

    private Vocabulary(GgufFile gguf) {
        file = gguf.path();
        model = gguf.getString(KEY_MODEL);
        pre = gguf.getString(KEY_PRE, "");

        // Defaults by tokenizer model and pre-tokenizer, as in llama.cpp (the GGUF keys below override them).
        boolean bos, eos, sep = false, spacePrefix, clean, forceBos = false;
        Arrays.fill(special, -1);
        switch (model) {
            case "llama" -> { // SentencePiece
                special[BOS] = 1;
                special[EOS] = 2;
                special[UNK] = 0;
                bos = true;
                eos = false;
                spacePrefix = true;
                clean = false;
            }
            case "bert" -> { // WordPiece
                special[BOS] = 101;
                special[UNK] = 100;
                special[SEP] = 102;
                special[PAD] = 0;
                special[MASK] = 103;
                bos = true;
                eos = false;
                sep = true;
                spacePrefix = false;
                clean = true;
            }
            case "gpt2" -> { // byte-level BPE
                special[BOS] = 11;
                special[EOS] = 11;
                PreTokenizer.Preset p = PreTokenizer.preset(pre); // unknown: the tokenizer refuses it
                bos = p != null && p.addBos() != null && p.addBos();
                if (p != null && p.noBos()) special[BOS] = -1;
                sep = p != null && p.addSep();
                forceBos = p != null && p.type() == PreTokenizer.Type.GEMMA4; // llama.cpp's Gemma 4 workaround
                eos = false;
                spacePrefix = false;
                clean = p == null || p.cleanSpaces();
            }
            default -> {
                bos = false;
                eos = false;
                spacePrefix = false;
                clean = false;
            }
        }
        cleanSpaces = clean;
        merges = gguf.has(KEY_MERGES) ? gguf.getStringArrayBytes(KEY_MERGES) : null;

        texts = gguf.getStringArray(KEY_TOKENS).clone();
        bytes = gguf.getStringArrayBytes(KEY_TOKENS);
        int n = texts.length;
        for (int i = 0; i < n; i++) {
            if (bytes[i].length == 0) { // llama.cpp gives empty tokens a placeholder text
                texts[i] = "[EMPTY_" + i + "]";
                bytes[i] = texts[i].getBytes(StandardCharsets.UTF_8);
            }
        }

        scores = new float[n];
        if (gguf.has(KEY_SCORES)) {
            GgufArray a = gguf.getArray(KEY_SCORES);
            float[] s;
            if (a.elementType() == GgufValueType.INT32) {
                int[] is = gguf.getIntArray(KEY_SCORES);
                s = new float[is.length];
                for (int i = 0; i < is.length; i++) s[i] = is[i];
            } else {
                s = gguf.getFloatArray(KEY_SCORES);
            }
            if (s.length < n) throw bad(KEY_SCORES + " has " + s.length + " entries for " + n + " tokens");
            System.arraycopy(s, 0, scores, 0, n);
        }

        types = new TokenType[n];
        attrs = new int[n];
        int[] tt = null;
        if (gguf.has(KEY_TOKEN_TYPE)) {
            tt = gguf.getIntArray(KEY_TOKEN_TYPE);
            if (tt.length < n) throw bad(KEY_TOKEN_TYPE + " has " + tt.length + " entries for " + n + " tokens");
        }
        for (int i = 0; i < n; i++) {
            TokenType t = tt == null ? TokenType.NORMAL : TokenType.fromId(tt[i]);
            types[i] = t;
            attrs[i] = switch (t) {
                case UNKNOWN -> ATTR_UNKNOWN;
                case UNUSED -> ATTR_UNUSED;
                case NORMAL -> ATTR_NORMAL;
                case CONTROL -> ATTR_CONTROL;
                case USER_DEFINED -> ATTR_USER_DEFINED;
                case BYTE -> ATTR_BYTE;
                case UNDEFINED -> ATTR_UNDEFINED;
            };
        }
        index = new ByteIndex(bytes);

        // Special ids: a default outside the vocabulary is dropped; a stored id outside it is ignored (llama.cpp warns).
        for (int k = 0; k < N_SPECIAL; k++) if (special[k] >= n) special[k] = -1;
        for (String[] ks : SPECIAL_KEYS) {
            if (!gguf.has(ks[0])) continue;
            long v = gguf.getLong(ks[0]);
            if (v >= 0 && v < n) special[Integer.parseInt(ks[1])] = (int) v;
        }
        addBos = gguf.getBool("tokenizer.ggml.add_bos_token", bos) || forceBos;
        addEos = gguf.getBool("tokenizer.ggml.add_eos_token", eos);
        addSep = gguf.getBool("tokenizer.ggml.add_sep_token", sep);
        addSpacePrefix = gguf.getBool("tokenizer.ggml.add_space_prefix", spacePrefix);
        // BertNormalizer options (WordPiece): lowercase by default; accents are stripped when lowercasing, unless set
        lowercase = gguf.getBool("tokenizer.ggml.normalizer.lowercase", true);
        stripAccents = gguf.getBool("tokenizer.ggml.normalizer.strip_accents", lowercase);

        detectByText(EOT, EOT_TEXTS);
        detectByText(EOM, EOM_TEXTS);
        detectByText(FIM_PRE, FIM_PRE_TEXTS);
        detectByText(FIM_SUF, FIM_SUF_TEXTS);
        detectByText(FIM_MID, FIM_MID_TEXTS);
        detectByText(FIM_PAD, FIM_PAD_TEXTS);
        detectByText(FIM_REP, FIM_REP_TEXTS);
        detectByText(FIM_SEP, FIM_SEP_TEXTS);

        for (int i = 0; i < n; i++) {
            if ((attrs[i] & ATTR_CONTROL) != 0 && texts[i].contains("unused")) attrs[i] |= ATTR_UNUSED;
        }

        // End-of-generation tokens.
        for (int k : new int[]{FIM_PAD, FIM_REP, FIM_SEP}) if (special[k] >= 0) eog.set(special[k]);
        for (String t : EOG_TEXTS) {
            int id = id(t);
            if (id < 0) continue;
            eog.set(id);
            attrs[id] |= ATTR_CONTROL;
        }
        for (String t : ALWAYS_RENDERED) {
            int id = id(t);
            if (id >= 0) attrs[id] = ATTR_USER_DEFINED;
        }
        for (int k : new int[]{EOS, EOT, EOM}) if (special[k] >= 0) eog.set(special[k]);
        // Harmony / solar-open: "<|end|>" ends a message, not the generation.
        boolean hasReturn = eogHas("<|return|>"), hasCall = eogHas("<|call|>") || eogHas("<|calls|>"), hasFlush = eogHas("<|flush|>");
        int end = eogId("<|end|>");
        if (end >= 0 && hasCall && (hasReturn || hasFlush)) {
            eog.clear(end);
            attrs[end] = ATTR_USER_DEFINED;
        }
        // Gemma 4 / PaddleOCR: "</s>" is not an end-of-generation token when "<|tool_response>" is.
        int s = eogId("</s>");
        if (s >= 0 && eogHas("<|tool_response>")) {
            eog.clear(s);
            attrs[s] = ATTR_NORMAL;
        }

        // Tokens that text can be split on before tokenization: longest first (ties: lower id first).
        List<Integer> sp = new ArrayList<>();
        for (int i = 0; i < n; i++) if ((attrs[i] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) != 0) sp.add(i);
        sp.sort((a, b) -> bytes[a].length != bytes[b].length ? Integer.compare(bytes[b].length, bytes[a].length) : Integer.compare(a, b));
        specialTokens = sp.stream().mapToInt(Integer::intValue).toArray();

        // Per-model token attributes (llama.cpp sets these by model name, the GGUF does not carry them).
        String name = gguf.getString("general.name", "").toLowerCase(Locale.ROOT);
        String arch = gguf.getString("general.architecture", "");
        if (containsAny(pre, "jina-v2-de", "jina-v2-es", "jina-v2-code") || containsAny(arch, "nomic-bert-moe", "jina-bert-v3")) {
            setAttr("<mask>", ATTR_LSTRIP, true);
        } else if (containsAny(name, "phi-3", "phi3")) {
            for (int id : specialTokens) attrs[id] |= ATTR_RSTRIP;
            setAttr("</s>", ATTR_RSTRIP, true);
            for (String t : new String[]{"<unk>", "<s>", "<|endoftext|>"}) setAttr(t, ATTR_RSTRIP, false);
        } else if (name.contains("modern-bert")) {
            setAttr("[MASK]", ATTR_LSTRIP, true);
        }
    }

    /** Reads the vocabulary of a GGUF file. Throws {@link ModelFormatException} when it is missing or malformed. */
    public static Vocabulary fromGguf(GgufFile gguf) {
        return new Vocabulary(gguf);
    }

    /** The file the vocabulary was read from. */
    Path file() {
        return file;
    }

    private ModelFormatException bad(String what) {
        return new ModelFormatException(file, what);
    }

    private void detectByText(int slot, List<String> candidates) {
        if (special[slot] >= 0) return;
        for (String t : candidates) {
            int id = id(t);
            if (id >= 0) {
                special[slot] = id;
                attrs[id] |= ATTR_CONTROL;
                return;
            }
        }
    }

    private boolean eogHas(String text) {
        return eogId(text) >= 0;
    }

    private int eogId(String text) {
        for (int id = eog.nextSetBit(0); id >= 0; id = eog.nextSetBit(id + 1)) if (texts[id].equals(text)) return id;
        return -1;
    }

    private void setAttr(String text, int attr, boolean on) {
        int id = id(text);
        if (id < 0) return;
        attrs[id] = on ? attrs[id] | attr : attrs[id] & ~attr;
    }

    private static boolean containsAny(String s, String... parts) {
        for (String p : parts) if (s.contains(p)) return true;
        return false;
    }

    // ---- tokens ----

    /** Number of tokens. */
    public int size() {
        return texts.length;
    }

    /** {@code tokenizer.ggml.model}, e.g. "llama" or "gpt2". */
    public String model() {
        return model;
    }

    /** {@code tokenizer.ggml.pre}, or "" when absent. */
    public String pre() {
        return pre;
    }

    /** The stored text of a token (SentencePiece pieces keep their U+2581 for spaces). Text that is not valid UTF-8 reads as ISO-8859-1. */
    public String text(int id) {
        return texts[check(id)];
    }

    /** The stored text of a token, byte for byte. */
    public byte[] textBytes(int id) {
        return bytes[check(id)].clone();
    }

    byte[] textBytesShared(int id) {
        return bytes[id];
    }

    public float score(int id) {
        return scores[check(id)];
    }

    /** The type stored in the file. */
    public TokenType type(int id) {
        return types[check(id)];
    }

    /** llama.cpp's effective attributes of a token ({@code ATTR_*} bits). */
    public int attributes(int id) {
        return attrs[check(id)];
    }

    public boolean isNormal(int id) {
        return (attributes(id) & ATTR_NORMAL) != 0;
    }

    public boolean isUnknown(int id) {
        return (attributes(id) & ATTR_UNKNOWN) != 0;
    }

    public boolean isControl(int id) {
        return (attributes(id) & ATTR_CONTROL) != 0;
    }

    public boolean isUserDefined(int id) {
        return (attributes(id) & ATTR_USER_DEFINED) != 0;
    }

    public boolean isUnused(int id) {
        return (attributes(id) & ATTR_UNUSED) != 0;
    }

    public boolean isByte(int id) {
        return (attributes(id) & ATTR_BYTE) != 0;
    }

    /** The id of the token with exactly this text, or -1. When two tokens share a text, the higher id (as llama.cpp). */
    public int id(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return index.find(b, 0, b.length);
    }

    /** The id of the token whose text is exactly {@code buf[off, off+len)}, or -1. */
    public int find(byte[] buf, int off, int len) {
        return index.find(buf, off, len);
    }

    /** The length in bytes of the longest token text. */
    public int maxTokenBytes() {
        return index.maxLength();
    }

    /** The CONTROL, USER_DEFINED and UNKNOWN tokens, in the order text is split on them: longest text first, ties by id. */
    int[] specialTokensByLength() {
        return specialTokens;
    }

    private int check(int id) {
        if (id < 0 || id >= texts.length) throw new IllegalArgumentException("token id " + id + " is out of range [0, " + texts.length + ")");
        return id;
    }

    // ---- special tokens ----

    /** Beginning-of-sequence id, or -1. */
    public int bos() {
        return special[BOS];
    }

    /** End-of-sequence id, or -1. */
    public int eos() {
        return special[EOS];
    }

    /** End-of-turn id (from the GGUF or recognised by its text), or -1. */
    public int eot() {
        return special[EOT];
    }

    /** End-of-message id (Llama 3.1 {@code <|eom_id|>}), or -1. */
    public int eom() {
        return special[EOM];
    }

    /** Unknown-token id, or -1. */
    public int unk() {
        return special[UNK];
    }

    /** Separator id, or -1. */
    public int sep() {
        return special[SEP];
    }

    /** Padding id, or -1. */
    public int pad() {
        return special[PAD];
    }

    /** Mask id, or -1. */
    public int mask() {
        return special[MASK];
    }

    /** Fill-in-the-middle ids (prefix, suffix, middle, pad, repo, file separator), each -1 when absent. */
    public int[] fimIds() {
        return new int[]{special[FIM_PRE], special[FIM_SUF], special[FIM_MID], special[FIM_PAD], special[FIM_REP], special[FIM_SEP]};
    }

    /** Whether encoding with {@code addSpecial} prepends BOS ({@code tokenizer.ggml.add_bos_token}). */
    public boolean addBos() {
        return addBos;
    }

    /** Whether encoding with {@code addSpecial} appends EOS ({@code tokenizer.ggml.add_eos_token}). */
    public boolean addEos() {
        return addEos;
    }

    /** {@code tokenizer.ggml.add_sep_token} (used by BERT-style models only). */
    public boolean addSep() {
        return addSep;
    }

    /** Whether a space is put in front of text that starts a sequence or follows a special token ({@code tokenizer.ggml.add_space_prefix}). */
    public boolean addSpacePrefix() {
        return addSpacePrefix;
    }

    /**
     * Whether decoding cleans up spaces before punctuation and contractions (llama.cpp's {@code clean_spaces}, from
     * Hugging Face's {@code clean_up_tokenization_spaces}): on for WordPiece and most byte-level BPE vocabularies.
     */
    public boolean cleanSpaces() {
        return cleanSpaces;
    }

    /** WordPiece normalization: lowercase the text ({@code tokenizer.ggml.normalizer.lowercase}, default true). */
    boolean lowercase() {
        return lowercase;
    }

    /** WordPiece normalization: strip accents ({@code tokenizer.ggml.normalizer.strip_accents}, default: as lowercase). */
    boolean stripAccents() {
        return stripAccents;
    }

    /** {@code tokenizer.ggml.merges} as stored (byte-level BPE), or null when absent. Shared: do not modify. */
    byte[][] merges() {
        return merges;
    }

    /** Whether generating this token ends generation (EOS, EOT, EOM and the tokens llama.cpp recognises by text). */
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && eog.get(id);
    }

    /** All end-of-generation ids, ascending. */
    public int[] endOfGenerationIds() {
        return eog.stream().toArray();
    }

    @Override
    public String toString() {
        return "Vocabulary[" + model + (pre.isEmpty() ? "" : "/" + pre) + ", " + texts.length + " tokens, bos " + bos() + ", eos " + eos() + "]";
    }
}
