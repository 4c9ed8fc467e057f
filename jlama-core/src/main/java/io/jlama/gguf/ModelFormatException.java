package io.jlama.gguf;

import java.nio.file.Path;

/**
 * A model file that cannot be used: malformed, truncated, or asking for something this runtime does not support.
 * The message is one line naming the file, the key or tensor, and what was wrong.
 */
public class ModelFormatException extends RuntimeException {
    private final Path file;

    public ModelFormatException(Path file, String what) {
        super(file + ": " + what);
        this.file = file;
    }

    public ModelFormatException(Path file, String what, Throwable cause) {
        super(file + ": " + what, cause);
        this.file = file;
    }

    /** The file the problem was found in. */
    public Path file() {
        return file;
    }
}
