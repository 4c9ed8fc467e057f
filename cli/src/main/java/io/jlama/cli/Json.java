package io.jlama.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;

/** Small helpers over jackson-core's streaming generator. */
final class Json {
    static final JsonFactory FACTORY = new JsonFactory();

    private Json() {
    }

    /** A generator writing to the stream; the caller closes it (the stream stays open). */
    static JsonGenerator to(PrintStream out, boolean pretty) {
        try {
            JsonGenerator g = FACTORY.createGenerator(out).disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            if (pretty) g.setPrettyPrinter(new DefaultPrettyPrinter());
            return g;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void intArray(JsonGenerator g, String field, int[] values) throws IOException {
        g.writeArrayFieldStart(field);
        for (int v : values) g.writeNumber(v);
        g.writeEndArray();
    }
}
