package io.jlama.gguf;

import io.jlama.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3, little-endian), memory-mapped whole into one {@link MemorySegment}. Weights are
 * never copied: each {@link GgufTensor} is a slice of the mapping. Everything read from the file is validated before
 * it is used, so a malformed file fails here with a {@link ModelFormatException} naming the key or tensor, never
 * later. Closing the file unmaps it; tensors must not be used after that.
 *
 * <p>What is checked, beyond every read lying inside the file: the magic and version (a big-endian file is named as
 * such); counts and lengths are allocated for only as they are read, so a huge count costs nothing until the bytes
 * behind it are there; metadata keys are printable ASCII of at most 65535 bytes and appear once; value and element
 * types are known; bools are 0 or 1, in arrays too; arrays nest at most {@value #MAX_ARRAY_DEPTH} deep and arrays of
 * strings or arrays hold at most {@value #MAX_OBJECT_ARRAY_LENGTH} elements; {@code general.alignment} is a uint32
 * power of two; tensor names are 1 to 64 bytes and appear once; tensors have 1 to {@value #MAX_DIMS} dimensions, a
 * known ggml type, a row length that is a multiple of its block size, a shape whose element count, row count and byte
 * size fit in a long, an aligned offset, and data that lies inside the file and overlaps no other tensor's.
 *
 * <p>Strings are UTF-8. Bytes that are not valid UTF-8 (some vocabularies hold such byte pieces) are kept, each as
 * the lone surrogate U+DC80..U+DCFF; {@link #stringBytes} gives back the exact bytes.
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian uint32. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;
    /** Deeper array nesting than this is refused (real files nest at most once). */
    static final int MAX_ARRAY_DEPTH = 8;
    /** Longest array of strings or arrays (each element becomes an object; real vocabularies hold under 2^19). */
    static final int MAX_OBJECT_ARRAY_LENGTH = 1 << 24;
    /** GGUF spec: keys are at most 65535 bytes, tensor names at most 64. */
    static final int MAX_KEY_BYTES = 65535;
    static final int MAX_TENSOR_NAME_BYTES = 64;
    /** The fewest bytes a metadata entry (key length, type, one-byte value) and a tensor info (1 dimension) take. */
    private static final int MIN_KV_BYTES = 8 + 4 + 1;
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final Map<String, GgufTensor> tensors;
    private final int alignment;
    private final long dataOffset;

    /** One metadata value with its declared type. */
    public record GgufValue(GgufValueType type, Object value) {
    }

    private record Info(String name, GgmlType type, long[] ne, long offset) {
    }

    private GgufFile(Path path, Arena arena, MemorySegment segment) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        Reader r = new Reader();
        r.subject = "header";
        int magic = r.u32("magic");
        if (magic != MAGIC) {
            throw bad(String.format("not a GGUF file: magic is 0x%08x, expected 0x%08x (\"GGUF\")", magic, MAGIC));
        }
        version = r.u32("version");
        if (version == 1) throw bad("GGUF version 1 is not supported (only 2 and 3); re-convert the model");
        if (version == Integer.reverseBytes(2) || version == Integer.reverseBytes(3)) {
            throw bad("big-endian GGUF file (version " + Integer.reverseBytes(version) + " stored big-endian); only little-endian files are supported");
        }
        if (version != 2 && version != 3) throw bad("unsupported GGUF version " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
        long tensorCount = r.u64("tensor_count");
        long kvCount = r.u64("metadata_kv_count");
        long left = r.remaining();
        if (kvCount < 0 || tensorCount < 0 || kvCount > left / MIN_KV_BYTES || tensorCount > left / MIN_TENSOR_INFO_BYTES
                || kvCount * MIN_KV_BYTES + tensorCount * MIN_TENSOR_INFO_BYTES > left) {
            throw bad("metadata_kv_count " + Long.toUnsignedString(kvCount) + " and tensor_count " + Long.toUnsignedString(tensorCount)
                    + " cannot fit in the " + left + " bytes after the header (file truncated, or the counts are corrupt)");
        }

        Map<String, GgufValue> md = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            r.subject = "metadata entry " + i;
            String key = r.key();
            r.subject = "metadata key '" + key + "'"; // printable ASCII: checked by key()
            if (md.containsKey(key)) throw r.fail("appears twice");
            int typeId = r.u32("type");
            GgufValueType type = GgufValueType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) throw r.fail("unknown value type " + Integer.toUnsignedString(typeId));
            md.put(key, new GgufValue(type, r.value(type)));
        }
        metadata = Collections.unmodifiableMap(md);

        int align = DEFAULT_ALIGNMENT;
        GgufValue a = md.get("general.alignment");
        if (a != null) {
            if (a.type() != GgufValueType.UINT32) throw bad("metadata key 'general.alignment': expected uint32, found " + a.type().ggufName());
            align = (Integer) a.value();
            if (align <= 0 || Integer.bitCount(align) != 1) {
                throw bad("metadata key 'general.alignment': " + Integer.toUnsignedString(align) + " is not a power of two in [1, 2^30]");
            }
        }
        alignment = align;

        // Grown as infos are read: a count is only trusted as far as the bytes behind it go.
        List<Info> infos = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            r.subject = "tensor " + i;
            String name = r.tensorName();
            r.subject = "tensor '" + GgufStrings.printable(name) + "'";
            if (seen.putIfAbsent(name, (int) i) != null) throw r.fail("appears twice");
            int nDims = r.u32("n_dims");
            if (nDims < 1 || nDims > MAX_DIMS) throw r.fail("n_dims " + Integer.toUnsignedString(nDims) + " is not in 1.." + MAX_DIMS);
            long[] ne = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                ne[d] = r.u64("ne");
                if (ne[d] < 0) throw r.fail("ne[" + d + "] = " + Long.toUnsignedString(ne[d]) + " is too large");
            }
            int typeId = r.u32("type");
            GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) throw r.fail("unknown ggml type " + Integer.toUnsignedString(typeId));
            long offset = r.u64("offset");
            infos.add(new Info(name, type, ne, offset));
        }
        long headerEnd = r.pos;
        // The data section starts at the first multiple of the alignment after the tensor infos (GGUF spec).
        dataOffset = alignUp(headerEnd, alignment);
        if (tensorCount > 0 && dataOffset > segment.byteSize()) {
            throw bad("file ends at byte " + segment.byteSize() + " before the tensor data section at " + dataOffset + " (truncated)");
        }
        long dataSize = Math.max(0, segment.byteSize() - dataOffset);

        Map<String, GgufTensor> ts = new LinkedHashMap<>();
        for (Info info : infos) {
            String where = "tensor '" + GgufStrings.printable(info.name) + "'";
            // Every partial product must fit, zero dimensions left out: [0, 2^40, 2^40] has no elements, but
            // its row count would overflow.
            long product = 1;
            boolean empty = false;
            for (long d : info.ne) {
                if (d == 0) {
                    empty = true;
                    continue;
                }
                try {
                    product = Math.multiplyExact(product, d);
                } catch (ArithmeticException e) {
                    throw bad(where + ": the product of its dimensions " + Arrays.toString(info.ne) + " overflows");
                }
            }
            long elements = empty ? 0 : product;
            if (info.ne[0] % info.type.blockSize != 0) {
                throw bad(where + ": row length ne[0] = " + info.ne[0] + " is not a multiple of the " + info.type + " block size " + info.type.blockSize);
            }
            long bytes;
            try {
                bytes = Math.multiplyExact(elements / info.type.blockSize, (long) info.type.typeSize);
            } catch (ArithmeticException e) {
                throw bad(where + ": its byte size overflows");
            }
            if (info.offset % alignment != 0) {
                throw bad(where + ": data offset " + Long.toUnsignedString(info.offset) + " is not a multiple of the alignment " + alignment);
            }
            if (info.offset < 0 || info.offset > dataSize || bytes > dataSize - info.offset) {
                throw bad(where + ": data [" + Long.toUnsignedString(info.offset) + ", +" + bytes + ") lies past the end of the data section ("
                        + dataSize + " bytes; file truncated?)");
            }
            MemorySegment slice = segment.asSlice(dataOffset + info.offset, bytes);
            ts.put(info.name, new GgufTensor(info.name, info.type, info.ne, dataOffset + info.offset, bytes, slice));
        }
        // Tensors must not share bytes (ggml lays them out one after another).
        List<GgufTensor> byOffset = new ArrayList<>(ts.values());
        byOffset.removeIf(t -> t.byteSize() == 0);
        byOffset.sort(Comparator.comparingLong(GgufTensor::fileOffset)); // stable: file order among equal offsets
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensor prev = byOffset.get(i - 1), t = byOffset.get(i);
            if (t.fileOffset() < prev.fileOffset() + prev.byteSize()) {
                throw bad("tensor '" + GgufStrings.printable(t.name()) + "': data at " + (t.fileOffset() - dataOffset) + " overlaps tensor '"
                        + GgufStrings.printable(prev.name()) + "' at [" + (prev.fileOffset() - dataOffset) + ", +" + prev.byteSize() + ")");
            }
        }
        tensors = Collections.unmodifiableMap(ts);
    }

    /**
     * Opens and validates a GGUF file. Throws {@link ModelFormatException} for a missing, unreadable, non-regular
     * or malformed file.
     */
    public static GgufFile open(Path path) {
        if (!Files.exists(path)) throw new ModelFormatException(path, "no such file");
        if (Files.isDirectory(path)) throw new ModelFormatException(path, "is a directory, not a GGUF file");
        // A FIFO would block the open until a writer comes; a device has no meaningful size.
        if (!Files.isRegularFile(path)) throw new ModelFormatException(path, "is not a regular file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 24) throw new ModelFormatException(path, "file is " + size + " bytes, too short for a GGUF header (24 bytes)");
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new GgufFile(path, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelFormatException(path, "no such file");
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(path, "cannot read: " + e.getMessage(), e);
        } catch (Throwable e) {
            arena.close();
            throw e;
        }
    }

    private ModelFormatException bad(String what) {
        return new ModelFormatException(path, what);
    }

    static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    /**
     * Sequential reader over the header, checking every read against the file size. Errors name {@link #subject}
     * (the entry being read) and, inside arrays, the index of each enclosing element; messages are only built when
     * something is wrong.
     */
    private final class Reader {
        long pos;
        String subject;
        /** Indices of the array elements being read, outermost first. */
        private final long[] path = new long[MAX_ARRAY_DEPTH];
        private int depth;
        private final CharsetDecoder decoder = GgufStrings.newDecoder();

        ModelFormatException fail(String what) {
            StringBuilder sb = new StringBuilder(subject);
            for (int i = 0; i < depth; i++) sb.append('[').append(path[i]).append(']');
            return bad(sb.append(": ").append(what).toString());
        }

        long remaining() {
            return segment.byteSize() - pos;
        }

        private void need(long n, String field) {
            if (n < 0 || n > remaining()) {
                throw fail(field + ": needs " + Long.toUnsignedString(n) + " bytes at offset " + pos + " but the file ends at " + segment.byteSize() + " (truncated?)");
            }
        }

        int u32(String field) {
            need(4, field);
            int v = segment.get(U32, pos);
            pos += 4;
            return v;
        }

        long u64(String field) {
            need(8, field);
            long v = segment.get(U64, pos);
            pos += 8;
            return v;
        }

        /** The length of a string, checked against the file and {@code max}. */
        private int stringLength(String field, long max) {
            long len = u64(field + " length");
            if (len < 0 || len > remaining()) {
                throw fail(field + " length " + Long.toUnsignedString(len) + " runs past the end of the file at " + segment.byteSize());
            }
            if (len > max) throw fail(field + " is " + len + " bytes, longer than " + max);
            return (int) len;
        }

        private byte[] bytes(int len) {
            byte[] b = segment.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            return b;
        }

        String string(String field) {
            int len = stringLength(field, Integer.MAX_VALUE - 16);
            return len == 0 ? "" : GgufStrings.decode(bytes(len), decoder);
        }

        String key() {
            byte[] b = bytes(stringLength("key", MAX_KEY_BYTES));
            for (byte x : b) {
                if (x < 0x20 || x > 0x7E) { // GGUF spec: keys are ASCII; printable, so that messages stay one line
                    throw fail("key '" + GgufStrings.printable(GgufStrings.decode(b, decoder)) + "' is not printable ASCII");
                }
            }
            return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
        }

        String tensorName() {
            int len = stringLength("name", MAX_TENSOR_NAME_BYTES);
            if (len == 0) throw fail("empty name");
            return GgufStrings.decode(bytes(len), decoder);
        }

        Object value(GgufValueType type) {
            switch (type) {
                case UINT8, INT8 -> {
                    need(1, "value");
                    byte v = segment.get(ValueLayout.JAVA_BYTE, pos++);
                    return type == GgufValueType.UINT8 ? Integer.valueOf(v & 0xFF) : Integer.valueOf(v);
                }
                case BOOL -> {
                    need(1, "value");
                    byte v = segment.get(ValueLayout.JAVA_BYTE, pos++);
                    if (v != 0 && v != 1) throw fail("bool value " + (v & 0xFF) + " is neither 0 nor 1");
                    return v == 1;
                }
                case UINT16, INT16 -> {
                    need(2, "value");
                    short v = segment.get(U16, pos);
                    pos += 2;
                    return type == GgufValueType.UINT16 ? Integer.valueOf(v & 0xFFFF) : Integer.valueOf(v);
                }
                case UINT32, INT32 -> {
                    return u32("value"); // a uint32 keeps its bit pattern; getters convert with Integer.toUnsignedLong
                }
                case FLOAT32 -> {
                    need(4, "value");
                    float v = segment.get(F32, pos);
                    pos += 4;
                    return v;
                }
                case UINT64, INT64 -> {
                    return u64("value");
                }
                case FLOAT64 -> {
                    need(8, "value");
                    double v = segment.get(F64, pos);
                    pos += 8;
                    return v;
                }
                case STRING -> {
                    return string("string");
                }
                case ARRAY -> {
                    if (depth >= MAX_ARRAY_DEPTH) throw fail("arrays nested deeper than " + MAX_ARRAY_DEPTH);
                    int elemId = u32("array element type");
                    GgufValueType et = GgufValueType.byId(Integer.toUnsignedLong(elemId));
                    if (et == null) throw fail("unknown array element type " + Integer.toUnsignedString(elemId));
                    long n = u64("array length");
                    if (n < 0 || n > remaining() / et.minBytes) {
                        throw fail("array of " + Long.toUnsignedString(n) + " " + et.ggufName() + " values cannot fit in the " + remaining()
                                + " bytes left in the file");
                    }
                    int max = et == GgufValueType.STRING || et == GgufValueType.ARRAY ? MAX_OBJECT_ARRAY_LENGTH : Integer.MAX_VALUE - 16;
                    if (n > max) throw fail("array of " + n + " " + et.ggufName() + " values is longer than the " + max + " allowed");
                    return array(et, (int) n);
                }
            }
            throw new AssertionError(type);
        }

        /** A numeric array: n elements of {@code size} bytes, all present (checked), copied out in one go. */
        private MemorySegment numbers(int n, int size) {
            need((long) n * size, "array data");
            MemorySegment s = segment.asSlice(pos, (long) n * size);
            pos += (long) n * size;
            return s;
        }

        private GgufArray array(GgufValueType et, int n) {
            Object values = switch (et) {
                case UINT8, INT8 -> numbers(n, 1).toArray(ValueLayout.JAVA_BYTE);
                case BOOL -> {
                    byte[] v = numbers(n, 1).toArray(ValueLayout.JAVA_BYTE);
                    for (int i = 0; i < n; i++) {
                        if (v[i] != 0 && v[i] != 1) {
                            path[depth++] = i;
                            throw fail("bool value " + (v[i] & 0xFF) + " is neither 0 nor 1");
                        }
                    }
                    yield v;
                }
                case UINT16, INT16 -> numbers(n, 2).toArray(U16);
                case UINT32, INT32 -> numbers(n, 4).toArray(U32);
                case FLOAT32 -> numbers(n, 4).toArray(F32);
                case UINT64, INT64 -> numbers(n, 8).toArray(U64);
                case FLOAT64 -> numbers(n, 8).toArray(F64);
                case STRING, ARRAY -> {
                    // Grown as elements are read, so memory follows the bytes actually present, not the count.
                    Object[] v = et == GgufValueType.STRING ? new String[Math.min(n, 1024)] : new GgufArray[Math.min(n, 1024)];
                    depth++;
                    for (int i = 0; i < n; i++) {
                        path[depth - 1] = i;
                        if (i == v.length) v = Arrays.copyOf(v, (int) Math.min(n, 2L * v.length));
                        v[i] = et == GgufValueType.STRING ? string("string") : value(GgufValueType.ARRAY);
                    }
                    depth--;
                    yield v;
                }
            };
            return new GgufArray(et, values);
        }
    }

    // ---- accessors ----

    /**
     * The exact bytes a string value or name had in the file. Strings are UTF-8; bytes that are not valid UTF-8 are
     * read as the lone surrogates U+DC80..U+DCFF (one per byte), which this turns back into the raw bytes.
     */
    public static byte[] stringBytes(String s) {
        return GgufStrings.encode(s);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** Absolute file offset of the tensor data section. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return segment.byteSize();
    }

    /** The whole mapped file. */
    public MemorySegment segment() {
        return segment;
    }

    /** All metadata, in file order. */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    /** All tensors, in file order. */
    public Map<String, GgufTensor> tensors() {
        return tensors;
    }

    public GgufTensor tensor(String name) {
        return tensors.get(name);
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    /** The architecture name ({@code general.architecture}), or null when absent. */
    public String architecture() {
        return has("general.architecture") ? getString("general.architecture") : null;
    }

    private GgufValue require(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) throw bad("metadata key '" + key + "' is missing");
        return v;
    }

    public String getString(String key) {
        GgufValue v = require(key);
        if (v.type() != GgufValueType.STRING) throw bad("metadata key '" + key + "': expected a string, found " + v.type().ggufName());
        return (String) v.value();
    }

    public String getString(String key, String dflt) {
        return has(key) ? getString(key) : dflt;
    }

    /** An integer value of any integer type, checked to fit in a long (uint64 above 2^63 is refused). */
    public long getLong(String key) {
        GgufValue v = require(key);
        return switch (v.type()) {
            case UINT8, INT8, UINT16, INT16, INT32 -> ((Integer) v.value()).longValue();
            case UINT32 -> Integer.toUnsignedLong((Integer) v.value());
            case INT64 -> (Long) v.value();
            case UINT64 -> {
                long x = (Long) v.value();
                if (x < 0) throw bad("metadata key '" + key + "': value " + Long.toUnsignedString(x) + " is too large");
                yield x;
            }
            default -> throw bad("metadata key '" + key + "': expected an integer, found " + v.type().ggufName());
        };
    }

    /** An integer value that must lie in [min, max]. */
    public int getInt(String key, int min, int max) {
        long x = getLong(key);
        if (x < min || x > max) throw bad("metadata key '" + key + "': value " + x + " is out of range [" + min + ", " + max + "]");
        return (int) x;
    }

    public int getInt(String key, int min, int max, int dflt) {
        return has(key) ? getInt(key, min, max) : dflt;
    }

    public double getDouble(String key) {
        GgufValue v = require(key);
        return switch (v.type()) {
            case FLOAT32 -> (Float) v.value();
            case FLOAT64 -> (Double) v.value();
            case UINT8, INT8, UINT16, INT16, INT32, UINT32, INT64, UINT64 -> getLong(key);
            default -> throw bad("metadata key '" + key + "': expected a number, found " + v.type().ggufName());
        };
    }

    public double getDouble(String key, double dflt) {
        return has(key) ? getDouble(key) : dflt;
    }

    public boolean getBool(String key, boolean dflt) {
        if (!has(key)) return dflt;
        GgufValue v = require(key);
        if (v.type() != GgufValueType.BOOL) throw bad("metadata key '" + key + "': expected a bool, found " + v.type().ggufName());
        return (Boolean) v.value();
    }

    public GgufArray getArray(String key) {
        GgufValue v = require(key);
        if (v.type() != GgufValueType.ARRAY) throw bad("metadata key '" + key + "': expected an array, found " + v.type().ggufName());
        return (GgufArray) v.value();
    }

    public String[] getStringArray(String key) {
        GgufArray a = getArray(key);
        if (a.elementType() != GgufValueType.STRING) throw bad("metadata key '" + key + "': expected an array of strings, found " + a.elementType().ggufName() + " elements");
        return (String[]) a.values();
    }

    /** An array of strings as the exact bytes stored in the file (vocabularies may hold pieces that are not UTF-8). */
    public byte[][] getStringArrayBytes(String key) {
        String[] v = getStringArray(key);
        byte[][] out = new byte[v.length][];
        for (int i = 0; i < v.length; i++) out[i] = stringBytes(v[i]);
        return out;
    }

    public float[] getFloatArray(String key) {
        GgufArray a = getArray(key);
        if (a.elementType() == GgufValueType.FLOAT32) return (float[]) a.values();
        if (a.elementType() == GgufValueType.FLOAT64) {
            double[] d = (double[]) a.values();
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            return f;
        }
        throw bad("metadata key '" + key + "': expected an array of floats, found " + a.elementType().ggufName() + " elements");
    }

    /** An array of any 8/16/32-bit integer type as ints (unsigned types zero-extended, checked to fit). */
    public int[] getIntArray(String key) {
        GgufArray a = getArray(key);
        Object v = a.values();
        boolean unsigned = a.elementType() == GgufValueType.UINT8 || a.elementType() == GgufValueType.UINT16 || a.elementType() == GgufValueType.UINT32;
        switch (a.elementType()) {
            case UINT8, INT8, BOOL -> {
                byte[] b = (byte[]) v;
                int[] r = new int[b.length];
                for (int i = 0; i < b.length; i++) r[i] = unsigned ? b[i] & 0xFF : b[i];
                return r;
            }
            case UINT16, INT16 -> {
                short[] s = (short[]) v;
                int[] r = new int[s.length];
                for (int i = 0; i < s.length; i++) r[i] = unsigned ? s[i] & 0xFFFF : s[i];
                return r;
            }
            case UINT32, INT32 -> {
                int[] s = (int[]) v;
                if (unsigned) for (int x : s) if (x < 0) throw bad("metadata key '" + key + "': value " + Integer.toUnsignedString(x) + " is too large");
                return s;
            }
            default -> throw bad("metadata key '" + key + "': expected an array of integers, found " + a.elementType().ggufName() + " elements");
        }
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }
}
