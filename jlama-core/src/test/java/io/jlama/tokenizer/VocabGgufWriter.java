package io.jlama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes small vocabulary-only GGUF files (no tensors) for tokenizer tests. */
final class VocabGgufWriter {
    private final List<byte[]> kvs = new ArrayList<>();
    private final ByteOrder le = ByteOrder.LITTLE_ENDIAN;

    private static final int T_UINT32 = 4, T_FLOAT32 = 6, T_BOOL = 7, T_STRING = 8, T_ARRAY = 9, T_INT32 = 5;

    private ByteArrayOutputStream key(String key, int type) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        str(o, key.getBytes(StandardCharsets.UTF_8));
        u32(o, type);
        return o;
    }

    private void u32(ByteArrayOutputStream o, int v) {
        o.writeBytes(ByteBuffer.allocate(4).order(le).putInt(v).array());
    }

    private void u64(ByteArrayOutputStream o, long v) {
        o.writeBytes(ByteBuffer.allocate(8).order(le).putLong(v).array());
    }

    private void str(ByteArrayOutputStream o, byte[] b) {
        u64(o, b.length);
        o.writeBytes(b);
    }

    VocabGgufWriter string(String key, String value) {
        ByteArrayOutputStream o = key(key, T_STRING);
        str(o, value.getBytes(StandardCharsets.UTF_8));
        kvs.add(o.toByteArray());
        return this;
    }

    VocabGgufWriter u32(String key, int value) {
        ByteArrayOutputStream o = key(key, T_UINT32);
        u32(o, value);
        kvs.add(o.toByteArray());
        return this;
    }

    VocabGgufWriter f32(String key, float value) {
        ByteArrayOutputStream o = key(key, T_FLOAT32);
        u32(o, Float.floatToIntBits(value));
        kvs.add(o.toByteArray());
        return this;
    }

    VocabGgufWriter bool(String key, boolean value) {
        ByteArrayOutputStream o = key(key, T_BOOL);
        o.write(value ? 1 : 0);
        kvs.add(o.toByteArray());
        return this;
    }

    VocabGgufWriter strings(String key, List<byte[]> values) {
        ByteArrayOutputStream o = key(key, T_ARRAY);
        u32(o, T_STRING);
        u64(o, values.size());
        for (byte[] v : values) str(o, v);
        kvs.add(o.toByteArray());
        return this;
    }

    VocabGgufWriter floats(String key, float[] values) {
        ByteArrayOutputStream o = key(key, T_ARRAY);
        u32(o, T_FLOAT32);
        u64(o, values.length);
        for (float v : values) u32(o, Float.floatToIntBits(v));
        kvs.add(o.toByteArray());
        return this;
    }

    VocabGgufWriter ints(String key, int[] values) {
        ByteArrayOutputStream o = key(key, T_ARRAY);
        u32(o, T_INT32);
        u64(o, values.length);
        for (int v : values) u32(o, v);
        kvs.add(o.toByteArray());
        return this;
    }

    /** Adds the llama hyper-parameters llama.cpp needs to load a vocab-only file. */
    VocabGgufWriter llamaHparams() {
        string("general.architecture", "llama");
        u32("llama.context_length", 64);
        u32("llama.embedding_length", 8);
        u32("llama.block_count", 1);
        u32("llama.feed_forward_length", 16);
        u32("llama.attention.head_count", 2);
        u32("llama.attention.head_count_kv", 2);
        f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        u32("llama.rope.dimension_count", 4);
        return this;
    }

    void write(Path p) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        u32(o, 0x46554747);
        u32(o, 3);
        u64(o, 0);
        u64(o, kvs.size());
        for (byte[] kv : kvs) o.writeBytes(kv);
        while (o.size() % 32 != 0) o.write(0);
        Files.write(p, o.toByteArray());
    }
}
