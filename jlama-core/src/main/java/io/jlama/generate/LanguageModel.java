package io.jlama.generate;

import io.jlama.chat.ChatTemplate;
import io.jlama.gguf.GgufFile;
import io.jlama.model.Architecture;
import io.jlama.model.ModelConfig;
import io.jlama.model.Transformer;
import io.jlama.model.Weights;
import io.jlama.parallel.WorkerPool;
import io.jlama.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * A loaded model: the memory-mapped GGUF file, its hyperparameters, weights, tokenizer and worker threads.
 * Weights are shared by all sessions. Close it to unmap the file and stop the workers.
 *
 * <pre>{@code
 * try (LanguageModel model = LanguageModel.load(Path.of("model.gguf"));
 *      Session session = model.newSession()) {
 *     GenerationResult r = session.generate("Once upon a time", GenerateOptions.greedy(64),
 *             event -> System.out.print(event.text()));
 * }
 * }</pre>
 */
public final class LanguageModel implements AutoCloseable {
    private final GgufFile gguf;
    private final ModelConfig config;
    private final Transformer transformer;
    private volatile Tokenizer tokenizer;
    private volatile ChatTemplate chatTemplate;
    private final WorkerPool pool;
    private final LoadOptions options;
    private final int contextLength;

    private LanguageModel(GgufFile gguf, LoadOptions options) {
        this.gguf = gguf;
        this.options = options;
        Architecture arch = Architecture.of(gguf);
        this.config = ModelConfig.read(gguf, arch);
        this.transformer = new Transformer(config, new Weights(gguf, config));
        this.contextLength = options.contextLength() > 0 ? options.contextLength()
                : Math.min(config.contextLength(), LoadOptions.DEFAULT_MAX_CONTEXT);
        if (arch.positionEmbedding() && contextLength > config.contextLength()) {
            throw new IllegalArgumentException("context length " + contextLength + " exceeds the " + config.contextLength()
                    + " learned positions of this " + arch.name() + " model");
        }
        int threads = options.threads() > 0 ? options.threads() : WorkerPool.physicalCores();
        this.pool = new WorkerPool(threads);
    }

    /** Loads a GGUF model with default options. */
    public static LanguageModel load(Path path) {
        return load(path, LoadOptions.defaults());
    }

    /**
     * Loads a GGUF model. A malformed file, an unknown architecture or an unsupported weight type throws
     * {@link io.jlama.gguf.ModelFormatException} with a one-line message.
     */
    public static LanguageModel load(Path path, LoadOptions options) {
        GgufFile f = GgufFile.open(path);
        try {
            return new LanguageModel(f, options);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** A new session with its own KV cache of {@link #contextLength()} positions. */
    public Session newSession() {
        return new Session(this, transformer.newState(contextLength, options.batchSize(), pool.threads(), options.kvCacheType()));
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * The model's tokenizer, built on first use: work on token ids (eval, bench) does not need a supported
     * vocabulary, text does.
     */
    public Tokenizer tokenizer() {
        Tokenizer t = tokenizer;
        if (t == null) {
            synchronized (this) {
                if (tokenizer == null) tokenizer = Tokenizer.fromGguf(gguf);
                t = tokenizer;
            }
        }
        return t;
    }

    /**
     * The model's chat template ({@code tokenizer.chat_template}), or the documented plain format when it has none,
     * with {@code bos_token}/{@code eos_token} set from the vocabulary. Parsed on first use.
     */
    public ChatTemplate chatTemplate() {
        ChatTemplate t = chatTemplate;
        if (t == null) {
            synchronized (this) {
                if (chatTemplate == null) chatTemplate = ChatTemplate.forModel(gguf, tokenizer().vocabulary());
                t = chatTemplate;
            }
        }
        return t;
    }

    public GgufFile gguf() {
        return gguf;
    }

    public int contextLength() {
        return contextLength;
    }

    public int threads() {
        return pool.threads();
    }

    Transformer transformer() {
        return transformer;
    }

    WorkerPool pool() {
        return pool;
    }

    @Override
    public void close() {
        pool.close();
        gguf.close();
    }
}
