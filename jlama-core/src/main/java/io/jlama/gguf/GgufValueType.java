package io.jlama.gguf;

/** The metadata value types of the GGUF format, with their on-disk ids. */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    STRING(8, 8), ARRAY(9, 12), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    /** The id written in the file. */
    public final int id;
    /** The fewest bytes one value of this type takes in a file (a string's length prefix, an array's header). */
    public final int minBytes;

    GgufValueType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    private static final GgufValueType[] BY_ID = new GgufValueType[13];

    static {
        for (GgufValueType t : values()) BY_ID[t.id] = t;
    }

    /** The type with this id, or null when the id is unknown. */
    public static GgufValueType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    public String ggufName() {
        return name().toLowerCase();
    }
}
