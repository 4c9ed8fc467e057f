package io.jlama.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Small templates, one feature each (whitespace control, operators, filters, tests, methods, loops, macros, scoping,
 * errors), against the output of Python jinja2 3.1 configured as transformers configures it. The expectations in
 * {@code chat/probes.json} were produced by {@code chat/make_probes.py}; a probe with an "error" must raise.
 */
class JinjaProbesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void probesRenderLikeJinja2() throws IOException {
        JsonNode root;
        try (InputStream in = JinjaProbesTest.class.getResourceAsStream("/chat/probes.json")) {
            assertNotNull(in, "chat/probes.json on the test class path");
            root = JSON.readTree(in);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> vars = JSON.convertValue(root.get("vars"), Map.class);
        List<String> failures = new ArrayList<>();
        int n = 0;
        for (JsonNode p : root.get("probes")) {
            n++;
            String src = p.get("template").asText();
            String label = JSON.valueToTree(src).toString();
            try {
                String out = ChatTemplate.parse(src).withFixedTime(ChatTemplateReferenceTest.REFERENCE_NOW).render(vars);
                if (p.has("error")) failures.add(label + "\n    rendered " + JSON.valueToTree(out) + " but jinja2 raised " + p.get("error").asText());
                else if (!out.equals(p.get("expected").asText())) {
                    failures.add(label + "\n    expected " + p.get("expected") + "\n    actual   " + JSON.valueToTree(out));
                }
            } catch (TemplateException e) {
                if (!p.has("error")) failures.add(label + "\n    raised " + e.getMessage() + "\n    expected " + p.get("expected"));
            }
        }
        System.out.printf("jinja probes: %d/%d match jinja2%n", n - failures.size(), n);
        if (!failures.isEmpty()) fail(failures.size() + " probe(s) differ from jinja2:\n" + String.join("\n", failures));
    }
}
