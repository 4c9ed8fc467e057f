package io.jlama.bench;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The harness's output: a Markdown table for people, the same figures as JSON for tools. */
final class Report {
    private static final int REASON_MAX = 160;

    private Report() {}

    static String markdown(PeerHarness.Session s) {
        PeerHarness.Options o = s.options();
        StringBuilder b = new StringBuilder();
        b.append("\n## jlama vs llama.cpp vs Jlama 0.8.4\n\n");
        b.append(Text.fmt("%d threads, prompt %d tokens (one batch), decode %d tokens, reps: %d after a warm-up; %s.%n",
                o.threads, o.nPrompt, o.nGen, o.reps, statistic(o)));
        b.append("CPU: ").append(s.cpu()).append("; JVM: ").append(s.jdk());
        if (s.membw() != null) {
            b.append(Text.fmt("; memory read bandwidth (membw -t %d): %.1f GB/s", o.threads, FlatJson.number(s.membw(), "read_GBs")));
        } else if (s.membwError() != null) {
            b.append("; membw: n/a (").append(Text.clip(s.membwError(), REASON_MAX)).append(')');
        }
        b.append(".\n\n");
        b.append("| model | weight type | engine | prompt tok/s | decode tok/s | prompt vs llama.cpp | decode vs llama.cpp |\n");
        b.append("|---|---|---|---:|---:|---:|---:|\n");
        for (PeerHarness.Result r : s.results()) {
            PeerHarness.Result ref = reference(s.results(), r);
            b.append("| ").append(cell(r.model())).append(" | ").append(cell(r.weightType())).append(" | ")
                    .append(cell(engineLabel(r, o))).append(" | ");
            if (r.ok()) {
                b.append(Text.fmt("%.2f", r.prompt())).append(" | ").append(Text.fmt("%.2f", r.decode())).append(" | ")
                        .append(ratioCell(r.prompt(), ref == null ? null : ref.prompt())).append(" | ")
                        .append(ratioCell(r.decode(), ref == null ? null : ref.decode())).append(" |\n");
            } else {
                b.append("n/a (").append(cell(Text.clip(r.error(), REASON_MAX))).append(") | n/a | n/a | n/a |\n");
            }
        }
        b.append('\n');
        return b.toString();
    }

    /** The engine, with any extra JVM options it was given (they can change what it computes with). */
    static String engineLabel(PeerHarness.Result r, PeerHarness.Options o) {
        List<String> opts = switch (r.engine()) {
            case PeerHarness.JLAMA -> o.jlamaJvmOpts;
            case PeerHarness.JLAMA_PEER -> o.peerJvmOpts;
            default -> List.of();
        };
        return opts.isEmpty() ? r.engine() : r.engine() + " (" + String.join(" ", opts) + ")";
    }

    private static String statistic(PeerHarness.Options o) {
        return o.best ? "best repetition (llama.cpp: best)" : "median of the reps (llama.cpp: mean, as its tool reports)";
    }

    /** The successful llama.cpp result on the same model, or null. */
    static PeerHarness.Result reference(List<PeerHarness.Result> all, PeerHarness.Result r) {
        return all.stream().filter(x -> x.modelPath().equals(r.modelPath()) && x.engine().equals(PeerHarness.LLAMA_CPP) && x.ok())
                .findFirst().orElse(null);
    }

    static Double ratio(Double v, Double ref) {
        return v == null || ref == null || ref <= 0 ? null : v / ref;
    }

    private static String ratioCell(Double v, Double ref) {
        Double x = ratio(v, ref);
        return x == null ? "n/a" : Text.fmt("%.2fx", x);
    }

    private static String cell(String s) {
        return s == null ? "" : s.replace("|", "\\|");
    }

    static void writeJson(PeerHarness.Session s, Path file) throws IOException {
        PeerHarness.Options o = s.options();
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        try (JsonGenerator g = new JsonFactory().createGenerator(Files.newOutputStream(file), JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("harness", "io.jlama.bench.PeerHarness");
            g.writeNumberField("threads", o.threads);
            g.writeNumberField("n_prompt", o.nPrompt);
            g.writeNumberField("n_gen", o.nGen);
            g.writeNumberField("reps", o.reps);
            g.writeStringField("statistic", statistic(o));
            g.writeStringField("cpu", s.cpu());
            g.writeStringField("jvm", s.jdk());
            if (s.membw() != null) {
                g.writeFieldName("membw");
                writeFlat(g, s.membw());
            } else if (s.membwError() != null) {
                g.writeStringField("membw_error", s.membwError());
            }
            g.writeArrayFieldStart("results");
            for (PeerHarness.Result r : s.results()) {
                PeerHarness.Result ref = reference(s.results(), r);
                g.writeStartObject();
                g.writeStringField("model", r.model());
                g.writeStringField("model_path", r.modelPath().toString());
                g.writeStringField("weight_type", r.weightType());
                g.writeStringField("engine", r.engine());
                g.writeStringField("engine_label", engineLabel(r, o));
                g.writeBooleanField("ok", r.ok());
                if (r.ok()) {
                    number(g, "prompt_tokens_per_second", r.prompt());
                    number(g, "decode_tokens_per_second", r.decode());
                    number(g, "prompt_tokens_per_second_best", r.promptBest());
                    number(g, "decode_tokens_per_second_best", r.decodeBest());
                    number(g, "prompt_vs_llamacpp", ratio(r.prompt(), ref == null ? null : ref.prompt()));
                    number(g, "decode_vs_llamacpp", ratio(r.decode(), ref == null ? null : ref.decode()));
                    number(g, "seconds", r.seconds());
                    g.writeFieldName("raw");
                    writeFlat(g, r.raw());
                } else {
                    g.writeStringField("error", r.error());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    private static void number(JsonGenerator g, String name, Double v) throws IOException {
        if (v == null) g.writeNullField(name);
        else g.writeNumberField(name, v);
    }

    private static void writeFlat(JsonGenerator g, Map<String, Object> m) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            switch (e.getValue()) {
                case Double d -> {
                    if (d == Math.rint(d) && Math.abs(d) < 1e15) g.writeNumberField(e.getKey(), d.longValue());
                    else g.writeNumberField(e.getKey(), d);
                }
                case Boolean bo -> g.writeBooleanField(e.getKey(), bo);
                default -> g.writeStringField(e.getKey(), String.valueOf(e.getValue()));
            }
        }
        g.writeEndObject();
    }
}
