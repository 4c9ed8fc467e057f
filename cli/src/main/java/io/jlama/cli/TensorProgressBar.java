package io.jlama.cli;

import io.jlama.gguf.GgufTensor;
import io.jlama.quantize.Quantizer;
import io.jlama.tensor.GgmlType;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on a terminal: {@code [#####-----]  45% [ 22/ 48] blk.3.ffn_down.weight -> q4_K}, redrawn
 * in place with a carriage return. Anything else written through {@link #log()} first clears the bar's line, so
 * warnings and the summary print cleanly. (Hand-written rather than the progressbar library: that one loads
 * jline's native library, and jlama loads no native code.)
 */
final class TensorProgressBar implements Quantizer.Listener {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private boolean drawn;

    TensorProgressBar(PrintStream out) {
        this.err = out;
    }

    /** Whether stdout and stdin are a terminal (then stderr almost always is too). */
    static boolean onTerminal() {
        return System.console() != null && System.console().isTerminal();
    }

    @Override
    public void tensor(int index, int count, GgufTensor source, GgmlType target) {
        int filled = count == 0 ? WIDTH : index * WIDTH / count;
        String line = String.format(Locale.ROOT, "[%s%s] %3d%% [%4d/%4d] %s -> %s", "#".repeat(filled), "-".repeat(WIDTH - filled),
                count == 0 ? 100 : index * 100 / count, index + 1, count, source.name(), target.name().toLowerCase(Locale.ROOT).replace("_k", "_K"));
        synchronized (err) {
            err.print("\r\033[K" + line);
            err.flush();
            drawn = true;
        }
    }

    /** A stream for the other messages: the first write after a redraw clears the bar's line. */
    PrintStream log() {
        return new PrintStream(new FilterOutputStream(err) {
            @Override
            public void write(int b) throws IOException {
                clear();
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                clear();
                out.write(b, off, len);
            }

            private void clear() {
                synchronized (err) {
                    if (drawn) {
                        err.print("\r\033[K");
                        drawn = false;
                    }
                }
            }
        }, true);
    }
}
