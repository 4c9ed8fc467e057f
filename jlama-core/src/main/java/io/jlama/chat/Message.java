package io.jlama.chat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One chat message as templates expect it (the OpenAI / Hugging Face shape): a role, a content, and any other
 * fields a template may read, such as {@code tool_calls}, {@code tool_call_id}, {@code name} or
 * {@code reasoning_content}. The content is usually a String; it may be null (an assistant turn that only calls
 * tools) or a list of parts ({@code [{"type": "text", "text": ...}]}). Extra field values must be JSON-like:
 * Map, List, String, Number, Boolean or null.
 */
public record Message(String role, Object content, Map<String, Object> fields) {

    public Message {
        Objects.requireNonNull(role, "role");
        fields = fields == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    public static Message of(String role, Object content) {
        return new Message(role, content, Map.of());
    }

    public static Message system(String content) {
        return of("system", content);
    }

    public static Message user(String content) {
        return of("user", content);
    }

    public static Message assistant(String content) {
        return of("assistant", content);
    }

    /** This message with one more field (replacing a field of the same name). */
    public Message with(String key, Object value) {
        Map<String, Object> f = new LinkedHashMap<>(fields);
        f.put(key, value);
        return new Message(role, content, f);
    }

    /** The message as the template sees it: {@code role}, {@code content}, then the other fields in order. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        fields.forEach((k, v) -> {
            if (!k.equals("role") && !k.equals("content")) m.put(k, v);
        });
        return m;
    }
}
