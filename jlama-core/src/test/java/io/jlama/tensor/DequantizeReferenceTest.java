package io.jlama.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlama.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Our dequantization of llama.cpp's quantized bytes ({@code <type>.bin}) must equal llama.cpp's own {@code to_float}
 * of the same bytes ({@code <type>.dequant.f32}) bit for bit, on all 8 rows of the reference (Gaussian, outliers,
 * zeros, f16 subnormals, wide ranges, ties, heavy tails).
 */
class DequantizeReferenceTest {

    static final java.util.List<String> TYPES = TensorFixtures.REFERENCE_TYPES;

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void dequantizeRowIsBitExactWithLlamaCpp(String name) {
        JsonNode entry = QuantReference.type(QuantReference.index(), name);
        int rows = entry.get("rows").asInt(), cols = entry.get("cols").asInt();
        GgmlType type = GgmlType.byName(name);
        float[] expected = SharedData.readF32(QuantReference.file(entry.get("dequantized").asText()));
        assertEquals((long) rows * cols, expected.length, "length of " + entry.get("dequantized").asText());

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bin = TensorFixtures.map(arena, QuantReference.file(entry.get("quantized").asText()));
            assertEquals(type.rowBytes(cols) * rows, bin.byteSize(), "size of " + name + ".bin");
            Tensor t = TensorFixtures.wrap(type, bin, rows, cols);
            assertSame(type, t.type());

            // Write all rows into one array at an offset, between sentinels that must survive.
            int pad = 7;
            float[] got = new float[pad + rows * cols + pad];
            java.util.Arrays.fill(got, Float.NaN);
            for (int r = 0; r < rows; r++) t.dequantizeRow(r, got, pad + r * cols);

            for (int i = 0; i < pad; i++) {
                assertEquals(Float.floatToRawIntBits(Float.NaN), Float.floatToRawIntBits(got[i]), "wrote before off");
                assertEquals(Float.floatToRawIntBits(Float.NaN), Float.floatToRawIntBits(got[pad + rows * cols + i]), "wrote past the row");
            }
            int mismatches = 0;
            StringBuilder first = new StringBuilder();
            for (int i = 0; i < rows * cols; i++) {
                int e = Float.floatToRawIntBits(expected[i]), g = Float.floatToRawIntBits(got[pad + i]);
                if (e != g) {
                    if (mismatches++ < 5) {
                        first.append(String.format("%n  row %d col %d: expected %s (0x%08x), got %s (0x%08x)",
                                i / cols, i % cols, expected[i], e, got[pad + i], g));
                    }
                }
            }
            if (mismatches > 0) fail(name + ": " + mismatches + " of " + rows * cols + " values differ in bits" + first);
        }
    }
}
