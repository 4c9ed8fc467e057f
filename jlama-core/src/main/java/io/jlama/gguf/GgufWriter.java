package io.jlama.gguf;

import io.jlama.gguf.GgufFile.GgufValue;
import io.jlama.tensor.GgmlType;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF file (version 3 by default, or 2: the two are laid out alike in little-endian).
 *
 * <p>Metadata and tensor descriptions are collected first; {@link #write} then writes the header, the metadata, the
 * tensor infos, and streams each tensor's data from its {@link TensorData} in the order the tensors were added, each
 * at an offset that is a multiple of the alignment ({@code general.alignment}, 32 when the key is absent), padded
 * with zeros. Only the header is held in memory. Values use the representation {@link GgufFile} reads them as (see
 * {@link #put(String, GgufValueType, Object)}), so a file read can be written back unchanged.
 *
 * <p>Everything is checked when it is added, so that whatever this writer writes, {@link GgufFile} reads: keys are
 * printable ASCII, tensor names are at most {@value #MAX_TENSOR_NAME_BYTES} bytes (ggml's limit), shapes have 1 to 4
 * dimensions whose row length is a multiple of the type's block size, arrays nest at most
 * {@value GgufFile#MAX_ARRAY_DEPTH} deep.
 */
public final class GgufWriter {
    /** The longest tensor name ggml can load (GGML_MAX_NAME less its terminating zero). */
    public static final int MAX_TENSOR_NAME_BYTES = 63;
    private static final int MAX_KEY_BYTES = 65535;
    private static final int CHUNK = 1 << 20;

    /** The source of one tensor's bytes, asked to write exactly the tensor's byte size to {@code out}. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(WritableByteChannel out) throws IOException;

        /** Data already in memory or mapped from a file; written in chunks, so it may exceed 2 GiB. */
        static TensorData of(MemorySegment data) {
            return out -> {
                // Native (and mapped) segments and byte[] segments can be viewed as buffers; others are copied.
                boolean view = data.isNative() || data.heapBase().orElse(null) instanceof byte[];
                ByteBuffer copy = view ? null : ByteBuffer.allocate((int) Math.min(CHUNK, data.byteSize()));
                for (long off = 0; off < data.byteSize(); off += CHUNK) {
                    MemorySegment part = data.asSlice(off, Math.min(CHUNK, data.byteSize() - off));
                    if (view) {
                        writeFully(out, part.asByteBuffer());
                    } else {
                        copy.clear().limit((int) part.byteSize());
                        MemorySegment.copy(part, 0, MemorySegment.ofBuffer(copy), 0, part.byteSize());
                        writeFully(out, copy);
                    }
                }
            };
        }

        static TensorData of(byte[] data) {
            return of(MemorySegment.ofArray(data));
        }
    }

    private record Tensor(String name, GgmlType type, long[] ne, long byteSize, TensorData data) {
    }

    private final int version;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    /** A writer for GGUF version 3. */
    public GgufWriter() {
        this(3);
    }

    public GgufWriter(int version) {
        if (version != 2 && version != 3) throw new IllegalArgumentException("GGUF version " + version + " cannot be written (only 2 and 3)");
        this.version = version;
    }

    // ---- metadata ----

    /**
     * Sets a metadata value, replacing any earlier value of the key in place (keys keep the order they were first
     * set in). The value is represented as {@link GgufFile} reads it: Integer for uint8, int8, uint16, int16 (range
     * checked), uint32 (bit pattern) and int32; Long for uint64 (bit pattern) and int64; Float, Double, Boolean,
     * String; {@link GgufArray} for arrays.
     */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        checkKey(key);
        checkValue(key, type, value, 0);
        if (key.equals("general.alignment")) {
            if (type != GgufValueType.UINT32) throw new IllegalArgumentException("general.alignment must be a uint32, not " + type.ggufName());
            checkAlignment((Integer) value);
        }
        metadata.put(key, new GgufValue(type, value));
        return this;
    }

    public GgufWriter put(String key, GgufValue value) {
        return put(key, value.type(), value.value());
    }

    /** Copies all metadata of a file, in its order. */
    public GgufWriter putAll(GgufFile file) {
        file.metadata().forEach(this::put);
        return this;
    }

    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    public GgufWriter putUInt8(String key, int v) {
        return put(key, GgufValueType.UINT8, v);
    }

    public GgufWriter putInt8(String key, int v) {
        return put(key, GgufValueType.INT8, v);
    }

    public GgufWriter putUInt16(String key, int v) {
        return put(key, GgufValueType.UINT16, v);
    }

    public GgufWriter putInt16(String key, int v) {
        return put(key, GgufValueType.INT16, v);
    }

    /** A uint32 in [0, 2^32). */
    public GgufWriter putUInt32(String key, long v) {
        if (v < 0 || v > 0xFFFF_FFFFL) throw new IllegalArgumentException(key + ": " + v + " is not a uint32");
        return put(key, GgufValueType.UINT32, (int) v);
    }

    public GgufWriter putInt32(String key, int v) {
        return put(key, GgufValueType.INT32, v);
    }

    /** A uint64, given as its bit pattern. */
    public GgufWriter putUInt64(String key, long v) {
        return put(key, GgufValueType.UINT64, v);
    }

    public GgufWriter putInt64(String key, long v) {
        return put(key, GgufValueType.INT64, v);
    }

    public GgufWriter putFloat32(String key, float v) {
        return put(key, GgufValueType.FLOAT32, v);
    }

    public GgufWriter putFloat64(String key, double v) {
        return put(key, GgufValueType.FLOAT64, v);
    }

    public GgufWriter putBool(String key, boolean v) {
        return put(key, GgufValueType.BOOL, v);
    }

    public GgufWriter putString(String key, String v) {
        return put(key, GgufValueType.STRING, v);
    }

    public GgufWriter putArray(String key, GgufArray v) {
        return put(key, GgufValueType.ARRAY, v);
    }

    public GgufWriter putStrings(String key, String... v) {
        return putArray(key, new GgufArray(GgufValueType.STRING, v.clone()));
    }

    /** Sets {@code general.alignment}: a power of two. */
    public GgufWriter alignment(int alignment) {
        return putUInt32("general.alignment", alignment);
    }

    /** The alignment the file will be written with. */
    public int alignment() {
        GgufValue a = metadata.get("general.alignment");
        return a == null ? GgufFile.DEFAULT_ALIGNMENT : (Integer) a.value();
    }

    // ---- tensors ----

    /** Adds a tensor; its data is asked for when the file is written, in the order tensors were added. */
    public GgufWriter addTensor(String name, GgmlType type, long[] ne, TensorData data) {
        byte[] b = GgufStrings.encode(name);
        if (b.length == 0 || b.length > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + GgufStrings.printable(name) + "' must be 1.." + MAX_TENSOR_NAME_BYTES + " bytes, not " + b.length);
        }
        if (tensorNames.contains(name)) throw new IllegalArgumentException("tensor '" + name + "' is already added");
        if (ne.length < 1 || ne.length > GgufFile.MAX_DIMS) throw new IllegalArgumentException("tensor '" + name + "': " + ne.length + " dimensions, not 1.." + GgufFile.MAX_DIMS);
        long elements = 1;
        for (long d : ne) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension " + d);
            elements = Math.multiplyExact(elements, d);
        }
        if (ne[0] % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': row length " + ne[0] + " is not a multiple of the " + type + " block size " + type.blockSize);
        }
        long bytes = Math.multiplyExact(elements / type.blockSize, (long) type.typeSize);
        tensorNames.add(name);
        tensors.add(new Tensor(name, type, ne.clone(), bytes, data));
        return this;
    }

    /** Adds a tensor whose data is in memory or mapped; its size must be the tensor's byte size. */
    public GgufWriter addTensor(String name, GgmlType type, long[] ne, MemorySegment data) {
        addTensor(name, type, ne, TensorData.of(data));
        long want = tensors.getLast().byteSize();
        if (data.byteSize() != want) {
            tensors.removeLast();
            tensorNames.remove(name);
            throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize() + " bytes of data given, its shape needs " + want);
        }
        return this;
    }

    // ---- writing ----

    /** Writes the file (replacing any file there); a file left half-written by a failure is deleted. Returns its size. */
    public long write(Path file) throws IOException {
        boolean done = false;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            long n = write(ch);
            done = true;
            return n;
        } finally {
            if (!done) Files.deleteIfExists(file);
        }
    }

    /** Writes the file to a stream, which is left open. Returns the number of bytes written. */
    public long write(OutputStream out) throws IOException {
        long n = write(Channels.newChannel(out));
        out.flush();
        return n;
    }

    /** Writes the file to a channel, which is left open. Returns the number of bytes written. */
    public long write(WritableByteChannel out) throws IOException {
        int alignment = alignment();
        Buf h = new Buf();
        h.u32(GgufFile.MAGIC).u32(version).u64(tensors.size()).u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            h.string(e.getKey()).u32(e.getValue().type().id);
            h.value(e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            h.string(t.name).u32(t.ne.length);
            for (long d : t.ne) h.u64(d);
            h.u32(t.type.id).u64(offset);
            offset = GgufFile.alignUp(offset + t.byteSize, alignment);
        }
        long total = GgufFile.alignUp(h.b.position(), alignment);
        h.zeros((int) (total - h.b.position()));
        writeFully(out, h.b.flip());
        for (Tensor t : tensors) {
            Bounded bounded = new Bounded(out, t);
            t.data.writeTo(bounded);
            if (bounded.left != 0) {
                throw new IOException("tensor '" + t.name + "': its data source wrote " + (t.byteSize - bounded.left) + " bytes, the tensor has " + t.byteSize);
            }
            long padded = GgufFile.alignUp(t.byteSize, alignment);
            for (long z = padded - t.byteSize; z > 0; ) {
                ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(z, CHUNK));
                z -= zeros.remaining();
                writeFully(out, zeros);
            }
            total += padded;
        }
        return total;
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
    }

    /** Passes one tensor's bytes through, refusing more than the tensor's size. */
    private static final class Bounded implements WritableByteChannel {
        private final WritableByteChannel out;
        private final Tensor t;
        long left;

        Bounded(WritableByteChannel out, Tensor t) {
            this.out = out;
            this.t = t;
            this.left = t.byteSize;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (n > left) throw new IOException("tensor '" + t.name + "': its data source wrote more than the tensor's " + t.byteSize + " bytes");
            writeFully(out, src);
            left -= n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() {
            // the target stays open: it belongs to the writer
        }
    }

    // ---- checks ----

    private static void checkKey(String key) {
        if (key.isEmpty() || key.length() > MAX_KEY_BYTES) throw new IllegalArgumentException("metadata key must be 1.." + MAX_KEY_BYTES + " bytes");
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c > 0x7E) throw new IllegalArgumentException("metadata key '" + GgufStrings.printable(key) + "' is not printable ASCII");
        }
    }

    static void checkAlignment(int a) {
        if (a <= 0 || Integer.bitCount(a) != 1) throw new IllegalArgumentException("alignment " + Integer.toUnsignedString(a) + " is not a power of two in [1, 2^30]");
    }

    private static void checkValue(String key, GgufValueType type, Object v, int depth) {
        boolean ok = switch (type) {
            case UINT8 -> v instanceof Integer i && i >= 0 && i <= 0xFF;
            case INT8 -> v instanceof Integer i && i >= Byte.MIN_VALUE && i <= Byte.MAX_VALUE;
            case UINT16 -> v instanceof Integer i && i >= 0 && i <= 0xFFFF;
            case INT16 -> v instanceof Integer i && i >= Short.MIN_VALUE && i <= Short.MAX_VALUE;
            case UINT32, INT32 -> v instanceof Integer;
            case UINT64, INT64 -> v instanceof Long;
            case FLOAT32 -> v instanceof Float;
            case FLOAT64 -> v instanceof Double;
            case BOOL -> v instanceof Boolean;
            case STRING -> v instanceof String s && encodable(s);
            case ARRAY -> v instanceof GgufArray a && checkArray(key, a, depth);
        };
        if (!ok) throw new IllegalArgumentException("metadata key '" + key + "': " + v + " is not a valid " + type.ggufName() + " value");
    }

    /** False for a string with an unpaired surrogate that is not an escaped byte (see {@link GgufFile#stringBytes}). */
    private static boolean encodable(String s) {
        try {
            GgufStrings.encode(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean checkArray(String key, GgufArray a, int depth) {
        if (depth >= GgufFile.MAX_ARRAY_DEPTH) throw new IllegalArgumentException("metadata key '" + key + "': arrays nested deeper than " + GgufFile.MAX_ARRAY_DEPTH);
        Object v = a.values();
        boolean ok = switch (a.elementType()) {
            case UINT8, INT8 -> v instanceof byte[];
            case BOOL -> {
                if (!(v instanceof byte[] b)) yield false;
                for (byte x : b) if (x != 0 && x != 1) throw new IllegalArgumentException("metadata key '" + key + "': bool array holds " + x);
                yield true;
            }
            case UINT16, INT16 -> v instanceof short[];
            case UINT32, INT32 -> v instanceof int[];
            case UINT64, INT64 -> v instanceof long[];
            case FLOAT32 -> v instanceof float[];
            case FLOAT64 -> v instanceof double[];
            case STRING -> {
                if (!(v instanceof String[] s)) yield false;
                for (String x : s) if (x == null || !encodable(x)) yield false;
                yield true;
            }
            case ARRAY -> {
                if (!(v instanceof GgufArray[] s)) yield false;
                for (GgufArray x : s) if (x == null || !checkArray(key, x, depth + 1)) yield false;
                yield true;
            }
        };
        if (ok && (a.elementType() == GgufValueType.STRING || a.elementType() == GgufValueType.ARRAY) && a.length() > GgufFile.MAX_OBJECT_ARRAY_LENGTH) {
            throw new IllegalArgumentException("metadata key '" + key + "': array of " + a.length() + " " + a.elementType().ggufName() + " values is longer than "
                    + GgufFile.MAX_OBJECT_ARRAY_LENGTH);
        }
        return ok;
    }

    // ---- header serialization ----

    /** A growable little-endian buffer for the header. */
    private static final class Buf {
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private Buf room(long n) {
            if (b.remaining() < n) {
                long want = Math.max((long) b.capacity() * 2, b.position() + n);
                if (want > Integer.MAX_VALUE - 16) throw new IllegalStateException("GGUF header larger than 2 GiB");
                b = ByteBuffer.allocate((int) want).order(ByteOrder.LITTLE_ENDIAN).put(b.flip());
            }
            return this;
        }

        Buf u8(int v) {
            room(1).b.put((byte) v);
            return this;
        }

        Buf u32(int v) {
            room(4).b.putInt(v);
            return this;
        }

        Buf u64(long v) {
            room(8).b.putLong(v);
            return this;
        }

        Buf zeros(int n) {
            room(n).b.put(new byte[n]);
            return this;
        }

        Buf string(String s) {
            byte[] bytes = GgufStrings.encode(s);
            u64(bytes.length);
            room(bytes.length).b.put(bytes);
            return this;
        }

        void value(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> u8((Integer) v);
                case UINT16, INT16 -> room(2).b.putShort((short) (int) (Integer) v);
                case UINT32, INT32 -> u32((Integer) v);
                case UINT64, INT64 -> u64((Long) v);
                case FLOAT32 -> room(4).b.putFloat((Float) v);
                case FLOAT64 -> room(8).b.putDouble((Double) v);
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> array((GgufArray) v);
            }
        }

        void array(GgufArray a) {
            u32(a.elementType().id).u64(a.length());
            switch (a.values()) {
                case byte[] v -> room(v.length).b.put(v);
                case short[] v -> {
                    room(2L * v.length);
                    for (short x : v) b.putShort(x);
                }
                case int[] v -> {
                    room(4L * v.length);
                    for (int x : v) b.putInt(x);
                }
                case long[] v -> {
                    room(8L * v.length);
                    for (long x : v) b.putLong(x);
                }
                case float[] v -> {
                    room(4L * v.length);
                    for (float x : v) b.putFloat(x);
                }
                case double[] v -> {
                    room(8L * v.length);
                    for (double x : v) b.putDouble(x);
                }
                case String[] v -> {
                    for (String x : v) string(x);
                }
                case GgufArray[] v -> {
                    for (GgufArray x : v) array(x);
                }
                default -> throw new AssertionError(a);
            }
        }
    }
}
