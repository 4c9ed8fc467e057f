package io.jlama.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the one-object JSON results the benchmark tools print. Only the top level is kept: numbers become
 * {@link Double}, strings {@link String}, booleans {@link Boolean}; nested objects and arrays are skipped.
 */
final class FlatJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private FlatJson() {}

    /** The JSON object a tool printed on stdout: the whole output, or else its last line that starts with '{'. */
    static Map<String, Object> lastObject(String stdout) {
        String s = stdout.strip();
        if (s.isEmpty()) throw new IllegalArgumentException("no output on stdout");
        if (s.startsWith("{")) {
            try {
                return parse(s);
            } catch (IllegalArgumentException e) {
                // log lines after a JSON line: look for the last line that is one
            }
        }
        String[] lines = s.split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            String line = lines[i].strip();
            if (line.startsWith("{")) return parse(line);
        }
        throw new IllegalArgumentException("no JSON object on stdout: " + Text.firstLine(s, 120));
    }

    static Map<String, Object> parse(String json) {
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException("not a JSON object");
            Map<String, Object> m = new LinkedHashMap<>();
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (v) {
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> m.put(name, p.getDoubleValue());
                    case VALUE_STRING -> m.put(name, p.getText());
                    case VALUE_TRUE -> m.put(name, Boolean.TRUE);
                    case VALUE_FALSE -> m.put(name, Boolean.FALSE);
                    case START_OBJECT, START_ARRAY -> p.skipChildren();
                    default -> { } // null
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) throw new IllegalArgumentException("truncated JSON object");
            return m;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getMessage(), e);
        }
    }

    /** A numeric field, or null when it is missing or not a number. */
    static Double number(Map<String, Object> m, String key) {
        return m.get(key) instanceof Double d ? d : null;
    }

    static String string(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v == null ? null : v.toString();
    }
}
