package io.jlama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlama.gguf.GgufFile;
import io.jlama.gguf.GgufTensor;
import io.jlama.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jlama chat}, {@code generate --chat} and {@code jlama template}: the text the model receives each turn
 * ({@code --show-prompt}) equals what {@code jlama template} renders for the same messages.
 */
class ChatCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHATML = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** stories260K with a ChatML template added to its metadata (a scratch copy under the test's temp folder). */
    static Path withTemplate(Path dir) throws Exception {
        Path src = CliTest.shared("models/tinystories/stories260K.gguf"), dst = dir.resolve("stories-chat.gguf");
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter().putAll(f).putString("tokenizer.chat_template", CHATML);
            for (GgufTensor t : f.tensors().values()) w.addTensor(t.name(), t.type(), t.ne(), t.data());
            w.write(dst);
        }
        return dst;
    }

    /** The replies in a chat transcript: the text after each "> " prompt, up to the end of its line. */
    static List<String> replies(String out) {
        List<String> r = new ArrayList<>();
        for (String part : out.split("> ", -1)) {
            int nl = part.indexOf('\n');
            if (nl >= 0 && !part.startsWith("jlama chat")) r.add(part.substring(0, nl));
        }
        return r;
    }

    String template(Path model, Path dir, List<Map<String, String>> messages) throws Exception {
        Path m = dir.resolve("messages.json");
        Files.writeString(m, JSON.writeValueAsString(messages), StandardCharsets.UTF_8);
        CliTest.Result r = CliTest.run(null, "template", "-m", model.toString(), "--messages-file", m.toString(), "--add-generation-prompt");
        assertEquals(0, r.code(), r.err());
        return r.out();
    }

    static Map<String, String> msg(String role, String content) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    @Test
    void chatFeedsWhatTheTemplateCommandRenders(@TempDir Path dir) throws Exception {
        for (Path model : List.of(withTemplate(dir), CliTest.shared("models/tinystories/stories260K.gguf"))) { // ChatML, then the fallback
            CliTest.Result r = CliTest.run("Hello there\nTell me more\n/reset\nHello there\n", "chat", "-m", model.toString(),
                    "--temperature", "0", "-n", "12", "--show-prompt", "--system", "Be kind.");
            assertEquals(0, r.code(), r.err());
            List<String> replies = replies(r.out());
            assertEquals("(conversation reset)", replies.get(2));
            assertEquals(replies.get(0), replies.get(3), "after /reset the same message gets the same greedy reply");
            String turn1 = template(model, dir, List.of(msg("system", "Be kind."), msg("user", "Hello there")));
            String turn2 = template(model, dir, List.of(msg("system", "Be kind."), msg("user", "Hello there"),
                    msg("assistant", replies.get(0)), msg("user", "Tell me more")));
            String shown = r.err().replaceAll("(?m)^WARNING: Using incubator modules.*\\R", "");
            assertEquals(turn1 + turn2 + turn1, shown); // --show-prompt prints each turn's full rendering
        }
    }

    @Test
    void generateChatWrapsThePromptAndEndsAtCtrlD(@TempDir Path dir) throws Exception {
        Path model = withTemplate(dir);
        CliTest.Result g = CliTest.run(null, "generate", "-m", model.toString(), "-p", "Hello there", "--chat", "--temperature", "0", "-n", "12", "--json");
        assertEquals(0, g.code(), g.err());
        CliTest.Result c = CliTest.run("Hello there\n", "chat", "-m", model.toString(), "--temperature", "0", "-n", "12"); // then EOF
        assertEquals(0, c.code(), c.err());
        assertEquals(JSON.readTree(g.out()).get("text").asText(), replies(c.out()).get(0));
    }

    @Test
    void templateErrorsAreOneLine(@TempDir Path dir) throws Exception {
        Path t = dir.resolve("bad.jinja");
        Files.writeString(t, "line one\n{{ raise_exception('no system role') }}");
        Path m = dir.resolve("m.json");
        Files.writeString(m, "[{\"role\": \"user\", \"content\": \"hi\"}]");
        CliTest.Result r = CliTest.run(null, "template", "--template-file", t.toString(), "--messages-file", m.toString());
        assertEquals(1, r.code());
        CliTest.assertOneLine(r.err(), "no system role");
        assertTrue(r.err().contains("line 2"), r.err());
    }
}
