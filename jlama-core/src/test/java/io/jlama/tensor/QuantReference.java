package io.jlama.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlama.testing.SharedData;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Reads shared/reference/quant/index.json (see its README.md). */
final class QuantReference {
    private QuantReference() {
    }

    static final String DIR = "reference/quant/";

    static Path file(String relative) {
        return SharedData.require(DIR + relative);
    }

    static JsonNode index() {
        try {
            return new ObjectMapper().readTree(file("index.json").toFile());
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** The entry of {@code types[]} for a type, checked against our {@link GgmlType}. */
    static JsonNode type(JsonNode index, String name) {
        for (JsonNode t : index.get("types")) {
            if (name.equals(t.get("name").asText())) {
                GgmlType g = GgmlType.byName(name);
                assertNotNull(g, name);
                assertEquals(g.id, t.get("ggml_type_id").asInt(), name + " id");
                assertEquals(g.blockSize, t.get("blck_size").asInt(), name + " block size");
                assertEquals(g.typeSize, t.get("type_size").asInt(), name + " bytes per block");
                return t;
            }
        }
        throw new AssertionError("index.json has no type " + name);
    }

    /** The entry of {@code matvec.cases[]} for a weight type. */
    static JsonNode matvecCase(JsonNode index, String name) {
        for (JsonNode c : index.get("matvec").get("cases")) {
            if (name.equals(c.get("type").asText())) return c;
        }
        throw new AssertionError("index.json has no matvec case for " + name);
    }
}
