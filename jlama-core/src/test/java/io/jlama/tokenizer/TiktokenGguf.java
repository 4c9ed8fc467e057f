package io.jlama.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a vocabulary-only byte-level BPE GGUF from a tiktoken rank file ({@code base64(bytes) rank} per line), the way
 * Hugging Face's tiktoken converter (transformers' TikTokenConverter) and then llama.cpp's convert_hf_to_gguf.py make
 * one: the tokens in rank order, written in GPT-2's byte-level alphabet, and as merges every split of a multi-byte
 * token into two tokens, ordered by the token's rank, then the ranks of the left and the right part.
 */
final class TiktokenGguf {
    private TiktokenGguf() {
    }

    /**
     * @param specials special tokens appended after the ranks, as CONTROL tokens; the first is BOS, the second EOS
     */
    static Path write(Path tiktoken, Path out, String pre, List<String> specials) throws IOException {
        List<byte[]> ranked = new ArrayList<>();
        for (String line : Files.readAllLines(tiktoken, StandardCharsets.US_ASCII)) {
            if (line.isBlank()) continue;
            String[] f = line.trim().split(" ");
            int rank = Integer.parseInt(f[1]);
            if (rank != ranked.size()) throw new IllegalStateException("ranks are not 0, 1, 2, ...: " + line);
            ranked.add(Base64.getDecoder().decode(f[0]));
        }
        Map<Key, Integer> rankOf = new HashMap<>(ranked.size() * 2);
        for (int r = 0; r < ranked.size(); r++) rankOf.put(new Key(ranked.get(r)), r);

        List<byte[]> tokens = new ArrayList<>();
        List<byte[]> merges = new ArrayList<>();
        for (int r = 0; r < ranked.size(); r++) {
            byte[] t = ranked.get(r);
            tokens.add(byteLevel(t));
            if (t.length < 2) continue;
            List<int[]> splits = new ArrayList<>(); // (left rank, right rank, split index)
            for (int i = 1; i < t.length; i++) {
                Integer l = rankOf.get(new Key(Arrays.copyOfRange(t, 0, i))), rt = rankOf.get(new Key(Arrays.copyOfRange(t, i, t.length)));
                if (l != null && rt != null) splits.add(new int[]{l, rt, i});
            }
            splits.sort((x, y) -> x[0] != y[0] ? Integer.compare(x[0], y[0]) : Integer.compare(x[1], y[1]));
            for (int[] sp : splits) {
                byte[] l = byteLevel(Arrays.copyOfRange(t, 0, sp[2])), rt = byteLevel(Arrays.copyOfRange(t, sp[2], t.length));
                byte[] m = new byte[l.length + 1 + rt.length];
                System.arraycopy(l, 0, m, 0, l.length);
                m[l.length] = ' ';
                System.arraycopy(rt, 0, m, l.length + 1, rt.length);
                merges.add(m);
            }
        }
        int[] types = new int[ranked.size() + specials.size()];
        Arrays.fill(types, 1);
        for (String s : specials) {
            types[tokens.size()] = 3;
            tokens.add(s.getBytes(StandardCharsets.UTF_8));
        }
        VocabGgufWriter w = new VocabGgufWriter().llamaHparams()
                .string("general.name", "tiktoken-" + tiktoken.getFileName())
                .string("tokenizer.ggml.model", "gpt2")
                .string("tokenizer.ggml.pre", pre)
                .strings("tokenizer.ggml.tokens", tokens)
                .ints("tokenizer.ggml.token_type", types)
                .strings("tokenizer.ggml.merges", merges);
        if (!specials.isEmpty()) w.u32("tokenizer.ggml.bos_token_id", ranked.size());
        if (specials.size() > 1) w.u32("tokenizer.ggml.eos_token_id", ranked.size() + 1);
        w.write(out);
        return out;
    }

    /** GPT-2's bytes_to_unicode applied to each byte, as UTF-8. */
    static byte[] byteLevel(byte[] raw) {
        StringBuilder s = new StringBuilder();
        for (byte x : raw) {
            int b = x & 0xFF;
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (printable) {
                s.append((char) b);
            } else {
                int n = 0; // the index of b among the non-printable bytes
                for (int c = 0; c < b; c++) if (!((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))) n++;
                s.append((char) (256 + n));
            }
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private record Key(byte[] b) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(b, k.b);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(b);
        }
    }

    /** The Llama 3.1 special tokens (ids 128000..128255). */
    static List<String> llama3Specials() {
        List<String> s = new ArrayList<>(List.of("<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|step_id|>", "<|start_header_id|>", "<|end_header_id|>",
                "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"));
        for (int i = 2; s.size() < 256; i++) s.add("<|reserved_special_token_" + i + "|>");
        return s;
    }
}
