package io.jlama.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words that byte-level BPE merges within, with the results of llama.cpp's
 * {@code unicode_regex_split} for the regexes its {@code llm_tokenizer_bpe} picks by {@code tokenizer.ggml.pre}.
 *
 * <p>A pre-tokenizer is a list of regexes applied one after the other: each one splits every piece left by the
 * previous one into its matches and the text between them. As in llama.cpp:
 * <ul>
 * <li>the GPT-2, Llama-3, Qwen2 and Qwen3.5 regexes, the newline split and the digit grouping (recognised by their
 * exact text) run as hand-written scanners over llama.cpp's code point categories ({@link Unicode#flags}), not as
 * regexes;</li>
 * <li>a regex that uses {@code \p{..}} categories runs on a "collapsed" copy of the text in which every non-ASCII code
 * point is one character standing for its category (whitespace becomes U+000B), with each {@code \p{X}} rewritten to
 * that character plus the ASCII members of X: so {@code \p{Lu}} matches every letter, as in llama.cpp;</li>
 * <li>any other regex runs on the code points, non-ASCII whitespace turned into U+000B (through a small alphabet,
 * {@link Alphabet});</li>
 * <li>regexes run with backtracking and leftmost-first alternation (std::regex ECMAScript there, java.util.regex
 * here), and each match only sees its own piece (lookahead stops at the piece's end).</li>
 * </ul>
 * Instances are immutable and thread-safe.
 */
final class PreTokenizer {
    // ---- the regexes of llama.cpp's pre-tokenizer table (they come from the models' tokenizer.json) ----

    static final String RE_GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final String RE_LLAMA3_ORIGINAL = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String RE_LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String RE_QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String RE_QWEN35 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String RE_NEWLINES = "[^\\n]+|[\\n]+";
    static final String RE_DIGITS_MOD3 = "\\p{AFMoE_digits}";
    static final String RE_TINY_AYA_DIGITS = "\\d{1,3}(?=(?:\\d{3})*\\b)";

    private static final String RE_CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private static final String RE_PORO = " ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";
    private static final String RE_DEEPSEEK3_MAIN = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";
    private static final String RE_TEKKEN = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String RE_GPT4O = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+" + RE_CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*" + RE_CONTRACTIONS + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String RE_GRANITE_EMB_MULTI = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))*((?=[\\p{L}\\p{M}])([^A-Z]))+" + RE_CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))+((?=[\\p{L}\\p{M}])([^A-Z]))*" + RE_CONTRACTIONS + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String RE_CASED_WORDS = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+" + RE_CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*" + RE_CONTRACTIONS + "?|";

    /**
     * llama.cpp's pre-tokenizer types: the regexes, and whether words are byte-encoded (GPT-2's byte-to-unicode map)
     * or kept as UTF-8 with U+2581 for spaces (SentencePiece-style BPE).
     */
    enum Type {
        DEFAULT("[\\p{P}\\$\\+<=>\\^~\\|]+", RE_GPT2, "\\p{N}+", "[0-9][0-9][0-9]"),
        LLAMA3(RE_LLAMA3),
        JAIS2(RE_CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}"),
        DEEPSEEK_LLM("[\r\n]",
                "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\uD801\uDC00-\uD801\uDC4F\uD801\uDCB0-\uD801\uDCD3\uD801\uDCD8-\uD801\uDCFB\uD803\uDC80-\uD803\uDCB2\uD803\uDCC0-\uD803\uDCF2\uD806\uDCA0-\uD806\uDCDF\uD83A\uDD00-\uD83A\uDD43]+",
                "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+",
                "\\s+$",
                "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
                "\\p{N}+"),
        DEEPSEEK3_LLM("\\p{N}{1,3}", "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+", RE_DEEPSEEK3_MAIN),
        SPARK2_5("\\p{N}{1,3}", "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
                "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]|\\s+(?!\\S)|\\s+",
                "\\p{N}"),
        YOUTU("[\uAC00-\uD7A3\u3131-\u318E]+|[\uFF01\u2026\u201C\u201D\u2018\u2019\u2014\uFF1A\uFF1B\uFF0C\u3001-\u303F\uFE30-\uFE4F]+|[\u3105-\u312F]+|[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
                "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+" + RE_CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*" + RE_CONTRACTIONS + "?|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
        DEEPSEEK_CODER("[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+", "\\p{N}"),
        FALCON("[\\p{P}\\$\\+<=>\\^~\\|`]+", RE_GPT2, "[0-9][0-9][0-9]"),
        STARCODER("\\p{N}", RE_GPT2),
        GPT2(RE_GPT2),
        QWEN2(RE_QWEN2),
        QWEN35(RE_QWEN35),
        PORO(RE_PORO),
        VIKING(RE_PORO, "\\p{N}"),
        TEKKEN(RE_TEKKEN),
        CHAMELEON("<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", "\\p{N}", "[\\p{P}!-/:-@\\[-`{-~]", RE_GPT2),
        GPT4O(RE_GPT4O),
        GRANITE_EMB_MULTI(RE_GRANITE_EMB_MULTI),
        TINY_AYA(RE_TINY_AYA_DIGITS, RE_CASED_WORDS + "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
        BAILINGMOE("'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"),
        SEED_CODER(RE_CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
        UFAKZEKA("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
        AFMOE(RE_DIGITS_MOD3, "[\u4E00-\u9FFF\u3400-\u4DBF\u8C48-\uFAFF\u3040-\u309F\u30A0-\u30FF\uFF65-\uFF9F\u2F00-\u2FDF\u0E40-\u0E7F\u0E80-\u0EFF\u1780-\u17FF\u1000-\u109F\uAA60-\uAA7F\uA9E0-\uA9FF\uAC00-\uD7AF\u1100-\u11FF]+",
                "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
        LAGUNA(RE_NEWLINES, RE_QWEN2),
        // llama.cpp: [^\r\n\p{L}\p{N}]?(?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+ -- the same language, and nothing follows it in
        // its alternative, so the same match; written so that java.util.regex loops over letters instead of recursing
        EXAONE_MOE(RE_CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}[\\p{L}\\p{M}]*(?: \\p{L}[\\p{L}\\p{M}]*)*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"),
        MINICPM5("\\p{N}{1,3}", RE_CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
        /** SentencePiece-style BPE: spaces are U+2581, words are raw UTF-8, split only at newlines. */
        GEMMA4(RE_NEWLINES),
        /** As GEMMA4, without its rule for runs of newlines. */
        SARVAM_MOE(RE_NEWLINES);

        final List<String> regexes;

        Type(String... regexes) {
            this.regexes = List.of(regexes);
        }
    }

    /**
     * A {@code tokenizer.ggml.pre} value: its type and the vocabulary settings llama.cpp ties to it ({@code
     * clean_spaces}, {@code ignore_merges}, the add-BOS default, ...).
     */
    record Preset(String name, Type type, boolean cleanSpaces, boolean ignoreMerges, Boolean addBos, boolean noBos,
                  boolean addSep, boolean escapeWhitespace) {
        boolean byteEncode() {
            return type != Type.GEMMA4 && type != Type.SARVAM_MOE;
        }
    }

    private static final Map<String, Preset> PRESETS = new HashMap<>();

    private static void preset(Type type, String flags, String... names) {
        for (String n : names) {
            PRESETS.put(n, new Preset(n, type, !flags.contains("keep-spaces"), flags.contains("ignore-merges"),
                    flags.contains("bos") && !flags.contains("no-bos") ? Boolean.TRUE : null, flags.contains("no-bos"),
                    flags.contains("sep"), flags.contains("escape")));
        }
    }

    // llama.cpp's llama_vocab::impl::load: pre-tokenizer names, their type and settings. "keep-spaces": clean_spaces
    // off; "ignore-merges": a word that is a token is taken whole; "bos": add BOS by default; "no-bos": no BOS id.
    static {
        preset(Type.DEFAULT, "", "default");
        preset(Type.MINICPM5, "ignore-merges", "minicpm5");
        preset(Type.LLAMA3, "ignore-merges bos", "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
                "jina-v5-nano");
        preset(Type.DEEPSEEK_LLM, "keep-spaces", "deepseek-llm");
        preset(Type.DEEPSEEK_CODER, "keep-spaces", "deepseek-coder");
        preset(Type.DEEPSEEK3_LLM, "keep-spaces", "deepseek-v3", "hunyuan-dense", "hy_v4", "joyai-llm");
        preset(Type.SPARK2_5, "keep-spaces", "spark2_5");
        preset(Type.YOUTU, "keep-spaces ignore-merges", "youtu");
        preset(Type.FALCON, "", "falcon");
        preset(Type.GPT2, "", "mpt", "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
                "modern-bert", "exaone4", "olmo", "jais");
        preset(Type.STARCODER, "", "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2");
        preset(Type.JAIS2, "", "jais-2");
        preset(Type.GEMMA4, "escape", "gemma4", "granite-embed-multi-311m");
        preset(Type.SARVAM_MOE, "escape keep-spaces", "sarvam-moe");
        preset(Type.GPT2, "sep", "jina-v1-en", "jina-v2-code", "roberta-bpe");
        preset(Type.STARCODER, "keep-spaces", "command-r", "smollm");
        preset(Type.QWEN2, "keep-spaces", "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open");
        preset(Type.QWEN2, "", "stablelm2", "megrez");
        preset(Type.QWEN35, "keep-spaces", "qwen35");
        preset(Type.LLAMA3, "", "dbrx", "smaug-bpe");
        preset(Type.PORO, "keep-spaces", "poro-chat");
        preset(Type.PORO, "", "bloom", "gpt3-finnish");
        preset(Type.LLAMA3, "no-bos", "glm4", "chatglm-bpe");
        preset(Type.VIKING, "keep-spaces", "viking");
        preset(Type.TEKKEN, "keep-spaces ignore-merges bos", "tekken");
        preset(Type.CHAMELEON, "keep-spaces bos", "chameleon");
        preset(Type.GPT4O, "keep-spaces", "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2");
        preset(Type.GRANITE_EMB_MULTI, "keep-spaces ignore-merges", "granite-embed-multi-97m");
        preset(Type.TINY_AYA, "keep-spaces", "tiny_aya", "cohere2moe");
        preset(Type.GPT2, "keep-spaces", "trillion", "granite-docling");
        preset(Type.BAILINGMOE, "keep-spaces", "bailingmoe", "bailingmoe2", "llada-moe");
        preset(Type.SEED_CODER, "keep-spaces", "seed-coder");
        preset(Type.UFAKZEKA, "keep-spaces", "ufakzeka");
        preset(Type.QWEN2, "keep-spaces", "grok-2");
        preset(Type.AFMOE, "keep-spaces", "afmoe");
        preset(Type.LAGUNA, "keep-spaces", "laguna");
        preset(Type.EXAONE_MOE, "", "exaone-moe");
    }

    /** The preset of a {@code tokenizer.ggml.pre} value ("" = missing = "default"), or null when unknown. */
    static Preset preset(String pre) {
        return PRESETS.get(pre.isEmpty() ? "default" : pre);
    }

    /** The names {@link #preset} knows, sorted. */
    static List<String> presetNames() {
        List<String> names = new ArrayList<>(PRESETS.keySet());
        names.sort(null);
        return names;
    }

    // ---- splitting ----

    private final Type type;
    private final Stage[] stages;
    private final boolean needsCollapsed;

    PreTokenizer(Type type) {
        this.type = type;
        stages = new Stage[type.regexes.size()];
        boolean collapsed = false;
        for (int i = 0; i < stages.length; i++) {
            stages[i] = stage(type.regexes.get(i), i);
            if (stages[i] instanceof RegexStage r && r.alphabet == null) collapsed = true;
        }
        needsCollapsed = collapsed;
    }

    /** The code points of one text and what the stages need of them. */
    static final class Text {
        final int[] cps;
        final int n;
        final int[] flags;
        String collapsed; // one char per code point: see collapse()
        final Matcher[] matchers; // one per stage that is a regex, reset for every piece

        Text(int[] cps, int n, int stages) {
            this.cps = cps;
            this.n = n;
            matchers = new Matcher[stages];
            flags = new int[n];
            for (int i = 0; i < n; i++) flags[i] = Unicode.flags(cps[i]);
        }

        int cp(int i, int from, int to) {
            return i >= from && i < to ? cps[i] : -1;
        }

        int flags(int i, int from, int to) {
            return i >= from && i < to ? flags[i] : 0;
        }
    }

    /**
     * Splits the code points {@code cps[0, n)} into words; returns their lengths in code points, in order (they add
     * up to n; none is empty).
     */
    IntList split(int[] cps, int n) {
        Text t = new Text(cps, n, stages.length);
        if (needsCollapsed) {
            char[] c = new char[n];
            for (int i = 0; i < n; i++) c[i] = collapse(cps[i], t.flags[i]);
            t.collapsed = new String(c);
        }
        IntList pieces = new IntList(4);
        if (n > 0) pieces.add(n);
        for (Stage s : stages) {
            IntList next = new IntList(pieces.size() * 2 + 4);
            int from = 0;
            for (int k = 0; k < pieces.size(); k++) {
                int to = from + pieces.get(k);
                s.split(t, from, to, next);
                from = to;
            }
            pieces = next;
        }
        return pieces;
    }

    /** The collapsed form of a code point: ASCII as is, whitespace U+000B, others a character for the category. */
    static char collapse(int cp, int flags) {
        if (cp < 0x80) return (char) cp;
        if ((flags & Unicode.WHITESPACE) != 0) return 0x0B;
        return switch (flags & Unicode.CATEGORIES) {
            case Unicode.NUMBER -> C_NUMBER;
            case Unicode.LETTER -> C_LETTER;
            case Unicode.PUNCTUATION -> C_PUNCTUATION;
            case Unicode.MARK -> C_MARK;
            case Unicode.SYMBOL -> C_SYMBOL;
            default -> C_OTHER;
        };
    }

    private static final char C_OTHER = 0xD0, C_NUMBER = 0xD1, C_LETTER = 0xD2, C_PUNCTUATION = 0xD3, C_MARK = 0xD4, C_SYMBOL = 0xD5;

    /** One regex of the list: adds the lengths of the words of {@code [from, to)} to out. */
    private interface Stage {
        void split(Text t, int from, int to, IntList out);
    }

    private static Stage stage(String regex, int index) {
        return switch (regex) {
            case RE_GPT2 -> PreTokenizer::splitGpt2;
            case RE_LLAMA3, RE_LLAMA3_ORIGINAL -> (t, from, to, out) -> splitLlama3(t, from, to, out, 3, false);
            case RE_QWEN2 -> (t, from, to, out) -> splitLlama3(t, from, to, out, 1, false);
            case RE_QWEN35 -> (t, from, to, out) -> splitLlama3(t, from, to, out, 1, true);
            case RE_NEWLINES -> PreTokenizer::splitNewlines;
            case RE_DIGITS_MOD3, RE_TINY_AYA_DIGITS -> PreTokenizer::splitDigitsMod3;
            default -> new RegexStage(regex, index);
        };
    }

    /** Collects word ends: {@code end(pos)} closes the word that started where the previous one ended. */
    private static final class Words {
        private final IntList out;
        private int prevEnd;

        Words(IntList out, int from) {
            this.out = out;
            this.prevEnd = from;
        }

        void end(int pos) {
            if (pos > prevEnd) out.add(pos - prevEnd);
            prevEnd = pos;
        }
    }

    private static boolean isContraction1(int c) {
        return c == 's' || c == 't' || c == 'm' || c == 'd';
    }

    private static boolean isContraction2(int c1, int c2) {
        return (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l');
    }

    /** {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}, as llama.cpp scans it. */
    private static void splitGpt2(Text t, int from, int to, IntList out) {
        final int L = Unicode.LETTER, N = Unicode.NUMBER, WS = Unicode.WHITESPACE;
        Words w = new Words(out, from);
        int pos = from;
        while (pos < to) {
            int c = t.cps[pos];
            int f = t.flags[pos];
            if (c == '\'' && pos + 1 < to) {
                int c1 = t.cps[pos + 1];
                if (isContraction1(c1)) {
                    w.end(pos += 2);
                    continue;
                }
                if (pos + 2 < to && isContraction2(c1, t.cps[pos + 2])) {
                    w.end(pos += 3);
                    continue;
                }
            }
            int f2 = c == ' ' ? t.flags(pos + 1, from, to) : f;
            int cls = (f2 & L) != 0 ? L : (f2 & N) != 0 ? N : (f2 & WS) == 0 && f2 != 0 ? -1 : 0;
            if (cls != 0) { // ' ?' then a run of letters / numbers / other (not whitespace, letter, number)
                if (c == ' ') pos++;
                do {
                    pos++;
                } while (sameRun(cls, t.flags(pos, from, to)));
                w.end(pos);
                continue;
            }
            int spaces = 0;
            while ((t.flags(pos + spaces, from, to) & WS) != 0) spaces++;
            pos = endSpacesOrChar(w, pos, spaces, to);
        }
    }

    private static boolean sameRun(int cls, int f) {
        if (cls > 0) return (f & cls) != 0;
        return (f & (Unicode.WHITESPACE | Unicode.LETTER | Unicode.NUMBER)) == 0 && f != 0;
    }

    /**
     * The Llama-3 regex {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}
     * as llama.cpp scans it; Qwen2 has {@code \p{N}} (maxDigits 1), Qwen3.5 also lets letter runs take marks
     * ({@code [\p{L}\p{M}]+}, and no mark in the punctuation run).
     */
    private static void splitLlama3(Text t, int from, int to, IntList out, int maxDigits, boolean marks) {
        final int L = Unicode.LETTER, N = Unicode.NUMBER, WS = Unicode.WHITESPACE, M = Unicode.MARK;
        final int word = marks ? L | M : L;
        Words w = new Words(out, from);
        int pos = from;
        while (pos < to) {
            int c = t.cps[pos];
            int f = t.flags[pos];
            if (c == '\'' && pos + 1 < to) { // contractions, case-insensitive
                int c1 = Unicode.toLower(t.cps[pos + 1]);
                if (isContraction1(c1)) {
                    w.end(pos += 2);
                    continue;
                }
                if (pos + 2 < to && isContraction2(c1, Unicode.toLower(t.cps[pos + 2]))) {
                    w.end(pos += 3);
                    continue;
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (!(c == '\r' || c == '\n' || (f & N) != 0)) {
                if ((f & word) != 0 || (t.flags(pos + 1, from, to) & word) != 0) {
                    pos++;
                    while ((t.flags(pos, from, to) & word) != 0) pos++;
                    w.end(pos);
                    continue;
                }
            }
            // \p{N}{1,maxDigits}
            if ((f & N) != 0) {
                int ini = pos;
                while ((t.flags(pos, from, to) & N) != 0) {
                    if (++pos - ini >= maxDigits) {
                        w.end(pos);
                        ini = pos;
                    }
                }
                w.end(pos);
                continue;
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            final int stop = WS | L | N | (marks ? M : 0);
            int f2 = c == ' ' ? t.flags(pos + 1, from, to) : f;
            if ((f2 & stop) == 0 && f != 0) {
                if (c == ' ') pos++;
                while ((t.flags(pos, from, to) & stop) == 0 && t.flags(pos, from, to) != 0) pos++;
                int c2 = t.cp(pos, from, to);
                while (c2 == '\r' || c2 == '\n') c2 = t.cp(++pos, from, to);
                w.end(pos);
                continue;
            }
            int spaces = 0, lastNewline = -1;
            while ((t.flags(pos + spaces, from, to) & WS) != 0) {
                int c2 = t.cps[pos + spaces];
                if (c2 == '\r' || c2 == '\n') lastNewline = pos + spaces + 1;
                spaces++;
            }
            if (lastNewline >= 0) { // \s*[\r\n]+
                w.end(pos = lastNewline);
                continue;
            }
            pos = endSpacesOrChar(w, pos, spaces, to);
        }
    }

    /** {@code [^\n]+|[\n]+}: runs of newlines and runs of anything else. */
    private static void splitNewlines(Text t, int from, int to, IntList out) {
        int pos = from;
        while (pos < to) {
            boolean nl = t.cps[pos] == '\n';
            int s = pos;
            while (pos < to && (t.cps[pos] == '\n') == nl) pos++;
            out.add(pos - s);
        }
    }

    /**
     * llama.cpp's digit grouping for AFMoE and Tiny Aya: a run of k digits ends a word after its first k mod 3
     * digits (if any) and after every 3 digits from there; the text before the run joins its first group.
     */
    private static void splitDigitsMod3(Text t, int from, int to, IntList out) {
        Words w = new Words(out, from);
        int pos = from;
        while (pos < to) {
            if ((t.flags[pos] & Unicode.NUMBER) == 0) {
                pos++;
                continue;
            }
            int start = pos;
            while (pos < to && (t.flags[pos] & Unicode.NUMBER) != 0) pos++;
            int cur = start, rem = (pos - start) % 3;
            if (rem > 0) w.end(cur += rem);
            while (cur < pos) w.end(cur += 3);
        }
        w.end(to);
    }

    /**
     * A regex run with java.util.regex, on the collapsed text when it uses categories, else on the code points (as
     * std::wregex would see them: non-ASCII whitespace as U+000B). For the latter the non-ASCII code points are mapped
     * to a small alphabet first ({@link Alphabet}): one character each, and small character classes.
     */
    static final class RegexStage implements Stage {
        final Alphabet alphabet; // null: collapsed text
        final Pattern pattern;
        private final int index; // in the pre-tokenizer's stages

        RegexStage(String regex, int index) {
            this.index = index;
            boolean collapsed = CATEGORY.matcher(regex).find();
            alphabet = collapsed ? null : new Alphabet(regex);
            pattern = Pattern.compile(toJava(collapsed ? collapseRegex(regex) : alphabet.regex));
        }

        @Override
        public void split(Text t, int from, int to, IntList out) {
            Matcher m = t.matchers[index];
            if (m == null) m = t.matchers[index] = pattern.matcher(alphabet == null ? t.collapsed : alphabet.map(t));
            m.region(from, to);
            int last = from;
            while (m.find()) {
                int s = m.start(), e = m.end();
                if (s > last) out.add(s - last); // the text before the match
                if (e > s) out.add(e - s);       // (an empty match only ends the text before it)
                last = e;
            }
            if (last < to) out.add(to - last);
        }
    }

    /**
     * A regex without categories, rewritten for a compressed text: ASCII stays, and every non-ASCII code point becomes
     * one character from U+0080 on that stands for all code points which the regex's bracket expressions (and
     * non-ASCII literals) treat alike. A bracket expression then lists these characters instead of its non-ASCII
     * ranges, and java.util.regex tests it with a table lookup instead of a chain of range checks.
     */
    static final class Alphabet {
        final String regex;      // the rewritten regex
        private final int[] starts; // sorted starts of the intervals of U+0080..U+10FFFF
        private final char[] reps;  // the character standing for each interval

        Alphabet(String re) {
            // the bracket expressions and non-ASCII literals, as code point ranges (ASCII parts aside)
            List<int[]> classes = new ArrayList<>(); // each: [lo0, hi0, lo1, hi1, ...] of non-ASCII code points
            List<int[]> spans = new ArrayList<>();   // [start, end, class index, negated] in re (char indices)
            List<String> ascii = new ArrayList<>();  // the ASCII content of each bracket expression
            for (int i = 0; i < re.length(); ) {
                char c = re.charAt(i);
                if (c == '\\' && i + 1 < re.length()) {
                    i += 2;
                    continue;
                }
                if (c == '[') {
                    int j = i + 1;
                    boolean neg = j < re.length() && re.charAt(j) == '^';
                    if (neg) j++;
                    List<Integer> ranges = new ArrayList<>();
                    StringBuilder asc = new StringBuilder();
                    while (j < re.length() && re.charAt(j) != ']') {
                        int lo, hi;
                        String item;
                        if (re.charAt(j) == '\\') {
                            item = re.substring(j, j + 2);
                            j += 2;
                            char e = item.charAt(1);
                            if (e == 'S' || e == 'D' || e == 'W') { // every non-ASCII code point
                                ranges.add(0x80);
                                ranges.add(Unicode.MAX_CODE_POINT);
                            }
                            asc.append(item);
                            continue;
                        }
                        lo = re.codePointAt(j);
                        j += Character.charCount(lo);
                        hi = lo;
                        if (j + 1 < re.length() && re.charAt(j) == '-' && re.charAt(j + 1) != ']') {
                            j++;
                            hi = re.charAt(j) == '\\' ? re.charAt(j + 1) : re.codePointAt(j);
                            j += re.charAt(j) == '\\' ? 2 : Character.charCount(hi);
                        }
                        if (lo < 0x80) asc.append(escape(lo)).append(hi > lo ? "-" + escape(Math.min(hi, 0x7F)) : "");
                        if (hi >= 0x80) {
                            ranges.add(Math.max(lo, 0x80));
                            ranges.add(hi);
                        }
                    }
                    classes.add(ranges.stream().mapToInt(Integer::intValue).toArray());
                    ascii.add(asc.toString());
                    spans.add(new int[]{i, j + 1, classes.size() - 1, neg ? 1 : 0});
                    i = j + 1;
                    continue;
                }
                int cp = re.codePointAt(i);
                if (cp >= 0x80) { // a literal: a class of its own
                    classes.add(new int[]{cp, cp});
                    ascii.add(null);
                    spans.add(new int[]{i, i + Character.charCount(cp), classes.size() - 1, 0});
                }
                i += Character.charCount(cp);
            }
            // the elementary intervals and their signatures (which classes contain them)
            TreeSet<Integer> cuts = new TreeSet<>(List.of(0x80, Unicode.MAX_CODE_POINT + 1));
            for (int[] r : classes) {
                for (int k = 0; k < r.length; k += 2) {
                    cuts.add(r[k]);
                    cuts.add(r[k + 1] + 1);
                }
            }
            cuts.remove(Unicode.MAX_CODE_POINT + 1);
            starts = cuts.stream().mapToInt(Integer::intValue).toArray();
            reps = new char[starts.length];
            Map<BitSet, Character> bySignature = new HashMap<>();
            List<BitSet> signatures = new ArrayList<>();
            for (int k = 0; k < starts.length; k++) {
                BitSet sig = new BitSet();
                for (int c = 0; c < classes.size(); c++) {
                    int[] r = classes.get(c);
                    for (int q = 0; q < r.length; q += 2) if (r[q] <= starts[k] && starts[k] <= r[q + 1]) sig.set(c);
                }
                Character rep = bySignature.get(sig);
                if (rep == null) {
                    rep = (char) (0x80 + signatures.size());
                    bySignature.put(sig, rep);
                    signatures.add(sig);
                }
                reps[k] = rep;
            }
            // the regex with each bracket expression / literal listing its characters
            StringBuilder b = new StringBuilder();
            int at = 0;
            for (int[] sp : spans) {
                b.append(re, at, sp[0]);
                StringBuilder members = new StringBuilder();
                for (int r = 0; r < signatures.size(); r++) {
                    if (signatures.get(r).get(sp[2])) members.append(escape(0x80 + r));
                }
                String asc = ascii.get(sp[2]);
                if (asc == null) b.append(members); // a literal: exactly one character
                else b.append('[').append(sp[3] == 1 ? "^" : "").append(asc).append(members).append(']');
                at = sp[1];
            }
            b.append(re.substring(at));
            regex = b.toString();
        }

        /** The text in this alphabet: one character per code point (non-ASCII whitespace is U+000B). */
        String map(Text t) {
            char[] c = new char[t.n];
            for (int i = 0; i < t.n; i++) {
                int cp = t.cps[i];
                if (cp < 0x80) c[i] = (char) cp;
                else if ((t.flags[i] & Unicode.WHITESPACE) != 0) c[i] = 0x0B;
                else c[i] = rep(cp);
            }
            return new String(c);
        }

        char rep(int cp) {
            int k = Arrays.binarySearch(starts, Math.min(cp, Unicode.MAX_CODE_POINT));
            return reps[k >= 0 ? k : -k - 2];
        }

        private static String escape(int c) {
            return String.format("\\x{%X}", c);
        }
    }

    private static final Pattern CATEGORY = Pattern.compile("\\\\p\\{(N|L|P|M|S|Lu|Ll|Lt|Lm|Lo)}");

    /**
     * Rewrites the {@code \p{..}} categories for the collapsed text, as llama.cpp does: inside a bracket expression
     * the category's character and ASCII members are inserted, outside one they are wrapped in brackets.
     */
    static String collapseRegex(String regex) {
        for (int i = 0; i < regex.length(); i++) {
            if (regex.charAt(i) >= 0x80) {
                throw new IllegalArgumentException("a regex with both Unicode categories and non-ASCII characters is not supported: " + regex);
            }
        }
        StringBuilder b = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '[' && (i == 0 || regex.charAt(i - 1) != '\\')) {
                b.append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && regex.charAt(i - 1) != '\\') {
                b.append(']');
                inside = false;
                continue;
            }
            if (c == '\\' && i + 3 < regex.length() && regex.charAt(i + 1) == 'p' && regex.charAt(i + 2) == '{') {
                int close = regex.indexOf('}', i + 3);
                if (close >= 0 && close <= i + 10) {
                    String members = categoryMembers(regex.substring(i + 3, close));
                    if (members != null) {
                        if (!inside) b.append('[');
                        b.append(members);
                        if (!inside) b.append(']');
                        i = close;
                        continue;
                    }
                }
            }
            b.append(c);
        }
        return b.toString();
    }

    /** The collapsed character of a category and its ASCII members, as bracket-expression content; null if unknown. */
    private static String categoryMembers(String cat) {
        return switch (cat) {
            case "N" -> C_NUMBER + "0-9";
            case "L", "Lu", "Ll", "Lt", "Lm", "Lo" -> C_LETTER + "A-Za-z";
            case "P" -> C_PUNCTUATION + "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}";
            case "M" -> String.valueOf(C_MARK);
            case "S" -> C_SYMBOL + "\\$\\+<->\\^`\\|~";
            default -> null;
        };
    }

    // ((?=[X])([^Y])): a character of X that is not in Y. java.util.regex repeats a group by recursion, which a long
    // word would overflow; the equivalent class intersection repeats in a loop.
    private static final Pattern LOOKAHEAD_CLASS = Pattern.compile("\\(\\(\\?=\\[([^\\[\\]]+)]\\)\\(\\[\\^([^\\[\\]]+)]\\)\\)");

    /**
     * An ECMAScript regex (as std::regex reads it) in java.util.regex syntax: {@code $} outside brackets means the end
     * of the piece; bracket expressions list their characters below U+0100 one by one (java.util.regex then tests them
     * with one table lookup, where ranges would be a chain of tests); the lookahead-guarded single characters become
     * class intersections.
     */
    static String toJava(String re) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\' && i + 1 < re.length()) {
                b.append(c).append(re.charAt(++i));
            } else if (c == '[') {
                i = flattenClass(re, i, b);
            } else if (c == '$') {
                b.append("\\z");
            } else {
                b.append(c);
            }
        }
        Matcher m = LOOKAHEAD_CLASS.matcher(b);
        StringBuilder r = new StringBuilder();
        while (m.find()) m.appendReplacement(r, Matcher.quoteReplacement("[" + m.group(1) + "&&[^" + m.group(2) + "]]"));
        m.appendTail(r);
        return r.toString();
    }

    private static final int MANY = -1, ADDED = -2;

    /** Writes the bracket expression at re[open] with its characters below U+0100 listed; returns the index of its ']'. */
    private static int flattenClass(String re, int open, StringBuilder out) {
        boolean[] small = new boolean[256];
        StringBuilder other = new StringBuilder();
        int i = open + 1;
        boolean neg = i < re.length() && re.charAt(i) == '^';
        if (neg) i++;
        while (i < re.length() && re.charAt(i) != ']') {
            int start = i;
            int[] lo = classAtom(re, i, small);
            i = lo[1];
            if (lo[0] == MANY) { // \S \D \W \p{..}: kept as is
                other.append(re, start, i);
                continue;
            }
            if (lo[0] == ADDED) continue; // \s \d \w: their characters are marked in small
            int hi = lo[0];
            if (i + 1 < re.length() && re.charAt(i) == '-' && re.charAt(i + 1) != ']') {
                int[] h = classAtom(re, i + 1, null);
                if (h[0] >= 0) {
                    hi = h[0];
                    i = h[1];
                }
            }
            for (int c = lo[0]; c <= Math.min(hi, 255); c++) small[c] = true;
            if (hi > 255) other.append(String.format("\\x{%X}-\\x{%X}", Math.max(lo[0], 256), hi));
        }
        out.append('[');
        if (neg) out.append('^');
        for (int c = 0; c < 256; c++) if (small[c]) out.append(String.format("\\x{%X}", c));
        out.append(other).append(']');
        return i;
    }

    /**
     * The atom of a bracket expression at re[i]: {character, index after it}; the character is MANY for an escape
     * that stands for a large set (kept as is), ADDED for \\s \\d \\w, whose characters it marks in small.
     */
    private static int[] classAtom(String re, int i, boolean[] small) {
        int c = re.codePointAt(i);
        if (c != '\\') return new int[]{c, i + Character.charCount(c)};
        char e = re.charAt(i + 1);
        switch (e) {
            case 's', 'd', 'w' -> {
                if (small == null) return new int[]{MANY, i + 2};
                for (int k = 0; k < 128; k++) {
                    boolean in = e == 's' ? k == ' ' || (k >= '\t' && k <= '\r')
                            : e == 'd' ? k >= '0' && k <= '9' : Character.isLetterOrDigit(k) || k == '_';
                    if (in) small[k] = true;
                }
                return new int[]{ADDED, i + 2};
            }
            case 'S', 'D', 'W', 'p', 'P' -> {
                int end = i + 2;
                if ((e == 'p' || e == 'P') && end < re.length() && re.charAt(end) == '{') end = re.indexOf('}', end) + 1;
                return new int[]{MANY, end};
            }
            case 'x' -> {
                if (re.charAt(i + 2) == '{') {
                    int close = re.indexOf('}', i + 3);
                    return new int[]{Integer.parseInt(re.substring(i + 3, close), 16), close + 1};
                }
                return new int[]{Integer.parseInt(re.substring(i + 2, i + 4), 16), i + 4};
            }
            case 't' -> {
                return new int[]{'\t', i + 2};
            }
            case 'n' -> {
                return new int[]{'\n', i + 2};
            }
            case 'r' -> {
                return new int[]{'\r', i + 2};
            }
            case 'f' -> {
                return new int[]{'\f', i + 2};
            }
            case 'v' -> {
                return new int[]{0x0B, i + 2};
            }
            default -> {
                int cp = re.codePointAt(i + 1);
                return new int[]{cp, i + 1 + Character.charCount(cp)};
            }
        }
    }

    @Override
    public String toString() {
        return "PreTokenizer[" + type + "]";
    }

    /**
     * The last alternatives of the GPT-2 and llama-3 style patterns, shared by their splitters: {@code \s+(?!\S)} (a run of
     * spaces before a word leaves its last space to the word), then {@code \s+}, then any single character. Ends the
     * piece and returns the new position.
     */
    private static int endSpacesOrChar(Words w, int pos, int spaces, int to) {
        if (spaces > 1 && pos + spaces < to) pos += spaces - 1;
        else if (spaces > 0) pos += spaces;
        else pos++;
        w.end(pos);
        return pos;
    }
}
