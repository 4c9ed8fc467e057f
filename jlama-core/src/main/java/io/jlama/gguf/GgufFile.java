package io.jlama.gguf;

import io.jlama.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3), memory-mapped whole into one {@link MemorySegment}. Weights are never copied:
 * each {@link GgufTensor} is a slice of the mapping. Everything read from the file is validated before it is used,
 * so a malformed file fails here with a {@link ModelFormatException} naming the key or tensor, never later.
 * Closing the file unmaps it; tensors must not be used after that.
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian uint32. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;
    /** Deeper array nesting than this is refused (real files nest at most once). */
    static final int MAX_ARRAY_DEPTH = 8;

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
    /** File offset of each metadata value (just after its type id), for {@link #getStringArrayBytes}. */
    private final Map<String, Long> valueOffsets = new java.util.HashMap<>();
    private final Map<String, GgufTensor> tensors;
    private final int alignment;
    private final long dataOffset;

    /** One metadata value with its declared type. */
    public record GgufValue(GgufValueType type, Object value) {
    }

    private GgufFile(Path path, Arena arena, MemorySegment segment) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        Reader r = new Reader();
        int magic = r.u32("magic");
        if (magic != MAGIC) {
            throw bad(String.format("not a GGUF file: magic is 0x%08x, expected 0x%08x (\"GGUF\")", magic, MAGIC));
        }
        version = r.u32("version");
        if (version == 1) throw bad("GGUF version 1 is not supported (only 2 and 3); re-convert the model");
        if (version != 2 && version != 3) throw bad("unsupported GGUF version " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
        long tensorCount = r.u64("tensor_count");
        long kvCount = r.u64("metadata_kv_count");
        // Each kv needs at least 8 (key length) + 4 (type) + 1 bytes; each tensor info at least 8 + 4 + 4 + 8 bytes.
        if (kvCount < 0 || kvCount > r.remaining() / 13) {
            throw bad("metadata_kv_count " + Long.toUnsignedString(kvCount) + " is impossible for a file of " + segment.byteSize() + " bytes");
        }
        if (tensorCount < 0 || tensorCount > r.remaining() / 24) {
            throw bad("tensor_count " + Long.toUnsignedString(tensorCount) + " is impossible for a file of " + segment.byteSize() + " bytes");
        }
        Map<String, GgufValue> md = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = r.string("key of metadata entry " + i);
            if (md.containsKey(key)) throw bad("metadata key '" + key + "' appears twice");
            int typeId = r.u32("type of metadata key '" + key + "'");
            GgufValueType type = GgufValueType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) throw bad("metadata key '" + key + "': unknown value type " + Integer.toUnsignedString(typeId));
            valueOffsets.put(key, r.pos);
            md.put(key, new GgufValue(type, r.value(type, key, 0)));
        }
        metadata = Collections.unmodifiableMap(md);

        int align = DEFAULT_ALIGNMENT;
        GgufValue a = md.get("general.alignment");
        if (a != null) {
            if (a.type() != GgufValueType.UINT32) throw bad("metadata key 'general.alignment': expected uint32, found " + a.type().ggufName());
            align = (Integer) a.value();
            if (align <= 0 || Integer.bitCount(align) != 1) throw bad("metadata key 'general.alignment': " + Integer.toUnsignedString(align) + " is not a power of two");
        }
        alignment = align;

        record Info(String name, GgmlType type, long[] ne, long offset) {
        }
        Info[] infos = new Info[(int) tensorCount];
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (int i = 0; i < tensorCount; i++) {
            String name = r.string("name of tensor " + i);
            if (seen.containsKey(name)) throw bad("tensor '" + name + "' appears twice");
            seen.put(name, i);
            int nDims = r.u32("tensor '" + name + "': n_dims");
            if (nDims < 1 || nDims > MAX_DIMS) throw bad("tensor '" + name + "': n_dims " + Integer.toUnsignedString(nDims) + " is not in 1.." + MAX_DIMS);
            long[] ne = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                ne[d] = r.u64("tensor '" + name + "': ne[" + d + "]");
                if (ne[d] < 0) throw bad("tensor '" + name + "': ne[" + d + "] = " + Long.toUnsignedString(ne[d]) + " is too large");
            }
            int typeId = r.u32("tensor '" + name + "': type");
            GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) throw bad("tensor '" + name + "': unknown ggml type " + Integer.toUnsignedString(typeId));
            long offset = r.u64("tensor '" + name + "': offset");
            infos[i] = new Info(name, type, ne, offset);
        }
        long headerEnd = r.pos;
        dataOffset = alignUp(headerEnd, alignment);
        if (tensorCount > 0 && dataOffset > segment.byteSize()) {
            throw bad("file ends at byte " + segment.byteSize() + " before the tensor data section at " + dataOffset + " (truncated)");
        }
        long dataSize = Math.max(0, segment.byteSize() - dataOffset);

        Map<String, GgufTensor> ts = new LinkedHashMap<>();
        for (Info info : infos) {
            String where = "tensor '" + info.name + "'";
            long elements = 1;
            for (int d = 0; d < info.ne.length; d++) {
                try {
                    elements = Math.multiplyExact(elements, info.ne[d]);
                } catch (ArithmeticException e) {
                    throw bad(where + ": the product of its dimensions overflows");
                }
            }
            if (info.ne[0] % info.type.blockSize != 0) {
                throw bad(where + ": row length ne[0] = " + info.ne[0] + " is not a multiple of the " + info.type + " block size " + info.type.blockSize);
            }
            long bytes;
            try {
                bytes = Math.multiplyExact(elements / info.type.blockSize, (long) info.type.typeSize);
            } catch (ArithmeticException e) {
                throw bad(where + ": its byte size overflows");
            }
            if (info.offset < 0 || info.offset % alignment != 0) {
                throw bad(where + ": data offset " + Long.toUnsignedString(info.offset) + " is not a multiple of the alignment " + alignment);
            }
            if (info.offset > dataSize || bytes > dataSize - info.offset) {
                throw bad(where + ": data [" + info.offset + ", " + Long.toUnsignedString(info.offset + bytes) + ") lies past the end of the data section ("
                        + dataSize + " bytes; file truncated?)");
            }
            MemorySegment slice = segment.asSlice(dataOffset + info.offset, bytes);
            ts.put(info.name, new GgufTensor(info.name, info.type, info.ne, dataOffset + info.offset, bytes, slice));
        }
        tensors = Collections.unmodifiableMap(ts);
    }

    /**
     * Opens and validates a GGUF file. Throws {@link ModelFormatException} for a missing, unreadable or malformed file.
     */
    public static GgufFile open(Path path) {
        if (!Files.exists(path)) throw new ModelFormatException(path, "no such file");
        if (Files.isDirectory(path)) throw new ModelFormatException(path, "is a directory, not a GGUF file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 24) {
                arena.close();
                throw new ModelFormatException(path, "file is " + size + " bytes, too short for a GGUF header (24 bytes)");
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            try {
                return new GgufFile(path, arena, seg);
            } catch (RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelFormatException(path, "no such file");
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(path, "cannot read: " + e.getMessage(), e);
        }
    }

    private ModelFormatException bad(String what) {
        return new ModelFormatException(path, what);
    }

    static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    /** Sequential reader over the header, checking every read against the file size. */
    private final class Reader {
        long pos;

        long remaining() {
            return segment.byteSize() - pos;
        }

        private void need(long n, String what) {
            if (n < 0 || n > remaining()) {
                throw bad(what + ": needs " + Long.toUnsignedString(n) + " bytes at offset " + pos + " but the file ends at " + segment.byteSize() + " (truncated?)");
            }
        }

        int u32(String what) {
            need(4, what);
            int v = segment.get(U32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = segment.get(U64, pos);
            pos += 8;
            return v;
        }

        String string(String what) {
            long len = u64(what + " (string length)");
            if (len < 0 || len > remaining()) {
                throw bad(what + ": string length " + Long.toUnsignedString(len) + " runs past the end of the file at " + segment.byteSize());
            }
            if (len > Integer.MAX_VALUE - 16) throw bad(what + ": string length " + len + " is too large");
            byte[] b = segment.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                // Vocabularies may hold byte pieces that are not valid UTF-8 on their own; keep them byte for byte.
                return new String(b, StandardCharsets.ISO_8859_1);
            }
        }

        Object value(GgufValueType type, String key, int depth) {
            String what = "metadata key '" + key + "'";
            switch (type) {
                case UINT8, INT8 -> {
                    need(1, what);
                    byte v = segment.get(ValueLayout.JAVA_BYTE, pos++);
                    return type == GgufValueType.UINT8 ? Integer.valueOf(v & 0xFF) : Integer.valueOf(v);
                }
                case BOOL -> {
                    need(1, what);
                    byte v = segment.get(ValueLayout.JAVA_BYTE, pos++);
                    if (v != 0 && v != 1) throw bad(what + ": bool value " + (v & 0xFF) + " is neither 0 nor 1");
                    return v == 1;
                }
                case UINT16, INT16 -> {
                    need(2, what);
                    short v = segment.get(U16, pos);
                    pos += 2;
                    return type == GgufValueType.UINT16 ? Integer.valueOf(v & 0xFFFF) : Integer.valueOf(v);
                }
                case UINT32, INT32 -> {
                    int v = u32(what);
                    return v; // a uint32 keeps its bit pattern; getters convert with Integer.toUnsignedLong
                }
                case FLOAT32 -> {
                    need(4, what);
                    float v = segment.get(F32, pos);
                    pos += 4;
                    return v;
                }
                case UINT64, INT64 -> {
                    return u64(what);
                }
                case FLOAT64 -> {
                    need(8, what);
                    double v = segment.get(F64, pos);
                    pos += 8;
                    return v;
                }
                case STRING -> {
                    return string(what);
                }
                case ARRAY -> {
                    if (depth >= MAX_ARRAY_DEPTH) throw bad(what + ": arrays nested deeper than " + MAX_ARRAY_DEPTH);
                    int elemId = u32(what + " (array element type)");
                    GgufValueType et = GgufValueType.byId(Integer.toUnsignedLong(elemId));
                    if (et == null) throw bad(what + ": unknown array element type " + Integer.toUnsignedString(elemId));
                    long n = u64(what + " (array length)");
                    if (n < 0 || n > remaining() / et.minBytes || n > Integer.MAX_VALUE - 16) {
                        throw bad(what + ": array of " + Long.toUnsignedString(n) + " " + et.ggufName() + " values cannot fit in the "
                                + remaining() + " bytes left in the file");
                    }
                    return array(et, (int) n, key, depth);
                }
            }
            throw new AssertionError(type);
        }

        private GgufArray array(GgufValueType et, int n, String key, int depth) {
            String what = "metadata key '" + key + "'";
            switch (et) {
                case UINT8, INT8, BOOL -> {
                    need(n, what);
                    byte[] v = segment.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
                    pos += n;
                    return new GgufArray(et, v);
                }
                case UINT16, INT16 -> {
                    need(2L * n, what);
                    short[] v = segment.asSlice(pos, 2L * n).toArray(U16);
                    pos += 2L * n;
                    return new GgufArray(et, v);
                }
                case UINT32, INT32 -> {
                    need(4L * n, what);
                    int[] v = segment.asSlice(pos, 4L * n).toArray(U32);
                    pos += 4L * n;
                    return new GgufArray(et, v);
                }
                case FLOAT32 -> {
                    need(4L * n, what);
                    float[] v = segment.asSlice(pos, 4L * n).toArray(F32);
                    pos += 4L * n;
                    return new GgufArray(et, v);
                }
                case UINT64, INT64 -> {
                    need(8L * n, what);
                    long[] v = segment.asSlice(pos, 8L * n).toArray(U64);
                    pos += 8L * n;
                    return new GgufArray(et, v);
                }
                case FLOAT64 -> {
                    need(8L * n, what);
                    double[] v = segment.asSlice(pos, 8L * n).toArray(F64);
                    pos += 8L * n;
                    return new GgufArray(et, v);
                }
                case STRING -> {
                    String[] v = new String[n];
                    for (int i = 0; i < n; i++) v[i] = string(what + " [" + i + "]");
                    return new GgufArray(et, v);
                }
                case ARRAY -> {
                    GgufArray[] v = new GgufArray[n];
                    for (int i = 0; i < n; i++) v[i] = (GgufArray) value(GgufValueType.ARRAY, key + "[" + i + "]", depth + 1);
                    return new GgufArray(et, v);
                }
            }
            throw new AssertionError(et);
        }
    }

    // ---- accessors ----

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

    /**
     * The strings of a string array exactly as stored, byte for byte. Unlike {@link #getStringArray}, which has to
     * decode a string that is not valid UTF-8 as ISO-8859-1, this keeps every byte (tokenizer vocabularies need that).
     */
    public byte[][] getStringArrayBytes(String key) {
        int n = getStringArray(key).length; // checks presence and element type
        long pos = valueOffsets.get(key) + 4 + 8; // element type (u32) and length (u64); validated when the file was opened
        byte[][] out = new byte[n][];
        for (int i = 0; i < n; i++) {
            long len = segment.get(U64, pos);
            out[i] = segment.asSlice(pos + 8, len).toArray(ValueLayout.JAVA_BYTE);
            pos += 8 + len;
        }
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
