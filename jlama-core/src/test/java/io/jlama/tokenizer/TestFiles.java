package io.jlama.tokenizer;

import io.jlama.gguf.GgufFile;
import io.jlama.testing.SharedData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reading llama.cpp's tokenizer test vectors and opening tokenizers for the tests. */
final class TestFiles {
    private TestFiles() {
    }

    static final String VOCAB_DIR = "models/llamacpp-vocab/";

    /** The tokenizer of a GGUF file (the file is closed again: a tokenizer keeps no reference to the mapping). */
    static Tokenizer open(Path gguf) {
        try (GgufFile f = GgufFile.open(gguf)) {
            return Tokenizer.fromGguf(f);
        }
    }

    static Tokenizer openShared(String relative) {
        return open(SharedData.require(relative));
    }

    /** The inputs of a {@code .inp} file: each one is followed by {@code "\n__ggml_vocab_test__\n"}. */
    static List<String> readInputs(Path inp) {
        try {
            String all = Files.readString(inp, StandardCharsets.UTF_8);
            String sep = "\n__ggml_vocab_test__\n";
            List<String> out = new ArrayList<>();
            int from = 0;
            for (int at; (at = all.indexOf(sep, from)) >= 0; from = at + sep.length()) out.add(all.substring(from, at));
            if (from != all.length()) throw new IllegalStateException(inp + ": text after the last separator");
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The expected ids of a {@code .out} file, one line per input. */
    static List<int[]> readOutputs(Path out) {
        try {
            List<int[]> r = new ArrayList<>();
            for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
                String t = line.trim();
                r.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split("\\s+")).mapToInt(Integer::parseInt).toArray());
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
