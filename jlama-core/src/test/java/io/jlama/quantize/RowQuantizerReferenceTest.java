package io.jlama.quantize;

import io.jlama.tensor.GgmlType;
import io.jlama.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Quantizing shared/reference/quant/input.f32 gives exactly llama.cpp's bytes, row by row, for every type llama.cpp
 * quantizes without an importance matrix that jlama writes: legacy, K-quants, IQ4, MXFP4 and ternary. */
class RowQuantizerReferenceTest {
    private static final int ROWS = 8, COLS = 4096;

    @ParameterizedTest
    @ValueSource(strings = {"q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "f16", "bf16", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K",
            "iq4_nl", "iq4_xs", "mxfp4", "tq1_0", "tq2_0"})
    void sameBytesAsLlamaCpp(String name) throws IOException {
        GgmlType type = GgmlType.byName(name);
        float[] input = SharedData.readF32(SharedData.require("reference/quant/input.f32"));
        byte[] want = Files.readAllBytes(SharedData.require("reference/quant/" + name + ".bin"));
        int rowBytes = (int) type.rowBytes(COLS);
        assertEquals(ROWS * rowBytes, want.length);
        byte[] got = new byte[want.length];
        for (int r = 0; r < ROWS; r++) RowQuantizer.quantize(type, input, r * COLS, COLS, got, r * rowBytes);
        StringBuilder diffs = new StringBuilder();
        for (int r = 0; r < ROWS; r++) {
            int from = r * rowBytes;
            if (!Arrays.equals(got, from, from + rowBytes, want, from, from + rowBytes)) {
                int first = Arrays.mismatch(Arrays.copyOfRange(got, from, from + rowBytes), Arrays.copyOfRange(want, from, from + rowBytes));
                int n = 0;
                for (int i = from; i < from + rowBytes; i++) if (got[i] != want[i]) n++;
                diffs.append(String.format("row %d: %d bytes differ, first at byte %d (block %d): got %02x want %02x%n", r, n, first,
                        first / type.typeSize, got[from + first], want[from + first]));
            }
        }
        if (!diffs.isEmpty()) fail(name + ":\n" + diffs);
    }
}
