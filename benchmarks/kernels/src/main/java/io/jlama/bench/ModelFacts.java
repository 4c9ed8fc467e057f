package io.jlama.bench;

import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufTensor;
import io.jlama.tensor.GgmlType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the harness needs to know about a GGUF file before running anything on it, read from its header with our own
 * reader: the weight type to print, and whether the Jlama 0.8.4 peer can run it at all.
 *
 * @param weightType   the type of most parameters among the 2-D tensors (what the file is "in"), as {@code jlama bench} says
 * @param tensorTypes  every tensor type in the file
 * @param headDim      attention head size (0 when unknown)
 * @param ffn          feed-forward width (0 when unknown)
 * @param error        why the header could not be read, or null
 */
record ModelFacts(Path path, String architecture, String weightType, Set<String> tensorTypes, String tokenizerModel,
                  int headDim, int ffn, long fileSize, String error) {

    /** Tensor types the peers' gguf-to-hf converts (Q8_0 and Q4_0 are dequantized exactly as ggml does). */
    static final Set<String> CONVERTIBLE = Set.of("F32", "F16", "BF16", "Q8_0", "Q4_0");

    String name() {
        return path.getFileName().toString();
    }

    static ModelFacts read(Path path) {
        long size = 0;
        try {
            size = Files.size(path);
        } catch (Exception e) {
            // reported by the open below
        }
        try (GgufFile g = GgufFile.open(path)) {
            String arch = g.architecture();
            Map<GgmlType, Long> params = new EnumMap<>(GgmlType.class);
            Set<String> types = new TreeSet<>();
            for (GgufTensor t : g.tensors().values()) {
                types.add(t.type().name());
                if (t.ne().length >= 2) params.merge(t.type(), t.elementCount(), Long::sum);
            }
            String weightType = params.entrySet().stream().max(Map.Entry.comparingByValue())
                    .map(e -> e.getKey().name()).orElse("?");
            int headDim = 0, ffn = 0;
            if (arch != null) {
                int emb = g.getInt(arch + ".embedding_length", 0, Integer.MAX_VALUE, 0);
                int heads = g.getInt(arch + ".attention.head_count", 0, Integer.MAX_VALUE, 0);
                headDim = g.getInt(arch + ".attention.key_length", 0, Integer.MAX_VALUE, heads > 0 ? emb / heads : 0);
                ffn = g.getInt(arch + ".feed_forward_length", 0, Integer.MAX_VALUE, 0);
            }
            return new ModelFacts(path, arch, weightType, types, g.getString("tokenizer.ggml.model", null), headDim, ffn,
                    size, null);
        } catch (RuntimeException e) {
            return new ModelFacts(path, null, "?", Set.of(), null, 0, 0, size, Text.oneLine(e.getMessage()));
        }
    }

    /** Why the Jlama 0.8.4 peer cannot run this file (through gguf-to-hf), or null when it can try. */
    String jlamaPeerObstacle() {
        if (error != null) return "unreadable GGUF: " + error;
        if (!"llama".equals(architecture)) {
            return "gguf-to-hf converts only the llama architecture, not " + architecture;
        }
        if (!"llama".equals(tokenizerModel)) {
            return "gguf-to-hf needs a SentencePiece ('llama') vocabulary, not " + tokenizerModel;
        }
        return null;
    }

    /**
     * Tensor types gguf-to-hf cannot dequantize (e.g. the Q6_K output.weight llama.cpp's Q4_0 mix writes): the file
     * then goes through llama.cpp's own dequantization to F32 first.
     */
    Set<String> typesNeedingLlamaCpp() {
        Set<String> bad = new TreeSet<>(tensorTypes);
        bad.removeAll(CONVERTIBLE);
        return bad;
    }
}
