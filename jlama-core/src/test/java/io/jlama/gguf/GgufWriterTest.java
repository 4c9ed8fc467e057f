package io.jlama.gguf;

import io.jlama.gguf.GgufFile.GgufValue;
import io.jlama.tensor.GgmlType;
import io.jlama.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.jlama.gguf.GgufValueType.*;
import static org.junit.jupiter.api.Assertions.*;

/** GgufWriter, checked by reading what it writes with GgufFile. */
class GgufWriterTest {
    @TempDir
    Path dir;

    private record TensorSpec(String name, GgmlType type, long[] ne, byte[] data) {
    }

    /** Metadata of every value type, with edge values, in the representation GgufFile reads them as. */
    static Map<String, GgufValue> everyType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", new GgufValue(STRING, "test"));
        m.put("t.u8", new GgufValue(UINT8, 255));
        m.put("t.i8", new GgufValue(INT8, -128));
        m.put("t.u16", new GgufValue(UINT16, 65535));
        m.put("t.i16", new GgufValue(INT16, -32768));
        m.put("t.u32", new GgufValue(UINT32, 0xFFFF_FFFF));
        m.put("t.i32", new GgufValue(INT32, Integer.MIN_VALUE));
        m.put("t.f32", new GgufValue(FLOAT32, -0.0f));
        m.put("t.f32_nan", new GgufValue(FLOAT32, Float.intBitsToFloat(0x7FC0_0001)));
        m.put("t.true", new GgufValue(BOOL, true));
        m.put("t.false", new GgufValue(BOOL, false));
        m.put("t.str", new GgufValue(STRING, "héllo ☃ 😀"));
        m.put("t.empty", new GgufValue(STRING, ""));
        m.put("t.raw_bytes", new GgufValue(STRING, "a\uDCC3b\uDCFF")); // 61 C3 62 FF: not UTF-8
        m.put("t.u64", new GgufValue(UINT64, -1L));
        m.put("t.i64", new GgufValue(INT64, Long.MIN_VALUE));
        m.put("t.f64", new GgufValue(FLOAT64, Math.PI));
        m.put("a.u8", arr(UINT8, new byte[]{0, (byte) 255, 7}));
        m.put("a.i8", arr(INT8, new byte[]{-128, 127}));
        m.put("a.u16", arr(UINT16, new short[]{(short) 65535, 1}));
        m.put("a.i16", arr(INT16, new short[]{Short.MIN_VALUE, -1}));
        m.put("a.u32", arr(UINT32, new int[]{-1, 0, 42}));
        m.put("a.i32", arr(INT32, new int[]{Integer.MIN_VALUE, Integer.MAX_VALUE}));
        m.put("a.f32", arr(FLOAT32, new float[]{1.5f, Float.NEGATIVE_INFINITY, Float.MIN_VALUE}));
        m.put("a.bool", arr(BOOL, new byte[]{1, 0, 1}));
        m.put("a.str", arr(STRING, new String[]{"", "x", "ü", "\uDC80", "tab\there"}));
        m.put("a.u64", arr(UINT64, new long[]{-1L, 0}));
        m.put("a.i64", arr(INT64, new long[]{Long.MIN_VALUE, 3}));
        m.put("a.f64", arr(FLOAT64, new double[]{-2.25, Double.MAX_VALUE}));
        m.put("a.empty_u32", arr(UINT32, new int[0]));
        m.put("a.empty_str", arr(STRING, new String[0]));
        m.put("a.nested", arr(ARRAY, new GgufArray[]{
                new GgufArray(INT32, new int[]{1, 2}),
                new GgufArray(STRING, new String[]{"s"}),
                new GgufArray(ARRAY, new GgufArray[]{new GgufArray(FLOAT64, new double[]{1.5}), new GgufArray(BOOL, new byte[]{0})}),
                new GgufArray(UINT8, new byte[0])}));
        return m;
    }

    private static GgufValue arr(GgufValueType et, Object values) {
        return new GgufValue(ARRAY, new GgufArray(et, values));
    }

    static List<TensorSpec> tensors(long seed) {
        Random rnd = new Random(seed);
        List<TensorSpec> ts = new ArrayList<>();
        Object[][] specs = {
                {"f32.odd", GgmlType.F32, new long[]{7}},
                {"f16.mat", GgmlType.F16, new long[]{3, 5}},
                {"q4_0", GgmlType.Q4_0, new long[]{64, 3}},
                {"q8_0.3d", GgmlType.Q8_0, new long[]{32, 2, 3}},
                {"q4_k", GgmlType.Q4_K, new long[]{256, 2}},
                {"i8.vec", GgmlType.I8, new long[]{13}},
                {"bf16.4d", GgmlType.BF16, new long[]{2, 1, 3, 2}},
                {"empty", GgmlType.F32, new long[]{0, 4}},
                {"last", GgmlType.Q6_K, new long[]{256}},
        };
        for (Object[] s : specs) {
            GgmlType type = (GgmlType) s[1];
            long[] ne = (long[]) s[2];
            long n = 1;
            for (long d : ne) n *= d;
            byte[] data = new byte[(int) (n / type.blockSize * type.typeSize)];
            rnd.nextBytes(data);
            ts.add(new TensorSpec((String) s[0], type, ne, data));
        }
        return ts;
    }

    private static GgufWriter writer(int version, int alignment, Map<String, GgufValue> md, List<TensorSpec> ts) {
        GgufWriter w = new GgufWriter(version);
        if (alignment != 0) w.alignment(alignment);
        md.forEach(w::put);
        for (TensorSpec t : ts) w.addTensor(t.name, t.type, t.ne, MemorySegment.ofArray(t.data));
        return w;
    }

    @ParameterizedTest(name = "v{0}, alignment {1}")
    @CsvSource({"3, 0", "3, 64", "3, 8", "2, 32", "3, 1", "3, 4096"})
    void roundTripsEveryValueTypeAndTensorType(int version, int alignment) throws IOException {
        Map<String, GgufValue> md = everyType();
        List<TensorSpec> ts = tensors(version * 1000L + alignment);
        Path f = dir.resolve("every-type.gguf");
        long size = writer(version, alignment, md, ts).write(f);
        assertEquals(Files.size(f), size);

        int align = alignment == 0 ? 32 : alignment;
        Map<String, GgufValue> expected = new LinkedHashMap<>();
        if (alignment != 0) expected.put("general.alignment", new GgufValue(UINT32, alignment));
        expected.putAll(md);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(version, g.version());
            assertEquals(align, g.alignment());
            assertEquals(0, g.dataOffset() % align);
            assertMetadataEquals(expected, g.metadata());
            assertEquals(ts.stream().map(TensorSpec::name).toList(), List.copyOf(g.tensors().keySet()));
            long end = g.dataOffset();
            for (TensorSpec t : ts) {
                GgufTensor r = g.tensor(t.name);
                assertEquals(t.type, r.type(), t.name);
                assertArrayEquals(t.ne, r.ne(), t.name);
                assertEquals(end, r.fileOffset(), t.name + ": tensors are packed in order");
                assertEquals(0, r.fileOffset() % align, t.name);
                assertEquals(-1, r.data().mismatch(MemorySegment.ofArray(t.data)), t.name);
                end = GgufFile.alignUp(end + t.data.length, align);
            }
            assertEquals(end, g.fileSize(), "data section padded to the alignment after every tensor");
            // The padding is zeros.
            byte[] all = Files.readAllBytes(f);
            for (GgufTensor r : g.tensors().values()) {
                long e = r.fileOffset() + r.byteSize();
                for (long p = e; p < GgufFile.alignUp(e, align); p++) assertEquals(0, all[(int) p], r.name() + " padding");
            }
        }
        // Writing to a stream gives the same bytes.
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        assertEquals(size, writer(version, alignment, md, ts).write(bos));
        assertArrayEquals(Files.readAllBytes(f), bos.toByteArray());
    }

    @Test
    void stringsThatAreNotUtf8KeepTheirBytes() throws IOException {
        Path f = dir.resolve("raw.gguf");
        new GgufWriter().putString("raw", "a\uDCC3b\uDCFF").putString("latin", "Ã").putStrings("pieces", "\uDCE2\uDC82", "é").write(f);
        try (GgufFile g = GgufFile.open(f)) {
            // "\uDCC3" is the byte C3 alone; "Ã" is the valid UTF-8 C3 83. They must not read back alike.
            assertEquals("a\uDCC3b\uDCFF", g.getString("raw"));
            assertArrayEquals(new byte[]{'a', (byte) 0xC3, 'b', (byte) 0xFF}, GgufFile.stringBytes(g.getString("raw")));
            assertEquals("Ã", g.getString("latin"));
            assertArrayEquals(new byte[]{(byte) 0xC3, (byte) 0x83}, GgufFile.stringBytes(g.getString("latin")));
            assertArrayEquals(new String[]{"\uDCE2\uDC82", "é"}, g.getStringArray("pieces"));
        }
        // A truncated multi-byte sequence followed by a valid one: E2 82 then E2 82 AC ("€").
        Path h = dir.resolve("raw2.gguf");
        new GgufWriter().putString("s", "\uDCE2\uDC82€").write(h);
        assertArrayEquals(new byte[]{(byte) 0xE2, (byte) 0x82, (byte) 0xE2, (byte) 0x82, (byte) 0xAC}, GgufFile.stringBytes("\uDCE2\uDC82€"));
        try (GgufFile g = GgufFile.open(h)) {
            assertEquals("\uDCE2\uDC82€", g.getString("s"));
        }
    }

    @Test
    void streamsTensorDataFromACallback() throws IOException {
        int rows = 48, cols = 16384; // 3 MiB of F32, produced one row at a time
        Path f = dir.resolve("streamed.gguf");
        new GgufWriter().alignment(64).putString("general.architecture", "test")
                .addTensor("big", GgmlType.F32, new long[]{cols, rows}, out -> {
                    ByteBuffer row = ByteBuffer.allocate(cols * 4).order(ByteOrder.LITTLE_ENDIAN);
                    for (int r = 0; r < rows; r++) {
                        row.clear();
                        for (int c = 0; c < cols; c++) row.putFloat(r * 100_000f + c);
                        out.write(row.flip());
                    }
                })
                .addTensor("tail", GgmlType.F32, new long[]{3}, MemorySegment.ofArray(new float[]{1, 2, 3}))
                .write(f);
        try (GgufFile g = GgufFile.open(f)) {
            MemorySegment d = g.tensor("big").data();
            ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0f, d.get(le, 0));
            assertEquals(47 * 100_000f + 16383, d.get(le, d.byteSize() - 4));
            assertEquals(5 * 100_000f + 7, d.get(le, (5L * cols + 7) * 4));
            assertEquals(3f, g.tensor("tail").data().get(le, 8));
        }
    }

    @Test
    void aDataSourceOfTheWrongSizeFailsAndLeavesNoFile() {
        Path f = dir.resolve("bad-source.gguf");
        GgufWriter few = new GgufWriter().addTensor("t", GgmlType.F32, new long[]{4}, out -> out.write(ByteBuffer.allocate(12)));
        IOException e = assertThrows(IOException.class, () -> few.write(f));
        assertTrue(e.getMessage().contains("'t'") && e.getMessage().contains("12"), e.getMessage());
        assertFalse(Files.exists(f));
        GgufWriter many = new GgufWriter().addTensor("t", GgmlType.F32, new long[]{4}, out -> out.write(ByteBuffer.allocate(20)));
        assertThrows(IOException.class, () -> many.write(f));
        assertFalse(Files.exists(f));
    }

    @Test
    void refusesWhatTheReaderWouldRefuse() {
        GgufWriter w = new GgufWriter().addTensor("x", GgmlType.F32, new long[]{1}, MemorySegment.ofArray(new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter(1));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter(4));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt32("", 1));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt32("new\nline", 1));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt32("caf\u00e9", 1));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt32("k", -1));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt8("k", 256));
        assertThrows(IllegalArgumentException.class, () -> w.putInt8("k", 128));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt16("k", -1));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", UINT64, 1));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", FLOAT32, 1.0));
        assertThrows(IllegalArgumentException.class, () -> w.putString("k", "lone \uD800 surrogate"));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("k", new GgufArray(BOOL, new byte[]{2})));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("k", new GgufArray(UINT32, new long[]{1})));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("k", new GgufArray(STRING, new String[]{null})));
        GgufArray deep = new GgufArray(INT32, new int[0]);
        for (int i = 0; i < GgufFile.MAX_ARRAY_DEPTH - 1; i++) deep = new GgufArray(ARRAY, new GgufArray[]{deep});
        w.putArray("deep.ok", deep);
        GgufArray tooDeep = new GgufArray(ARRAY, new GgufArray[]{deep});
        assertThrows(IllegalArgumentException.class, () -> w.putArray("deep.bad", tooDeep));
        assertThrows(IllegalArgumentException.class, () -> w.alignment(0));
        assertThrows(IllegalArgumentException.class, () -> w.alignment(48));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt64("general.alignment", 32));
        byte[] four = new byte[4];
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("x", GgmlType.F32, new long[]{1}, MemorySegment.ofArray(four)), "duplicate");
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("", GgmlType.F32, new long[]{1}, MemorySegment.ofArray(four)));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("n".repeat(64), GgmlType.F32, new long[]{1}, MemorySegment.ofArray(four)));
        w.addTensor("n".repeat(63), GgmlType.F32, new long[]{1}, MemorySegment.ofArray(four));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("y", GgmlType.F32, new long[0], MemorySegment.ofArray(four)));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("y", GgmlType.F32, new long[]{1, 1, 1, 1, 1}, MemorySegment.ofArray(four)));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("y", GgmlType.F32, new long[]{-1}, MemorySegment.ofArray(four)));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("y", GgmlType.Q4_0, new long[]{16}, MemorySegment.ofArray(four)));
        assertThrows(ArithmeticException.class, () -> w.addTensor("y", GgmlType.F32, new long[]{1L << 40, 1L << 40}, out -> { }));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("y", GgmlType.F32, new long[]{2}, MemorySegment.ofArray(four)), "wrong size");
        w.addTensor("y", GgmlType.F32, new long[]{1}, MemorySegment.ofArray(four)); // "y" was not left half-added
    }

    @Test
    void replacingAKeyKeepsItsPlace() throws IOException {
        Path f = dir.resolve("replace.gguf");
        new GgufWriter().putUInt32("a", 1).putString("b", "x").putUInt32("a", 2).putBool("c", true).remove("c").write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(List.of("a", "b"), List.copyOf(g.metadata().keySet()));
            assertEquals(2, g.getLong("a"));
        }
    }

    @Test
    void readsAndRewritesTheTinyStoriesModelByteForByte() throws IOException {
        Path src = SharedData.require("models/tinystories/stories260K.gguf");
        Path copy = dir.resolve("stories260K-rewritten.gguf");
        try (GgufFile g = GgufFile.open(src)) {
            assertEquals(3, g.version());
            assertEquals("llama", g.architecture());
            assertEquals(5, g.getInt("llama.block_count", 1, 1000));
            assertEquals(64, g.getLong("llama.embedding_length"));
            assertEquals(48, g.tensors().size());
            assertEquals(512, g.getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(512, g.getFloatArray("tokenizer.ggml.scores").length);
            assertEquals("<s>", g.getStringArray("tokenizer.ggml.tokens")[1]);
            assertEquals(0xFFFF_FFFFL, g.getLong("tokenizer.ggml.padding_token_id"));
            assertEquals(GgmlType.F32, g.tensor("token_embd.weight").type());
            assertArrayEquals(new long[]{64, 512}, g.tensor("token_embd.weight").ne());
            assertArrayEquals(new long[]{172, 64}, g.tensor("blk.4.ffn_down.weight").ne());

            GgufWriter w = new GgufWriter(g.version()).putAll(g);
            for (GgufTensor t : g.tensors().values()) w.addTensor(t.name(), t.type(), t.ne(), t.data());
            w.write(copy);

            try (GgufFile r = GgufFile.open(copy)) {
                assertMetadataEquals(g.metadata(), r.metadata());
                assertEquals(List.copyOf(g.tensors().keySet()), List.copyOf(r.tensors().keySet()));
                for (GgufTensor t : g.tensors().values()) {
                    GgufTensor u = r.tensor(t.name());
                    assertEquals(t.type(), u.type());
                    assertArrayEquals(t.ne(), u.ne());
                    assertEquals(t.fileOffset(), u.fileOffset());
                    assertEquals(-1, t.data().mismatch(u.data()), t.name());
                }
            }
        }
        // The original was written by llama.cpp's tools with the same layout rules, so the files are identical.
        assertEquals(-1, Files.mismatch(src, copy));
    }

    // ---- comparisons ----

    static void assertMetadataEquals(Map<String, GgufValue> expected, Map<String, GgufValue> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()), "keys, in order");
        expected.forEach((k, v) -> {
            GgufValue a = actual.get(k);
            assertEquals(v.type(), a.type(), k);
            assertTrue(valueEquals(v.value(), a.value()), k + ": expected " + show(v.value()) + ", read " + show(a.value()));
        });
    }

    private static boolean valueEquals(Object a, Object b) {
        if (a instanceof GgufArray x && b instanceof GgufArray y) {
            if (x.elementType() != y.elementType() || x.length() != y.length()) return false;
            if (x.values() instanceof GgufArray[] xs && y.values() instanceof GgufArray[] ys) {
                for (int i = 0; i < xs.length; i++) if (!valueEquals(xs[i], ys[i])) return false;
                return true;
            }
            return java.util.Objects.deepEquals(x.values(), y.values()); // float/double compared by bits
        }
        return a.equals(b); // Float/Double.equals compare bits: NaN payloads and -0.0 must survive
    }

    private static String show(Object v) {
        if (v instanceof GgufArray a) {
            if (a.values() instanceof GgufArray[] xs) return java.util.Arrays.stream(xs).map(GgufWriterTest::show).toList().toString();
            return java.util.Arrays.deepToString(new Object[]{a.values()});
        }
        return String.valueOf(v);
    }
}
