package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A weight matrix of one ggml type, viewed as {@code rows x cols} (cols = ne[0], rows = the product of the other
 * dimensions), read in place from the memory-mapped file. Each weight type is one subclass holding its block layout:
 * exact dequantization, a plain scalar dot product, and a Vector API dot product that must agree with the scalar one
 * within float rounding.
 *
 * <p>Models only call {@link #matmul} and {@link #dequantizeRow}; how a type multiplies (float activations, or, for
 * Q4_0, Q5_0, the K-quants Q3_K to Q6_K and IQ4_XS with the vector kernels, activations quantized to int8 blocks as llama.cpp does) stays inside
 * the type.
 */
public abstract class Tensor {
    protected static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    protected static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    protected static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    protected static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;

    /**
     * Row ranges handed to {@link #matmul} should be multiples of this: the GEMM panel height and the largest row
     * group ({@link VectorSupport#int8GroupRows}: 32 rows of Q4_0 at 16 lanes) divide it.
     */
    public static final int ROW_TILE = 32;

    /**
     * Whether block types are repacked at load with each pair of rows interleaved block by block (see
     * {@link #rowBase}). On by default with the vector kernels; {@code -Djlama.repack=false} turns it off.
     */
    static final boolean REPACK_PAIRS = VectorSupport.ENABLED && !"false".equalsIgnoreCase(System.getProperty("jlama.repack"));

    protected final String name;
    protected final GgmlType type;
    /** The bytes the kernels read: the file's, the pair-interleaved copy, or the row-group copy. */
    protected final MemorySegment data;
    /** The bytes as stored in the file. */
    private final MemorySegment fileData;
    protected final int rows;
    protected final int cols;
    protected final long rowBytes;
    /** Rows [0, pairedRows) are stored as interleaved pairs; 0 when the layout is the file's. */
    private final int pairedRows;
    /**
     * Rows per row group ({@link VectorSupport#int8GroupRows}) when the type is repacked into row groups for its
     * int8 kernel (see {@link Q4_0Tensor}, {@link Q5_0Tensor}, {@link Q3_KTensor}, {@link Q4_KTensor}, {@link Q5_KTensor}, {@link Q6_KTensor}, {@link IQ4_XSTensor}), else 0. Rows [0, groupedRows)
     * are grouped; the rest are read from the file's bytes.
     */
    protected final int rowGroup;
    protected final int groupedRows;
    /** Bytes per row and block in the row-group layout (0 without row groups). */
    private final int groupBytes;
    /** Blocks per column block of the row-group layout ({@link #GROUP_COLS} columns, or the whole row). */
    private final int groupColBlocks;
    /** Rows per band of the row-group layout ({@link #GROUP_BAND_ROWS}, rounded to whole row groups). */
    private final int groupBandRows;

    /**
     * Rows longer than {@link #GROUP_SPLIT_COLS} columns are stored in column blocks this wide: all row groups' blocks
     * of columns [0, 1024), then of [1024, 2048), and so on, and the int8 kernels walk a product block by block. A
     * kernel reads each activation pattern once per row group; walking whole 8192-column rows, 72 KB of weights
     * stream between two uses of one pattern and push the 16 KB of patterns out of the 32 KB L1, so they come back
     * from L2 (measured on Zen 4, one thread: Q4_K 8192-column products 13.5 GB/s, the same rows cut into
     * 2048-column matrices 16.5 GB/s). Each block of a thread's rows is still one sequential stream, which matters as
     * much: reading the same bytes out of order is slower. 1024 columns beat 2048 and 4096 on 8192-column Q4_K
     * (32-row groups), Q6_K and Q4_0 products (19-22 against 16-21 GB/s, three alternating rounds), and tied on
     * 2048-column rows, which stay whole.
     */
    static final int GROUP_COLS = 1024;
    /** Rows of at most this many columns are one column block. */
    static final int GROUP_SPLIT_COLS = 2048;
    /**
     * The column blocks are laid out band by band: the grouped rows are cut into bands of this many rows, each band
     * all its column blocks in turn, so that a chunk of a band's rows (a decoding task hands out 128-row chunks of an
     * 8192-column product at two threads) reads one sequential stream instead of one per column block. Starting a
     * stream costs about half a microsecond here (the first misses before the prefetcher follows): with the column
     * blocks of all rows one after another, a chunk read 8 streams, and two threads multiplied the 16 ffn_down
     * matrices of the Q4_K_M 1B model at 23-27 GB/s of file bytes against 29-36 in bands (one thread: unchanged,
     * 17.2-17.7 GB/s; it is bound by its kernel). A multiple of every row group and of {@link #ROW_TILE}.
     */
    static final int GROUP_BAND_ROWS = 128;

    protected Tensor(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        if (cols % type.blockSize != 0) throw new IllegalArgumentException(name + ": " + cols + " columns is not a multiple of " + type.blockSize);
        this.name = name;
        this.type = type;
        this.fileData = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.rowBytes(cols);
        if (data.byteSize() < rowBytes * rows) throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes, need " + rowBytes * rows);
        this.rowGroup = VectorSupport.int8Activations(type, rows) ? VectorSupport.int8GroupRows(type) : 0;
        this.groupedRows = rowGroup > 0 ? rows - rows % rowGroup : 0;
        this.groupBytes = groupedRows == 0 ? 0 : switch (type) {
            case Q4_0 -> Q4_0Tensor.GROUP_BYTES;
            case Q5_0 -> Q5_0Tensor.GROUP_BYTES;
            case Q3_K -> Q3_KTensor.GROUP_BYTES;
            case Q4_K -> Q4_KTensor.GROUP_BYTES;
            case Q5_K -> Q5_KTensor.GROUP_BYTES;
            case Q6_K -> Q6_KTensor.GROUP_BYTES;
            case IQ4_XS -> IQ4_XSTensor.GROUP_BYTES;
            default -> throw new IllegalStateException(type + " has no row-group layout");
        };
        this.groupColBlocks = (cols > GROUP_SPLIT_COLS ? GROUP_COLS : cols) / type.blockSize;
        this.groupBandRows = rowGroup > 0 ? Math.max(1, GROUP_BAND_ROWS / rowGroup) * rowGroup : 1;
        this.pairedRows = REPACK_PAIRS && !VectorSupport.int8Activations(type) && type.isQuantized() && rows >= 2 ? rows & ~1 : 0;
        if (groupedRows > 0) {
            this.data = switch (type) {
                case Q4_0 -> groupRows(data, Q4_0Tensor::packGroupRow);
                case Q5_0 -> groupRows(data, Q5_0Tensor::packGroupRow);
                case Q3_K -> groupRows(data, Q3_KTensor::packGroupRow);
                case Q4_K -> groupRows(data, Q4_KTensor::packGroupRow);
                case Q5_K -> groupRows(data, Q5_KTensor::packGroupRow);
                case Q6_K -> groupRows(data, Q6_KTensor::packGroupRow);
                case IQ4_XS -> groupRows(data, IQ4_XSTensor::packGroupRow);
                default -> throw new IllegalStateException(type + " has no row-group layout");
            };
        } else {
            this.data = pairedRows > 0 ? interleavePairs(data, pairedRows, rows, rowBytes, type.typeSize) : data;
        }
    }

    /** Writes the block of row r (of g) at {@code src[b ..]} into its places in a group's block image. */
    interface GroupPacker {
        void pack(MemorySegment src, long b, byte[] group, int g, int r);
    }

    /**
     * The row-group copy of rows [0, groupedRows): block k of each group of rowGroup rows is {@code groupBytes} per
     * row, laid out by the type's packer, at {@link #groupBase}; rows past the last whole group are not copied (they
     * are read from the file's bytes, {@link #data()}).
     */
    private MemorySegment groupRows(MemorySegment src, GroupPacker packer) {
        int g = rowGroup, nb = cols / type.blockSize;
        // 64 bytes of slack: a kernel loads a vector of scale bytes (16 at 4 lanes) of which it uses the first G, and
        // some types keep scales at the end of a block (Q3_K, Q6_K, IQ4_XS: after the values that use them)
        MemorySegment dst = Arena.ofAuto().allocate((long) groupedRows * nb * groupBytes + 64, 64);
        byte[] group = new byte[g * groupBytes];
        for (int r0 = 0; r0 < groupedRows; r0 += g) {
            for (int k = 0; k < nb; k++) {
                for (int r = 0; r < g; r++) packer.pack(src, (r0 + r) * rowBytes + (long) k * type.typeSize, group, g, r);
                MemorySegment.copy(group, 0, dst, I8, groupBase(r0, k), group.length);
            }
        }
        return dst;
    }

    /**
     * Byte offset in {@link #data} of block k of the row group holding a grouped row: band by band ({@link
     * #GROUP_BAND_ROWS}), in each band column block by column block ({@link #GROUP_COLS}), in each the band's row
     * groups one after another, in each group its blocks of that column block ({@code rowGroup * groupBytes} bytes
     * each). Rows of at most GROUP_SPLIT_COLS columns: group after group.
     */
    final long groupBase(int row, int k) {
        int nb = cols / type.blockSize, kb = k / groupColBlocks * groupColBlocks, width = Math.min(groupColBlocks, nb - kb);
        int band = row / groupBandRows * groupBandRows, bandGroups = Math.min(groupBandRows, groupedRows - band) / rowGroup;
        return (long) band * nb * groupBytes + ((long) kb * bandGroups + (long) ((row - band) / rowGroup) * width + (k - kb)) * rowGroup * groupBytes;
    }

    /** Columns per block of the banded copies of long F16 and Q8_0 rows ({@link #bandedBase}): 4 KB of halfs. */
    static final int BANDED_BLOCK_COLS = 2048;

    /**
     * Byte offset of row r's columns from k0 (a multiple of {@link #BANDED_BLOCK_COLS}) in a copy of the rows laid out
     * band by band ({@link #GROUP_BAND_ROWS} rows), in each band block by block of BANDED_BLOCK_COLS columns, in each
     * block the band's rows one after another (F16Tensor and Q8_0Tensor's one-token copies of long rows; Q8_0 then
     * interleaves each row pair within its block, which keeps these offsets for the pair's first row).
     */
    final long bandedBase(int r, int k0) {
        int band = r / GROUP_BAND_ROWS * GROUP_BAND_ROWS, bandRows = Math.min(GROUP_BAND_ROWS, rows - band);
        return band * rowBytes + type.rowBytes(k0) * bandRows + (r - band) * type.rowBytes(Math.min(BANDED_BLOCK_COLS, cols - k0));
    }

    /**
     * Row ranges handed to {@link #matmul} one after another by one thread are best multiples of this: a band
     * ({@link #GROUP_BAND_ROWS}) when rows are stored in column blocks, so that each range is whole bands, one stream;
     * else {@link #ROW_TILE}.
     */
    public int rowChunkMultiple() {
        return groupedRows > 0 && groupColBlocks < cols / type.blockSize ? groupBandRows : ROW_TILE;
    }

    /** The end of the column block holding block k (see {@link #groupBase}): blocks [k, end) are one stream. */
    final int groupBlockEnd(int k) {
        return Math.min(cols / type.blockSize, (k / groupColBlocks + 1) * groupColBlocks);
    }

    /**
     * A copy in which rows 2p and 2p+1 alternate block by block, so that a kernel walking a pair of rows (or a row
     * and then its neighbour) reads one sequential stream: on these machines two interleaved streams read about 25%
     * faster than two separate ones, which matters because decoding is bound by how fast weights stream in. Like
     * llama.cpp's repacking, this costs one copy of the quantized weights in memory; the file's pages are no longer
     * read afterwards.
     */
    private static MemorySegment interleavePairs(MemorySegment src, int pairedRows, int rows, long rowBytes, int blockBytes) {
        MemorySegment dst = Arena.ofAuto().allocate(rowBytes * rows, 64);
        long blocks = rowBytes / blockBytes;
        byte[] a = new byte[(int) rowBytes], b = new byte[(int) rowBytes], pair = new byte[(int) (2 * rowBytes)];
        for (int r = 0; r < pairedRows; r += 2) {
            MemorySegment.copy(src, I8, r * rowBytes, a, 0, (int) rowBytes);
            MemorySegment.copy(src, I8, (r + 1) * rowBytes, b, 0, (int) rowBytes);
            for (int k = 0; k < blocks; k++) {
                System.arraycopy(a, k * blockBytes, pair, 2 * k * blockBytes, blockBytes);
                System.arraycopy(b, k * blockBytes, pair, (2 * k + 1) * blockBytes, blockBytes);
            }
            MemorySegment.copy(pair, 0, dst, I8, r * rowBytes, pair.length);
        }
        if (pairedRows < rows) MemorySegment.copy(src, pairedRows * rowBytes, dst, pairedRows * rowBytes, rowBytes);
        return dst;
    }

    /**
     * The bytes in the file's layout, rows one after another or in interleaved pairs ({@link #rowBase}): {@link #data}
     * unless the rows are in row groups, then the file's own ({@link #data()}).
     */
    protected final MemorySegment plain() {
        return rowGroup > 0 ? data() : data;
    }

    /** Byte offset in {@link #data} of the first block of a row. */
    protected final long rowBase(int row) {
        return row < pairedRows ? (long) (row >> 1) * 2 * rowBytes + (row & 1) * (long) type.typeSize : row * rowBytes;
    }

    /** Bytes from one block of a row to the next in {@link #data}. */
    protected final long blockStep(int row) {
        return row < pairedRows ? 2L * type.typeSize : type.typeSize;
    }

    protected Tensor(GgufTensor t) {
        this(t.name(), t.type(), t.data(), Math.toIntExact(t.rows()), Math.toIntExact(t.cols()));
    }

    public String name() {
        return name;
    }

    public GgmlType type() {
        return type;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** The tensor's bytes as stored in the file (ggml layout, rows one after another). */
    public MemorySegment data() {
        return fileData;
    }

    /** Writes row {@code row} as floats to {@code dst[off .. off+cols)}, bit-exact with ggml's {@code to_float}. */
    public final void dequantizeRow(int row, float[] dst, int off) {
        dequantize(row, 0, cols, dst, off);
    }

    /**
     * Writes columns {@code [col0, col0+n)} of a row as floats to {@code dst[off ..]}, bit-exact with ggml's
     * {@code to_float}; col0 and n are multiples of the block size. Uses the vector kernel when it is enabled.
     */
    public final void dequantize(int row, int col0, int n, float[] dst, int off) {
        if (VectorSupport.ENABLED) dequantizeVector(row, col0, n, dst, off);
        else dequantizeScalar(row, col0, n, dst, off);
    }

    /** The plain scalar dequantization: the reference twin. */
    protected abstract void dequantizeScalar(int row, int col0, int n, float[] dst, int off);

    /** The Vector API dequantization; must give the same bits as {@link #dequantizeScalar}. */
    protected void dequantizeVector(int row, int col0, int n, float[] dst, int off) {
        dequantizeScalar(row, col0, n, dst, off);
    }

    /** The plain scalar dot product of row {@code row} with {@code x[xOff .. xOff+cols)}: the reference twin. */
    public abstract float dotScalar(int row, float[] x, int xOff);

    /** The Vector API dot product; only called when {@link VectorSupport#ENABLED}. */
    protected abstract float dotVector(int row, float[] x, int xOff);

    /**
     * The Vector API matrix-vector product over rows {@code [r0, r1)}: {@code out[outOff + r] = row r . x[xOff ..]}.
     * Types override it with kernels that walk several rows at once (sharing the activation loads, independent
     * FMA chains) and fold per-block constants out of the inner loop.
     */
    protected void matvecVector(float[] x, int xOff, float[] out, int outOff, int r0, int r1) {
        for (int r = r0; r < r1; r++) out[outOff + r] = dotVector(r, x, xOff);
    }

    /**
     * What {@link #matmul} computes for one token and row, in plain scalar code: the dot product, or for types whose
     * matrix-vector kernel first quantizes the activations to int8 blocks (as llama.cpp does), that product. The
     * reference twin of the matrix-vector kernels.
     */
    float matvecScalar(int row, float[] x, int xOff) {
        if (!int8Activations()) return dotScalar(row, x, xOff);
        Q8Activations a = new Q8Activations(Q8Activations.Kind.of(type));
        a.quantize(x, xOff, cols);
        return int8Dot(row, a);
    }

    /**
     * The activations a batch's float {@link Gemm} multiplies when a type rounds them first, as its matrix-vector
     * kernel does for one token (F16: to halfs), compactly ({@code cols} apart) in a per-thread buffer; null: x as is.
     */
    float[] gemmActivations(float[] x, int xOff, int xStride, int n) {
        return null;
    }

    /** Whether {@link #matmul} quantizes the activations to int8 blocks first (the type's row groups are in use). */
    boolean int8Activations() {
        return rowGroup > 0;
    }

    /**
     * Row {@code row} times int8 activations in plain scalar code, with the bits of the type's row-group kernel
     * {@link #int8Group}: its reference twin. Only for types with row groups.
     */
    float int8Dot(int row, Q8Activations a) {
        throw new UnsupportedOperationException(type + " has no int8 kernel");
    }

    /**
     * {@link #matmul} for fewer than {@link Gemm#MIN_TOKENS} tokens when {@link #int8Activations}: the activations
     * quantized to int8 blocks, whole row groups through the type's vector kernel {@link #int8Group}, other rows
     * through the scalar {@link #int8Dot} (the same bits).
     */
    final void matmulInt8(float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int r0, int r1) {
        Int8Act act = int8Act().prepare(this, x, xOff, xStride, n, cols);
        int g0 = Math.min(r1, (r0 + rowGroup - 1) / rowGroup * rowGroup), g1 = Math.max(g0, Math.min(r1, groupedRows) / rowGroup * rowGroup);
        for (int r = r0; r < g0; r++) int8Rows(act, n, r, out, outOff, outStride);
        int nb = cols / type.blockSize, span = g1 - g0;
        float[] state = nb <= groupColBlocks ? null : act.state(2 * n * span);
        for (int k0 = 0, k1; k0 < nb; k0 = k1) { // column block by column block, each one stream (see GROUP_COLS)
            k1 = groupBlockEnd(k0);
            for (int r = g0; r < g1; r += rowGroup) {
                for (int tok = 0; tok < n; tok++) int8Group(act, tok, r, k0, k1, state, 2 * (tok * span + r - g0), out, outOff + tok * outStride + r);
            }
        }
        for (int r = g1; r < r1; r++) int8Rows(act, n, r, out, outOff, outStride);
    }

    /** Row r of tokens [0, n) through the scalar {@link #int8Dot} (rows outside whole row groups). */
    private void int8Rows(Int8Act act, int n, int r, float[] out, int outOff, int outStride) {
        for (int tok = 0; tok < n; tok++) out[outOff + tok * outStride + r] = int8Dot(r, act.tokens[tok]);
    }

    private static final ThreadLocal<Int8Act[]> INT8_ACT = ThreadLocal.withInitial(() -> new Int8Act[GgmlType.values().length]);

    /** The calling thread's {@link Int8Act} for this type (types with row groups). */
    private Int8Act int8Act() {
        Int8Act[] acts = INT8_ACT.get();
        int i = type.ordinal();
        if (acts[i] == null) acts[i] = new Int8Act(Q8Activations.Kind.of(type), int8PatternCols());
        return acts[i];
    }

    /** The offsets in an activation block of the lane patterns the type's kernel reads (see {@link Int8Act}). */
    int[] int8PatternCols() {
        throw new UnsupportedOperationException(type + " has no int8 kernel");
    }

    /** Adds the type's per-block constants of token tok, from {@code act.tokens[tok]}, to act. */
    void int8Constants(Int8Act act, int tok) {
    }

    /**
     * Rows [row, row + rowGroup) (a whole group) times blocks [k0, k1) (within one column block, {@link
     * #groupBase}) of token tok of act: the vector kernel. It starts from zero sums when k0 is 0, else from those it
     * left at {@code state[so ..]} ({@code 2 * rowGroup} floats); it leaves its sums there when k1 is not the last
     * block, else writes the rows' results to {@code out[o ..]}. Carrying the sums keeps the bits of one pass.
     */
    void int8Group(Int8Act act, int tok, int row, int k0, int k1, float[] state, int so, float[] out, int o) {
        throw new UnsupportedOperationException(type + " has no int8 kernel");
    }

    /**
     * The int8 format in which a batch of n tokens multiplied with this tensor should be prepared ({@link Int8Batch}),
     * or null when the batch takes no int8 activations (other types, fewer than {@link Gemm#MIN_TOKENS} tokens) or
     * goes through the int8 GEMM without a whole tile of row groups. Types without an int8 GEMM get one too: their
     * batch's rounded floats ({@link #int8BatchFloats}).
     */
    public Int8Batch.Format int8BatchFormat(int n) {
        if (!int8Activations() || n < Gemm.MIN_TOKENS || int8GemmBlock() != 0 && Int8Gemm.tiledEnd(this, rows) == 0) return null;
        return Q8Activations.Kind.of(type) == Q8Activations.Kind.Q8_0 ? Int8Batch.Format.Q8_0 : Int8Batch.Format.Q8_K;
    }

    /**
     * Whether a batch in {@link #int8BatchFormat} is multiplied as floats (the int8-rounded values, through the float
     * {@link Gemm}: types with int8 activations but no int8 GEMM), so that a prepared batch should hold those values
     * too ({@link Int8Batch#requestFloats}).
     */
    public boolean int8BatchFloats() {
        return int8Activations() && int8GemmBlock() == 0;
    }

    /** Columns per scale of the {@link Int8Gemm} panel (a divisor of the activation block); 0: no int8 GEMM. */
    int int8GemmBlock() {
        return 0;
    }

    /**
     * Whether the two lanes of a panel row's pair can sum past 16 bits in the {@link Int8Gemm} kernel (then added as two
     * ints): blocks of 16 (Q6_K's values -32..31), and Q5_0's values -16..15.
     */
    boolean int8GemmWide() {
        return int8GemmBlock() < 32;
    }

    /**
     * Whether the panel has per-block offsets, multiplied by the block's activation sum ({@link Int8Batch#xs32}:
     * only with blocks of 32).
     */
    boolean int8GemmOffsets() {
        return false;
    }

    /**
     * Decodes rows {@code [row, row + 2L)} (whole row groups) into an {@link Int8Gemm} panel: per step s (of cols / 2)
     * two short vectors of L rows, {@code p[(2s + v) * 2L + 2r + h]} the signed weight of row {@code row + vL + r} and
     * column {@code 2s + h}; per block k of {@link #int8GemmBlock} columns and row i,
     * the scale {@code sc[k*2L + i]} and, with offsets, {@code of[k*2L + i]}: the weight is {@code p * sc + of}.
     */
    void int8GemmPanel(int row, short[] p, float[] sc, float[] of) {
        throw new UnsupportedOperationException(type + " has no int8 GEMM");
    }

    /** Row {@code row} dotted with {@code x[xOff ..]}, through the vector kernel when it is enabled. */
    public final float dot(int row, float[] x, int xOff) {
        return VectorSupport.ENABLED ? dotVector(row, x, xOff) : dotScalar(row, x, xOff);
    }

    /**
     * {@code out[t*outStride + r] = row r . x[t*xStride ..]} for tokens {@code t < n} and rows {@code r0 <= r < r1}.
     * Batches of {@link Gemm#MIN_TOKENS} tokens or more go through the tiled {@link Gemm} (types with int8
     * activations: the {@link Int8Gemm}); fewer use the per-row dot kernels. Callers split row ranges across threads, preferably in multiples of {@link #ROW_TILE}.
     */
    public void matmul(float[] x, int xStride, int n, float[] out, int outStride, int r0, int r1) {
        matmul(x, 0, xStride, n, out, 0, outStride, r0, r1);
    }

    /**
     * {@code out[outOff + t*outStride + r] = row r . x[xOff + t*xStride ..]}: {@link #matmul(float[], int, int,
     * float[], int, int, int)} on a slice of the arrays. {@code outOff} may be negative, so that a row range
     * {@code [r0, r1)} (one expert's slice of a stacked expert tensor) lands compactly at {@code outOff + r0}.
     */
    public void matmul(float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int r0, int r1) {
        matmul(x, xOff, xStride, n, out, outOff, outStride, r0, r1, null);
    }

    /**
     * {@link #matmul(float[], int, int, int, float[], int, int, int, int)} with the batch's int8 activations already
     * prepared in the format of {@link #int8BatchFormat} (null: prepared by the calling thread, as needed).
     *
     * @throws IllegalArgumentException when prepared holds other tokens or another format
     */
    public void matmul(float[] x, int xOff, int xStride, int n, float[] out, int outOff, int outStride, int r0, int r1, Int8Batch prepared) {
        if (int8Activations()) {
            if (n < Gemm.MIN_TOKENS) {
                matmulInt8(x, xOff, xStride, n, out, outOff, outStride, r0, r1);
                return;
            }
            Int8Batch.Format format = int8BatchFormat(n);
            if (prepared != null && (prepared.format != format || !prepared.holds(x, xOff, xStride, n, cols))) {
                throw new IllegalArgumentException(name + ": the prepared int8 batch holds other tokens");
            }
            int a = r0, b = r0;
            if (format != null && int8GemmBlock() != 0) {
                a = Int8Gemm.tiledStart(r0);
                b = Int8Gemm.tiledEnd(this, r1);
            }
            if (a < b) { // a batch: whole tiles of row groups through the int8 GEMM
                Int8Batch act = prepared != null ? prepared : Int8Batch.forThread(format, x, xOff, xStride, n, cols);
                Int8Gemm.matmul(this, act, out, outOff, outStride, a, b);
                if (a == r0 && b == r1) return;
            }
            // other rows of a batch: the float GEMM on the int8-rounded activations, so that it computes what one
            // token at a time does up to float rounding (prepared once per batch when the caller asked for them)
            float[] rounded = prepared != null && prepared.hasFloats() ? prepared.values
                    : Q8Activations.Batch.forThread(Q8Activations.Kind.of(type)).values(x, xOff, xStride, n, cols);
            if (a < b) {
                if (r0 < a) Gemm.matmul(this, rounded, 0, cols, n, out, outOff, outStride, r0, a);
                if (b < r1) Gemm.matmul(this, rounded, 0, cols, n, out, outOff, outStride, b, r1);
                return;
            }
            x = rounded;
            xOff = 0;
            xStride = cols;
        }
        if (n >= Gemm.MIN_TOKENS && VectorSupport.ENABLED) {
            // a batch: decode each weight panel once, then a register-blocked product over the tokens
            float[] rounded = gemmActivations(x, xOff, xStride, n);
            if (rounded != null) Gemm.matmul(this, rounded, 0, cols, n, out, outOff, outStride, r0, r1);
            else Gemm.matmul(this, x, xOff, xStride, n, out, outOff, outStride, r0, r1);
            return;
        }
        if (VectorSupport.ENABLED) {
            for (int t = 0; t < n; t++) matvecVector(x, xOff + t * xStride, out, outOff + t * outStride, r0, r1);
            return;
        }
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                out[outOff + t * outStride + r] = dot(r, x, xOff + t * xStride);
            }
        }
    }

    /** Writes f as 4 little-endian bytes at {@code b[at ..]} (row-group repacking). */
    static void putFloat(byte[] b, int at, float f) {
        int v = Float.floatToRawIntBits(f);
        for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> 8 * i);
    }

    /** Rounds f32 to the nearest f16 bit pattern, as ggml's GGML_FP32_TO_FP16 does (round to nearest even). */
    public static short toF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** Converts f16 bits to f32 exactly. */
    public static float fromF16(short h) {
        return Float.float16ToFloat(h);
    }

    @Override
    public String toString() {
        return name + " " + type + " [" + rows + " x " + cols + "]";
    }
}
