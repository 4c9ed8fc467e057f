package io.jlama.cli;

import io.jlama.generate.LanguageModel;
import io.jlama.generate.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jlama eval}: run token ids through the model and write the raw logits. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate token ids and write raw little-endian float32 logits: [positions][n_vocab] with --all, else the last position.")
final class EvalCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--tokens", required = true, split = ",", paramLabel = "IDS", description = "comma-separated token ids (include BOS yourself)")
    int[] tokens;

    @Option(names = "--all", description = "write the logits of every position, not only the last")
    boolean all;

    @Option(names = "--logits-out", required = true, paramLabel = "FILE", description = "where to write the logits")
    Path out;

    @Override
    public Integer call() throws Exception {
        try (LanguageModel m = model.load(); Session s = m.newSession()) {
            int vocab = m.config().vocabSize();
            for (int t : tokens) {
                if (t < 0 || t >= vocab) throw new IllegalArgumentException("--tokens: id " + t + " is outside the vocabulary [0, " + vocab + ")");
            }
            float[] logits = s.feed(tokens, all);
            int rows = all ? tokens.length : 1;
            ByteBuffer buf = ByteBuffer.allocate(4 * vocab).order(ByteOrder.LITTLE_ENDIAN);
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 1 << 16)) {
                for (int r = 0; r < rows; r++) {
                    buf.clear();
                    buf.asFloatBuffer().put(logits, r * vocab, vocab);
                    os.write(buf.array(), 0, 4 * vocab);
                }
            }
            System.err.printf("jlama: wrote %d x %d logits to %s%n", rows, vocab, out);
        }
        return 0;
    }
}
