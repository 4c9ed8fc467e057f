package io.jlama.chat;

import io.jlama.gguf.GgufFile;
import io.jlama.testing.SharedData;
import io.jlama.tokenizer.Vocabulary;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public API: typed rendering, defaults, the clock, the fallback format, GGUF templates and error reporting. */
class ChatTemplateTest {
    private static final String CHATML = """
            {%- for message in messages %}
            {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
            {%- endfor %}
            {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\\n' }}
            {%- endif %}
            """;

    @Test
    void rendersTypedMessages() {
        ChatTemplate t = ChatTemplate.parse(CHATML);
        String out = t.render(List.of(Message.system("Be brief."), Message.user("Hi 😊")), true);
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi 😊<|im_end|>\n<|im_start|>assistant\n", out);
        assertEquals("<|im_start|>user\nx<|im_end|>\n", t.render(List.of(Message.user("x")), false));
    }

    @Test
    void transformersVariablesAndDefaults() {
        ChatTemplate t = ChatTemplate.parse("{{ bos_token }}|{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}|{{ eos_token }}|{{ x }}")
                .withVariable("bos_token", "<s>").withVariable("eos_token", "</s>");
        assertEquals("<s>|True|True|False|</s>|", t.render(List.of(), false));
        assertEquals("<s>|False|True|True|E|1", t.render(List.of(), List.of(Map.of("type", "function")), true, Map.of("eos_token", "E", "x", 1)));
        // render(Map) passes exactly what it is given
        assertEquals("<s>|False|False||</s>|", t.render(Map.of()));
    }

    @Test
    void toolCallsAndExtraFields() {
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("id", "call1");
        call.put("type", "function");
        call.put("function", Map.of("name", "get_weather", "arguments", Map.of("city", "Paris")));
        Message assistant = Message.of("assistant", null).with("tool_calls", List.of(call));
        ChatTemplate t = ChatTemplate.parse("{% for m in messages %}{{ m.role }}:{{ m.content }}:{% for c in m.tool_calls %}{{ c.function.name }}"
                + "{{ c.function.arguments|tojson }}{% endfor %};{% endfor %}");
        assertEquals("user:hi:;assistant:None:get_weather{\"city\": \"Paris\"};", t.render(List.of(Message.user("hi"), assistant), false));
        assertEquals(List.of("role", "content", "tool_calls"), new ArrayList<>(assistant.toMap().keySet()));
    }

    @Test
    void clockIsSettable() {
        ChatTemplate t = ChatTemplate.parse("{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d %H:%M') }}");
        assertEquals("26 Jul 2024 2024-07-26 00:00", t.withFixedTime(ChatTemplateReferenceTest.REFERENCE_NOW).render(Map.of()));
        assertEquals("01 Feb 2025 2025-02-01 13:45", t.withFixedTime(java.time.LocalDateTime.of(2025, 2, 1, 13, 45)).render(Map.of()));
    }

    @Test
    void fallbackFormat() {
        ChatTemplate f = ChatTemplate.fallback();
        assertTrue(f.isFallback());
        assertEquals("<|system|>\nBe brief.\n<|user|>\nHello!\n<|assistant|>\n",
                f.render(List.of(Message.system("Be brief."), Message.user("Hello!")), true));
        assertEquals("<|user|>\nHello!\n<|assistant|>\nHi.\n", f.render(List.of(Message.user("Hello!"), Message.assistant("Hi.")), false));
        Message parts = Message.of("user", List.of(Map.of("type", "text", "text", "look: "), Map.of("type", "image"), Map.of("type", "text", "text", "ok")));
        assertEquals("<|user|>\nlook: ok\n", f.render(List.of(parts), false));
        assertEquals("<|assistant|>\n\n", f.render(List.of(Message.of("assistant", null)), false));
    }

    @Test
    void errorsNameTheLine() {
        ChatTemplate t = ChatTemplate.parse("line one\n{% if messages[0].role == 'system' %}\n  {{ raise_exception('System role not supported') }}\n{% endif %}");
        TemplateException e = assertThrows(TemplateException.class, () -> t.render(List.of(Message.system("s")), true));
        assertEquals(TemplateException.Kind.RAISED, e.kind());
        assertEquals(3, e.line());
        assertEquals("System role not supported", e.detail());
        assertEquals("template line 3: System role not supported", e.getMessage());

        TemplateException multi = assertThrows(TemplateException.class, () -> ChatTemplate.parse("{{ raise_exception('a\nb') }}").render(Map.of()));
        assertFalse(multi.getMessage().contains("\n"), multi.getMessage());

        TemplateException syntax = assertThrows(TemplateException.class, () -> ChatTemplate.parse("ok\n\n{% for x in %}\n{% endfor %}"));
        assertEquals(TemplateException.Kind.SYNTAX, syntax.kind());
        assertEquals(3, syntax.line());

        TemplateException unclosed = assertThrows(TemplateException.class, () -> ChatTemplate.parse("{% if true %}\nx\n"));
        assertTrue(unclosed.getMessage().contains("endif"), unclosed.getMessage());

        TemplateException runtime = assertThrows(TemplateException.class, () -> ChatTemplate.parse("a\nb\n{{ messages[0].content + 1 }}")
                .render(List.of(Message.user("u")), false));
        assertEquals("template line 3: TypeError: can only concatenate str (not \"int\") to str", runtime.getMessage());
    }

    @Test
    void ggufTemplateWithVocabularyTokens() throws IOException {
        try (GgufFile g = GgufFile.open(SharedData.require("models/llamacpp-vocab/ggml-vocab-phi-3.gguf"))) {
            ChatTemplate t = ChatTemplate.forModel(g, Vocabulary.fromGguf(g));
            assertFalse(t.isFallback());
            assertEquals(g.getString("tokenizer.chat_template"), t.source());
            // the reference's a_single_user case for this template, with bos/eos taken from the vocabulary
            assertEquals("<s><|user|>\nHello!<|end|>\n<|assistant|>\n", t.render(List.of(Message.user("Hello!")), true));
        }
    }

    @Test
    void modelWithoutTemplateFallsBack() throws IOException {
        try (GgufFile g = GgufFile.open(SharedData.require("models/tinystories/stories260K.gguf"))) {
            ChatTemplate t = ChatTemplate.forModel(g, Vocabulary.fromGguf(g));
            assertTrue(t.isFallback());
            assertEquals("<|user|>\nHi\n<|assistant|>\n", t.render(List.of(Message.user("Hi")), true));
        }
    }

    @Test
    void longConversationsStayWithinTheDefaultLimits() throws IOException {
        List<Message> conv = new ArrayList<>();
        conv.add(Message.system("You are a helpful assistant."));
        for (int i = 0; i < 500; i++) {
            conv.add(Message.user("Question " + i + "? " + "lorem ipsum ".repeat(20)));
            conv.add(Message.assistant("Answer " + i + ". " + "dolor sit amet ".repeat(20)));
        }
        conv.add(Message.user("Last question?"));
        for (String id : List.of("openai-gpt-oss-120b", "Qwen-Qwen3-0.6B", "meta-llama-Llama-3.1-8B-Instruct", "google-gemma-4-31B-it",
                "CohereForAI-c4ai-command-r7b-12-2024-tool_use", "GigaChat3.1-10B-A1.8B")) {
            String src = ChatTemplateReferenceTest.templateSource("models/chat-templates/llama.cpp/" + id + ".jinja");
            ChatTemplate t = ChatTemplate.parse(src).withFixedTime(ChatTemplateReferenceTest.REFERENCE_NOW);
            long t0 = System.nanoTime();
            String out = t.render(conv, true);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(out.contains("Question 499?") && out.contains("Last question?"), id);
            System.out.printf("1002-message render with %s: %d chars in %d ms%n", id, out.length(), ms);
        }
    }
}
