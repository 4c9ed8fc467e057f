package io.jlama.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Standard output as UTF-8 whatever the platform locale, so generated text and JSON are never mangled. */
final class Console {
    private static PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false, StandardCharsets.UTF_8);

    private Console() {
    }

    static PrintStream out() {
        return out;
    }

    /** Redirects command output (tests). */
    static void setOut(PrintStream p) {
        out = p;
    }
}
