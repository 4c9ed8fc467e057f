package io.jlama.gguf;

import io.jlama.tensor.GgmlType;
import io.jlama.testing.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hostile input for GgufFile: every broken file must fail with a one-line ModelFormatException naming the file (and
 * the key or tensor where there is one), quickly, and never with another exception, an OutOfMemoryError or a hang.
 * Broken files are made by writing a valid one with GgufWriter and patching its bytes.
 */
class GgufValidationTest {
    private static final long TIMEOUT_MS = 5000;
    private static ExecutorService pool;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPool() {
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "gguf-open");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
    }

    // ---- the valid file that the cases break ----

    private static final String[] KEYS = {"general.architecture", "test.u32", "test.flag", "test.str", "test.strings", "test.u64s",
            "test.bools", "test.nested", "dup.one", "dup.two"};
    private static final String[] TENSORS = {"alpha.weight", "bravo.weight", "cube3.weight", "delta.weight"};

    static byte[] base() throws IOException {
        Random rnd = new Random(7);
        byte[] alpha = new byte[64], bravo = new byte[68], cube = new byte[32], delta = new byte[8];
        for (byte[] b : List.of(alpha, bravo, cube, delta)) rnd.nextBytes(b);
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putUInt32("test.u32", 7)
                .putBool("test.flag", true)
                .putString("test.str", "hello")
                .putStrings("test.strings", "a", "bc", "def")
                .putArray("test.u64s", new GgufArray(GgufValueType.UINT64, new long[]{1, 2, 3}))
                .putArray("test.bools", new GgufArray(GgufValueType.BOOL, new byte[]{1, 0, 1}))
                .putArray("test.nested", new GgufArray(GgufValueType.ARRAY, new GgufArray[]{
                        new GgufArray(GgufValueType.INT32, new int[]{1, 2}), new GgufArray(GgufValueType.INT32, new int[]{3})}))
                .putUInt32("dup.one", 1)
                .putUInt32("dup.two", 2)
                .addTensor("alpha.weight", GgmlType.F32, new long[]{8, 2}, MemorySegment.ofArray(alpha))
                .addTensor("bravo.weight", GgmlType.Q8_0, new long[]{32, 2}, MemorySegment.ofArray(bravo))
                .addTensor("cube3.weight", GgmlType.F32, new long[]{2, 2, 2}, MemorySegment.ofArray(cube))
                .addTensor("delta.weight", GgmlType.F16, new long[]{4}, MemorySegment.ofArray(delta));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        w.write(out);
        return out.toByteArray();
    }

    // ---- locating and patching fields ----

    /** Offset of the bytes of a length-prefixed string (a key or tensor name), which must occur once. */
    static int find(byte[] f, String s) {
        byte[] needle = ByteBuffer.allocate(8 + s.length()).order(ByteOrder.LITTLE_ENDIAN).putLong(s.length())
                .put(s.getBytes(StandardCharsets.US_ASCII)).array();
        int at = -1;
        for (int i = 0; i + needle.length <= f.length; i++) {
            if (Arrays.equals(f, i, i + needle.length, needle, 0, needle.length)) {
                assertEquals(-1, at, "'" + s + "' occurs twice");
                at = i;
            }
        }
        assertTrue(at >= 0, "'" + s + "' not found");
        return at + 8;
    }

    /** Offset of the type field of a metadata key (the value follows it). */
    static int typeOf(byte[] f, String key) {
        return find(f, key) + key.length();
    }

    static int valueOf(byte[] f, String key) {
        return typeOf(f, key) + 4;
    }

    /** Offset of a tensor's n_dims field (ne[] follows, then the type and the offset). */
    static int dimsOf(byte[] f, String tensor) {
        return find(f, tensor) + tensor.length();
    }

    static int typeOfTensor(byte[] f, String tensor) {
        int p = dimsOf(f, tensor);
        return p + 4 + 8 * u32(f, p);
    }

    static int offsetOfTensor(byte[] f, String tensor) {
        return typeOfTensor(f, tensor) + 4;
    }

    static int u32(byte[] f, int at) {
        return ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
    }

    static long u64(byte[] f, int at) {
        return ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getLong(at);
    }

    static byte[] patch32(byte[] f, int at, long v) {
        byte[] c = f.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) v);
        return c;
    }

    static byte[] patch64(byte[] f, int at, long v) {
        byte[] c = f.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
        return c;
    }

    static byte[] patch8(byte[] f, int at, int v) {
        byte[] c = f.clone();
        c[at] = (byte) v;
        return c;
    }

    static byte[] patchText(byte[] f, String from, String to) {
        assertEquals(from.length(), to.length());
        byte[] c = f.clone();
        int at = find(f, from);
        byte[] b = to.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(b, 0, c, at, b.length);
        return c;
    }

    /** A hand-made little-endian byte sequence, for structures the writer refuses to make. */
    static final class Raw {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        static Raw header(int version, long tensors, long kvs) {
            return new Raw().u32(GgufFile.MAGIC).u32(version).u64(tensors).u64(kvs);
        }

        Raw u32(long v) {
            for (int i = 0; i < 4; i++) out.write((int) (v >>> 8 * i));
            return this;
        }

        Raw u64(long v) {
            for (int i = 0; i < 8; i++) out.write((int) (v >>> 8 * i));
            return this;
        }

        Raw str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
            return this;
        }

        Raw zeros(int n) {
            out.writeBytes(new byte[n]);
            return this;
        }

        Raw pad(int alignment) {
            while (out.size() % alignment != 0) out.write(0);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    // ---- opening, with a time limit ----

    /** Opens the file on another thread; returns null on success or what was thrown. Fails on a hang. */
    private static Throwable outcome(Path p) {
        Future<Throwable> f = pool.submit(() -> {
            try (GgufFile g = GgufFile.open(p)) {
                touch(g);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        try {
            return f.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return fail("GgufFile.open(" + p + ") did not finish within " + TIMEOUT_MS + " ms");
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    /** Uses what an accepted file promises: every tensor's bytes are readable and its shape is consistent. */
    private static void touch(GgufFile g) {
        for (GgufTensor t : g.tensors().values()) {
            long rows = 1;
            for (int i = 1; i < t.ne().length; i++) rows = Math.multiplyExact(rows, t.ne()[i]); // throws if the reader let it overflow
            assertEquals(rows, t.rows(), t.name());
            assertEquals(t.type().rowBytes(t.cols()) * rows, t.byteSize(), t.name());
            assertEquals(t.byteSize(), t.data().byteSize());
            if (t.byteSize() > 0) {
                t.data().get(ValueLayout.JAVA_BYTE, 0);
                t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
            }
        }
        for (GgufFile.GgufValue v : g.metadata().values()) assertNotNull(v.value());
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name + ".gguf");
        Files.write(p, bytes);
        return p;
    }

    /** The file must be refused with a one-line message naming it and containing every fragment. */
    private static ModelFormatException rejected(Path p, String... fragments) {
        Throwable t = outcome(p);
        if (t == null) fail("accepted: " + p);
        if (!(t instanceof ModelFormatException e)) throw new AssertionError("expected a ModelFormatException for " + p + ", got " + t, t);
        String m = e.getMessage();
        assertTrue(m.startsWith(p + ": "), m);
        assertEquals(p, e.file());
        assertFalse(m.contains("\n") || m.contains("\r"), "message is not one line: " + m);
        for (String s : fragments) assertTrue(m.contains(s), "message lacks '" + s + "': " + m);
        return e;
    }

    private ModelFormatException rejected(String name, byte[] bytes, String... fragments) throws IOException {
        return rejected(write(name, bytes), fragments);
    }

    private static void accepted(Path p) {
        Throwable t = outcome(p);
        if (t != null) throw new AssertionError("refused: " + p + ": " + t, t);
    }

    private void accepted(String name, byte[] bytes) throws IOException {
        accepted(write(name, bytes));
    }

    // ---- the cases ----

    @Test
    void baseFileIsValid() throws IOException {
        byte[] f = base();
        Path p = write("base", f);
        accepted(p);
        try (GgufFile g = GgufFile.open(p)) {
            assertEquals(List.of(KEYS), List.copyOf(g.metadata().keySet()));
            assertEquals(List.of(TENSORS), List.copyOf(g.tensors().keySet()));
        }
    }

    @Test
    void truncatedAtEveryByte() throws IOException {
        byte[] f = base();
        Path full = write("full", f);
        long dataOffset;
        List<GgufTensor> ts;
        try (GgufFile g = GgufFile.open(full)) {
            dataOffset = g.dataOffset();
            ts = List.copyOf(g.tensors().values());
        }
        long end = ts.stream().mapToLong(t -> t.fileOffset() + t.byteSize()).max().orElseThrow();
        assertTrue(end < f.length, "the base file ends with padding");
        // Where in the header each key's value and each tensor's info (after its name) lie.
        List<long[]> regions = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < KEYS.length; i++) {
            int next = i + 1 < KEYS.length ? find(f, KEYS[i + 1]) : find(f, TENSORS[0]);
            regions.add(new long[]{typeOf(f, KEYS[i]), next - 8});
            names.add(KEYS[i]);
        }
        for (int i = 0; i < TENSORS.length; i++) {
            int p = dimsOf(f, TENSORS[i]);
            regions.add(new long[]{p, offsetOfTensor(f, TENSORS[i]) + 8});
            names.add(TENSORS[i]);
        }
        Path p = dir.resolve("truncated.gguf");
        for (int n = 0; n < f.length; n++) {
            Files.write(p, Arrays.copyOf(f, n));
            if (n >= end) {
                accepted(p); // only trailing padding is missing
                continue;
            }
            String what = null;
            for (int r = 0; r < regions.size(); r++) if (n >= regions.get(r)[0] && n < regions.get(r)[1]) what = names.get(r);
            if (n >= dataOffset) {
                for (GgufTensor t : ts) {
                    if (t.fileOffset() + t.byteSize() > n) {
                        what = t.name(); // the first tensor whose data is cut
                        break;
                    }
                }
            }
            // Counts that the bytes after the header cannot hold are refused before the entries are read.
            boolean countsTooLarge = n >= 24 && (long) KEYS.length * 13 + (long) TENSORS.length * 32 > n - 24;
            if (n < 24) rejected(p, "too short");
            else if (countsTooLarge) rejected(p, "metadata_kv_count 10 and tensor_count 4 cannot fit");
            else if (what == null) rejected(p);
            else rejected(p, "'" + what + "'");
        }
    }

    @Test
    void truncatedRealModel() throws IOException {
        Path src = SharedData.require("models/tinystories/stories260K.gguf");
        byte[] f = Files.readAllBytes(src);
        long dataOffset;
        try (GgufFile g = GgufFile.open(src)) {
            dataOffset = g.dataOffset();
        }
        Path p = dir.resolve("stories-truncated.gguf");
        for (long n = 0; n < f.length; n += n < dataOffset ? 11 : 9973) {
            Files.write(p, Arrays.copyOf(f, (int) n));
            rejected(p);
        }
        Files.write(p, Arrays.copyOf(f, f.length - 1));
        rejected(p, "'blk.4.ffn_norm.weight'");
    }

    @Test
    void tooSmallEmptyMissingDirectory() throws IOException {
        rejected("empty", new byte[0], "0 bytes");
        rejected("short", Arrays.copyOf(base(), 23));
        rejected(dir.resolve("no-such-file.gguf"), "no such file");
        rejected(dir, "directory");
        accepted("header-only", Raw.header(3, 0, 0).bytes());
    }

    @Test
    void specialFilesAreRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("pipe.gguf");
        boolean made;
        try {
            made = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0;
        } catch (IOException e) {
            made = false;
        }
        Assumptions.assumeTrue(made, "mkfifo is not available");
        rejected(fifo, "not a regular file");
        Path devNull = Path.of("/dev/null");
        if (Files.exists(devNull)) rejected(devNull, "not a regular file");
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] f = base();
        rejected("magic-ggug", patch8(f, 3, 'G'), "magic");
        rejected("magic-ggml", patch32(f, 0, 0x67676d6c), "magic");
        rejected("magic-zero", patch32(f, 0, 0), "magic");
        rejected("magic-text", "hello, this is not a model at all".getBytes(StandardCharsets.US_ASCII), "magic");
    }

    @Test
    void unsupportedVersions() throws IOException {
        byte[] f = base();
        rejected("v0", patch32(f, 4, 0), "version 0");
        rejected("v1", patch32(f, 4, 1), "version 1");
        rejected("v4", patch32(f, 4, 4), "version 4");
        rejected("v-huge", patch32(f, 4, 0xFFFF_FFFFL), "version 4294967295");
        rejected("v3-big-endian", patch32(f, 4, 0x0300_0000), "big-endian");
        rejected("v2-big-endian", patch32(f, 4, 0x0200_0000), "big-endian");
        accepted("v2", patch32(f, 4, 2));
    }

    @Test
    void absurdCounts() throws IOException {
        byte[] f = base();
        for (long n : new long[]{1L << 63, -1L, Long.MAX_VALUE, 1L << 32, 1L << 31, 100_000}) {
            rejected("tensors-" + Long.toUnsignedString(n), patch64(f, 8, n), "tensor_count");
            rejected("kvs-" + Long.toUnsignedString(n), patch64(f, 16, n), "metadata_kv_count");
        }
        rejected("kvs-one-more", patch64(f, 16, KEYS.length + 1));
        rejected("kvs-one-less", patch64(f, 16, KEYS.length - 1));
        rejected("tensors-one-more", patch64(f, 8, TENSORS.length + 1));
        // One tensor fewer reads the remaining infos fine; the data section then starts elsewhere, and the
        // offsets (multiples of 32 either way) still fit: the file is valid, if meaningless.
        accepted("tensors-none", Raw.header(3, 0, 0).bytes());
    }

    @Test
    void absurdStringLengths() throws IOException {
        byte[] f = base();
        long[] lengths = {-1L, 1L << 63, Long.MAX_VALUE, 1L << 32, 1L << 31, f.length};
        for (long n : lengths) {
            String s = Long.toUnsignedString(n);
            rejected("key-length-" + s, patch64(f, find(f, KEYS[0]) - 8, n), "metadata entry 0");
            rejected("value-length-" + s, patch64(f, valueOf(f, "test.str"), n), "'test.str'");
            rejected("element-length-" + s, patch64(f, valueOf(f, "test.strings") + 12 + 8 + 1, n), "'test.strings'");
            rejected("name-length-" + s, patch64(f, find(f, "bravo.weight") - 8, n), "tensor 1");
        }
    }

    @Test
    void absurdArrayLengths() throws IOException {
        byte[] f = base();
        long[] lengths = {-1L, 1L << 63, Long.MAX_VALUE, 1L << 61, (1L << 61) + 1, 1L << 32, 1L << 31, (1L << 31) - 17, 1L << 24, 1000};
        for (long n : lengths) {
            String s = Long.toUnsignedString(n);
            rejected("strings-" + s, patch64(f, valueOf(f, "test.strings") + 4, n), "'test.strings'");
            rejected("u64s-" + s, patch64(f, valueOf(f, "test.u64s") + 4, n), "'test.u64s'");
            rejected("bools-" + s, patch64(f, valueOf(f, "test.bools") + 4, n), "'test.bools'");
            rejected("nested-" + s, patch64(f, valueOf(f, "test.nested") + 4, n), "'test.nested'");
            rejected("inner-" + s, patch64(f, valueOf(f, "test.nested") + 12 + 4, n), "'test.nested'");
        }
    }

    @Test
    void unknownValueTypes() throws IOException {
        byte[] f = base();
        for (long t : new long[]{13, 14, 99, 1L << 31, 0xFFFF_FFFFL}) {
            rejected("type-" + t, patch32(f, typeOf(f, "test.u32"), t), "'test.u32'", "type");
            rejected("elem-type-" + t, patch32(f, valueOf(f, "test.u64s"), t), "'test.u64s'", "type");
            rejected("inner-elem-type-" + t, patch32(f, valueOf(f, "test.nested") + 12, t), "'test.nested'", "type");
        }
        // A known type of the same size is accepted: u32 read as i32, or f32.
        accepted("type-i32", patch32(f, typeOf(f, "test.u32"), GgufValueType.INT32.id));
        accepted("type-f32", patch32(f, typeOf(f, "test.u32"), GgufValueType.FLOAT32.id));
    }

    private static byte[] nested(int depth) {
        Raw r = Raw.header(3, 0, 1).str("deep").u32(GgufValueType.ARRAY.id);
        for (int i = 1; i < depth; i++) r.u32(GgufValueType.ARRAY.id).u64(1);
        return r.u32(GgufValueType.INT32.id).u64(0).bytes();
    }

    @Test
    void deeplyNestedArrays() throws IOException {
        accepted("nested-8", nested(GgufFile.MAX_ARRAY_DEPTH));
        rejected("nested-9", nested(GgufFile.MAX_ARRAY_DEPTH + 1), "'deep'", "nested");
        rejected("nested-100000", nested(100_000), "'deep'", "nested");
    }

    @Test
    void invalidBools() throws IOException {
        byte[] f = base();
        for (int v : new int[]{2, 0x7F, 0x80, 0xFF}) {
            rejected("bool-" + v, patch8(f, valueOf(f, "test.flag"), v), "'test.flag'", "bool");
            rejected("bools-" + v, patch8(f, valueOf(f, "test.bools") + 12 + 1, v), "'test.bools'", "bool");
        }
        accepted("bool-false", patch8(f, valueOf(f, "test.flag"), 0));
    }

    @Test
    void badDimensionCounts() throws IOException {
        byte[] f = base();
        for (long n : new long[]{0, 5, 1L << 31, 0xFFFF_FFFFL}) {
            rejected("n_dims-" + n, patch32(f, dimsOf(f, "alpha.weight"), n), "'alpha.weight'", "n_dims");
        }
    }

    @Test
    void badShapes() throws IOException {
        byte[] f = base();
        int ne = dimsOf(f, "alpha.weight") + 4;
        rejected("ne-overflow", patch64(patch64(f, ne, 1L << 32), ne + 8, 1L << 32), "'alpha.weight'");
        rejected("ne-overflow2", patch64(patch64(f, ne, 1L << 62), ne + 8, 4), "'alpha.weight'");
        rejected("ne-negative", patch64(f, ne + 8, 1L << 63), "'alpha.weight'");
        rejected("ne-max", patch64(f, ne, -1L), "'alpha.weight'");
        // A zero dimension must not hide an overflowing product of the others (rows() would overflow).
        int cube = dimsOf(f, "cube3.weight") + 4;
        rejected("ne-zero-hides-overflow", patch64(patch64(patch64(f, cube, 0), cube + 8, 10_000_000_000L), cube + 16, 10_000_000_000L), "'cube3.weight'");
        accepted("ne-zero", patch64(f, cube, 0)); // an empty tensor is fine
        // The byte size of a quantized tensor overflows although its element count does not.
        int bravo = dimsOf(f, "bravo.weight") + 4;
        rejected("bytes-overflow", patch64(patch64(f, bravo, (1L << 63) - (1L << 58)), bravo + 8, 1), "'bravo.weight'", "overflow");
        // Row length not a multiple of the Q8_0 block size.
        for (long n : new long[]{33, 16, 31, 1}) rejected("block-" + n, patch64(f, bravo, n), "'bravo.weight'", "block size");
    }

    @Test
    void unknownTensorTypes() throws IOException {
        byte[] f = base();
        for (long t : new long[]{4, 5, 31, 32, 33, 36, 63, 64, 1000, 1L << 31, 0xFFFF_FFFFL}) {
            rejected("ggml-type-" + t, patch32(f, typeOfTensor(f, "delta.weight"), t), "'delta.weight'", "type");
        }
        accepted("ggml-type-i32", patch32(f, typeOfTensor(f, "alpha.weight"), GgmlType.I32.id)); // same size as F32
    }

    @Test
    void badTensorOffsets() throws IOException {
        byte[] f = base();
        int off = offsetOfTensor(f, "bravo.weight");
        long bravo = u64(f, off);
        for (long d : new long[]{1, 8, 16, 31}) rejected("unaligned-" + d, patch64(f, off, bravo + d), "'bravo.weight'", "align");
        for (long o : new long[]{1L << 63, -32L, -1L, Long.MAX_VALUE & ~31, 1L << 40, f.length}) {
            rejected("past-end-" + Long.toUnsignedString(o), patch64(f, off, o), "'bravo.weight'");
        }
        // Data running past the end: the last tensor made longer.
        int delta = dimsOf(f, "delta.weight") + 4;
        rejected("size-past-end", patch64(f, delta, 64), "'delta.weight'");
        // Overlapping data.
        rejected("overlap", patch64(f, off, 0), "'bravo.weight'", "'alpha.weight'", "overlap");
        rejected("overlap-same", patch64(f, offsetOfTensor(f, "delta.weight"), u64(f, offsetOfTensor(f, "cube3.weight"))), "'delta.weight'", "overlap");
    }

    @Test
    void duplicates() throws IOException {
        byte[] f = base();
        rejected("dup-key", patchText(f, "dup.two", "dup.one"), "'dup.one'", "twice");
        rejected("dup-tensor", patchText(f, "bravo.weight", "alpha.weight"), "'alpha.weight'", "twice");
    }

    @Test
    void badAlignment() throws IOException {
        byte[] f;
        {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new GgufWriter().alignment(32).putUInt64("general.alignmenu", 32).putString("general.alignmenv", "32")
                    .addTensor("t", GgmlType.F32, new long[]{1}, MemorySegment.ofArray(new byte[4])).write(out);
            f = out.toByteArray();
        }
        accepted("align-32", f);
        int v = valueOf(f, "general.alignment");
        for (long a : new long[]{0, 3, 24, 48, 1L << 31, 0xFFFF_FFFFL, 0xFFFF_FFE0L}) {
            rejected("align-" + a, patch32(f, v, a), "'general.alignment'");
        }
        byte[] asU64 = patchText(patchText(f, "general.alignment", "general.alignmenw"), "general.alignmenu", "general.alignment");
        rejected("align-u64", asU64, "'general.alignment'", "uint32");
        byte[] asString = patchText(patchText(f, "general.alignment", "general.alignmenw"), "general.alignmenv", "general.alignment");
        rejected("align-string", asString, "'general.alignment'", "uint32");
        accepted("align-8", patch32(f, v, 8)); // the tensor's offset 0 fits any alignment
        accepted("align-1", patch32(f, v, 1));
    }

    @Test
    void namesAndKeys() throws IOException {
        byte[] f = base();
        // Control characters in names never break the one-line message.
        ModelFormatException e = rejected("newline-name", patch32(patch8(f, find(f, "delta.weight") + 5, '\n'), dimsOf(f, "delta.weight"), 0));
        assertTrue(e.getMessage().contains("delta\\u000Aweight"), e.getMessage());
        rejected("newline-key", patch8(f, find(f, "test.u32") + 4, '\n'), "test\\u000Au32");
        // Keys must be ASCII (GGUF spec).
        rejected("latin1-key", patch8(f, find(f, "test.u32") + 4, 0xE9), "'test\\uDCE9u32'", "ASCII");
        // Tensor names are at most 64 bytes (GGUF spec).
        byte[] ok = Raw.header(3, 1, 0).str("n".repeat(64)).u32(1).u64(1).u32(0).u64(0).pad(32).zeros(4).bytes();
        accepted("name-64", ok);
        byte[] tooLong = Raw.header(3, 1, 0).str("n".repeat(65)).u32(1).u64(1).u32(0).u64(0).pad(32).zeros(4).bytes();
        rejected("name-65", tooLong, "tensor 0", "64");
        byte[] hugeKey = Raw.header(3, 0, 1).str("k".repeat(70_000)).u32(GgufValueType.UINT8.id).zeros(1).bytes();
        ModelFormatException k = rejected("key-70000", hugeKey, "65535");
        assertTrue(k.getMessage().length() < 600, "long names are cut in messages");
    }

    /** Sparse files: counts that fit a huge file must not make the reader allocate for them up front. */
    @Test
    void hugeCountsInHugeSparseFiles() throws IOException {
        rejected(sparse("sparse-tensors", Raw.header(3, (1L << 31) + 8, 0).bytes(), 128L << 30), "tensor 0");
        rejected(sparse("sparse-tensors2", Raw.header(3, Integer.MAX_VALUE, 0).bytes(), 128L << 30), "tensor 0");
        byte[] strings = Raw.header(3, 0, 1).str("huge.strings").u32(GgufValueType.ARRAY.id).u32(GgufValueType.STRING.id).u64(Integer.MAX_VALUE - 17).bytes();
        rejected(sparse("sparse-strings", strings, 16L << 30), "'huge.strings'");
        byte[] arrays = Raw.header(3, 0, 1).str("huge.arrays").u32(GgufValueType.ARRAY.id).u32(GgufValueType.ARRAY.id).u64(1L << 30).bytes();
        rejected(sparse("sparse-arrays", arrays, 16L << 30), "'huge.arrays'");
    }

    private Path sparse(String name, byte[] head, long size) throws IOException {
        Path p = write(name, head);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(size);
        } catch (IOException e) {
            Assumptions.abort("cannot make a sparse file of " + size + " bytes: " + e);
        }
        return p;
    }

    @Test
    void randomMutationsOfASmallFile() throws IOException {
        byte[] orig = base();
        int header;
        try (GgufFile g = GgufFile.open(write("mutation-base", orig))) {
            header = (int) g.dataOffset();
        }
        Random rnd = new Random(0x6775_6666L);
        Path p = dir.resolve("mutated.gguf");
        int ok = 0, refused = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] f = mutate(orig, header, rnd);
            Files.write(p, f);
            Throwable t = outcome(p);
            if (t == null) {
                ok++;
            } else if (t instanceof ModelFormatException e && e.getMessage().startsWith(p + ": ") && !e.getMessage().contains("\n")) {
                refused++;
            } else {
                throw new AssertionError("mutation " + i + ": " + t, t);
            }
        }
        assertTrue(ok > 50 && refused > 500, ok + " accepted, " + refused + " refused");
    }

    @Test
    void randomMutationsOfTheRealModelHeader() throws IOException {
        Path src = SharedData.require("models/tinystories/stories260K.gguf");
        Path p = dir.resolve("stories-mutated.gguf");
        Files.copy(src, p);
        byte[] orig = Files.readAllBytes(p);
        int header;
        try (GgufFile g = GgufFile.open(p)) {
            header = (int) g.dataOffset();
        }
        Random rnd = new Random(260);
        int ok = 0, refused = 0;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 600; i++) {
                int at = rnd.nextInt(header);
                byte[] change = switch (rnd.nextInt(3)) {
                    case 0 -> new byte[]{(byte) (orig[at] ^ 1 << rnd.nextInt(8))};
                    case 1 -> ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) EXTREMES[rnd.nextInt(EXTREMES.length)]).array();
                    default -> ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(EXTREMES[rnd.nextInt(EXTREMES.length)]).array();
                };
                ch.write(ByteBuffer.wrap(change), at);
                Throwable t = outcome(p);
                if (t == null) ok++;
                else if (t instanceof ModelFormatException e && e.getMessage().startsWith(p + ": ")) refused++;
                else throw new AssertionError("mutation " + i + " at " + at + ": " + t, t);
                ch.write(ByteBuffer.wrap(orig, at, Math.min(change.length, orig.length - at)), at);
            }
        }
        assertTrue(ok > 20 && refused > 200, ok + " accepted, " + refused + " refused");
    }

    private static final long[] EXTREMES = {0, 1, 2, 3, 4, 5, 8, 9, 13, 31, 32, 33, 64, 255, 256, 65535, 1L << 31, (1L << 31) - 1,
            1L << 32, (1L << 32) - 1, (1L << 32) + 1, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -32, 1L << 40, 12345678901L};

    private static byte[] mutate(byte[] orig, int header, Random rnd) {
        byte[] f = orig.clone();
        int at = rnd.nextInt(10) < 8 ? rnd.nextInt(header) : rnd.nextInt(f.length);
        switch (rnd.nextInt(7)) {
            case 0 -> {
                for (int k = rnd.nextInt(3); k >= 0; k--) f[(at + 3 * k) % f.length] ^= (byte) (1 << rnd.nextInt(8));
            }
            case 1 -> f[at] = (byte) rnd.nextInt(256);
            case 2 -> {
                if (at + 8 <= f.length) ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(at, EXTREMES[rnd.nextInt(EXTREMES.length)]);
            }
            case 3 -> {
                if (at + 4 <= f.length) ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) EXTREMES[rnd.nextInt(EXTREMES.length)]);
            }
            case 4 -> {
                f = Arrays.copyOf(f, at);
                if (at > 0) f[rnd.nextInt(at)] ^= (byte) rnd.nextInt(256);
            }
            case 5 -> { // delete a few bytes
                int n = Math.min(1 + rnd.nextInt(8), f.length - at);
                byte[] g = new byte[f.length - n];
                System.arraycopy(f, 0, g, 0, at);
                System.arraycopy(f, at + n, g, at, f.length - at - n);
                f = g;
            }
            default -> { // insert a few bytes
                int n = 1 + rnd.nextInt(8);
                byte[] g = new byte[f.length + n];
                System.arraycopy(f, 0, g, 0, at);
                for (int k = 0; k < n; k++) g[at + k] = (byte) rnd.nextInt(256);
                System.arraycopy(f, at, g, at + n, f.length - at);
                f = g;
            }
        }
        return f;
    }
}
