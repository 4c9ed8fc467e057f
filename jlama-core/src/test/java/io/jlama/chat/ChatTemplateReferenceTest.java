package io.jlama.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlama.gguf.GgufFile;
import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every case of shared/reference/chat (60 templates: llama.cpp's templates, two tokenizer_config.json templates and
 * one GGUF-embedded template) must render byte for byte as the reference, which is Python jinja2 set up the way
 * transformers sets it up; cases whose expected value is null must raise. Prints one line per template and a total.
 */
class ChatTemplateReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The reference's fixed clock (see its README). */
    static final LocalDateTime REFERENCE_NOW = LocalDateTime.of(2024, 7, 26, 0, 0, 0);

    @Test
    void allReferenceCasesRenderLikeTransformers() throws IOException {
        Path dir = SharedData.require("reference/chat");
        JsonNode conversations = JSON.readTree(dir.resolve("conversations.json").toFile()).get("conversations");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".json") && !p.getFileName().toString().equals("conversations.json")).sorted().toList();
        }
        assertTrue(files.size() >= 60, "expected 60 template files, found " + files.size());

        int total = 0, passed = 0, templatesFull = 0;
        List<String> failures = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        for (Path f : files) {
            JsonNode ref = JSON.readTree(f.toFile());
            String id = ref.get("template_id").asText();
            String source = templateSource(ref.get("template_file").asText());
            assertEquals(ref.get("template_sha256").asText(), sha256(source), "template text of " + id);
            Map<String, Object> variables = JSON.convertValue(ref.get("variables"), Map.class);

            ChatTemplate template;
            try {
                template = ChatTemplate.parse(source).withFixedTime(REFERENCE_NOW);
            } catch (TemplateException e) {
                template = null;
                failures.add(id + ": parse failed: " + e.getMessage());
            }
            int n = 0, ok = 0;
            for (JsonNode c : ref.get("cases")) {
                n++;
                JsonNode conv = conversations.get(c.get("conversation").asText());
                boolean agp = c.get("add_generation_prompt").asBoolean();
                String label = id + " / " + c.get("conversation").asText() + " (agp=" + agp + ")";
                if (template == null) continue;
                Map<String, Object> vars = new LinkedHashMap<>();
                vars.put("messages", JSON.convertValue(conv.get("messages"), List.class));
                vars.put("tools", conv.get("tools").isNull() ? null : JSON.convertValue(conv.get("tools"), List.class));
                vars.put("documents", null);
                vars.put("add_generation_prompt", agp);
                vars.putAll(variables);
                JsonNode expected = c.get("expected");
                try {
                    String out = template.render(vars);
                    if (expected.isNull()) {
                        failures.add(label + ": rendered but should raise (" + c.path("expected_error").asText() + ")");
                    } else if (!out.equals(expected.asText())) {
                        failures.add(label + ": output differs at char " + firstDiff(out, expected.asText()) + "\n  expected: "
                                + excerpt(expected.asText(), firstDiff(out, expected.asText())) + "\n  actual:   " + excerpt(out, firstDiff(out, expected.asText())));
                    } else {
                        ok++;
                    }
                } catch (TemplateException e) {
                    if (expected.isNull()) ok++;
                    else failures.add(label + ": raised " + e.getMessage());
                }
            }
            total += n;
            passed += ok;
            if (ok == n) templatesFull++;
            report.append(String.format("  %-52s %d/%d%n", id, ok, n));
        }
        System.out.print("chat template reference cases, per template:\n" + report);
        System.out.printf("chat template reference: %d/%d cases pass, %d/%d templates in full%n", passed, total, templatesFull, files.size());
        if (!failures.isEmpty()) fail(failures.size() + " reference case(s) fail:\n" + String.join("\n", failures));
    }

    /** Reads a template named by the reference: a .jinja file, a tokenizer_config key, or a GGUF metadata key. */
    static String templateSource(String ref) throws IOException {
        int hash = ref.indexOf('#');
        String file = hash < 0 ? ref : ref.substring(0, hash);
        Path p = SharedData.require(file);
        if (hash < 0) return Files.readString(p, StandardCharsets.UTF_8);
        String key = ref.substring(hash + 1);
        if (file.endsWith(".gguf")) {
            try (GgufFile g = GgufFile.open(p)) {
                return g.getString(key);
            }
        }
        return JSON.readTree(p.toFile()).get(key).asText();
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static int firstDiff(String a, String b) {
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) i++;
        return i;
    }

    private static String excerpt(String s, int at) {
        int from = Math.max(0, at - 40), to = Math.min(s.length(), at + 60);
        return JSON.valueToTree(s.substring(from, to)).toString();
    }
}
