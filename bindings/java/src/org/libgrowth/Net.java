package org.libgrowth;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * A dense network ({@code growth_net}, nets.h): an MLP or Wide&amp;Deep model trained elsewhere
 * (PyTorch, exported by the Python package's {@code growth.export}) and loaded from a libgrowth
 * model file of kind {@code net}. Inputs are row-major floats of {@link #denseDim()} per row;
 * outputs are {@link #outDim()} floats per row.
 *
 * <p>Each object holds the loaded model and one inference workspace (created with the object;
 * {@code workspaceConfig} "batch=N" sets the rows per sgemm chunk, default 256), so predictions
 * allocate nothing in the library. Thread-safety: the model is read-only and the object may be
 * shared by threads. The workspace serves one call at a time: a call made while another thread is
 * using it gets a temporary workspace for that call (allocated and freed by the call), so sharing
 * is safe but a thread that needs allocation-free calls should own its object
 * (e.g. {@code Net.deserialize(bytes)} per thread). {@link #close()} may be called while other
 * threads are inside calls: the C object is freed when the last of them returns.
 *
 * <p>Errors: a wrong row width, NaN/Inf input, or ids out of range throw {@link GrowthException}
 * EINVAL; files that are not valid {@code net} files (other kinds included) EFORMAT; unreadable
 * files EIO.
 *
 * <pre>{@code
 * try (Net net = Net.load("ranker.net")) {
 *     float[] score = net.predict(x);                 // one row
 *     float[] scores = net.predictBatch(X, nrows);    // nrows x outDim()
 * }
 * }</pre>
 */
public final class Net extends Handle {
    private Net(long ptr) {
        super(ptr, Native::netFree);
    }

    /** Loads a {@code net} model file, with the default workspace. */
    public static Net load(String path) {
        return load(path, null);
    }

    /** Loads a {@code net} model file; {@code workspaceConfig} e.g. "batch=64" (null: defaults). */
    public static Net load(String path, String workspaceConfig) {
        return new Net(Native.netLoad(Native.cstr(path, "path"),
                Native.cstr(workspaceConfig == null ? "" : workspaceConfig, "workspaceConfig")));
    }

    /** Rebuilds a net from model-file bytes ({@link #serialize()}), with the default workspace. */
    public static Net deserialize(byte[] buf) {
        return deserialize(buf, null);
    }

    /** Rebuilds a net from model-file bytes with a workspace configuration (null: defaults). */
    public static Net deserialize(byte[] buf, String workspaceConfig) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new Net(Native.netDeserialize(buf,
                Native.cstr(workspaceConfig == null ? "" : workspaceConfig, "workspaceConfig")));
    }

    /** The architecture, e.g. "dense_dim=8 embeddings= layers=dense:8x16,relu,... output=...". */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.netConfig(h));
        } finally {
            release();
        }
    }

    private long dim(int i) {
        long h = acquire();
        try {
            return Native.netDims(h)[i];
        } finally {
            release();
        }
    }

    /** Width of the dense input (floats per row). */
    public int denseDim() {
        return (int) dim(0);
    }

    /** Number of categorical fields with an embedding table (Wide&amp;Deep), else 0. */
    public int fields() {
        return (int) dim(1);
    }

    /** Slots of the wide part, 0 without one. */
    public long wideRows() {
        return dim(2);
    }

    /** Outputs per row. */
    public int outDim() {
        return (int) dim(3);
    }

    /** Outputs of one row of {@link #denseDim()} floats (categorical fields and wide part see no ids). */
    public float[] predict(float[] x) {
        long h = acquire();
        try {
            return Native.netPredict(h, x);
        } finally {
            release();
        }
    }

    /**
     * Outputs of {@code nrows} rows ({@code X} row-major, nrows x denseDim() floats): nrows x
     * outDim() floats, row-major.
     */
    public float[] predictBatch(float[] X, int nrows) {
        long h = acquire();
        try {
            return Native.netPredictBatch(h, X, nrows);
        } finally {
            release();
        }
    }

    /**
     * Outputs of one row read from and written to direct buffers without copies: {@code x}
     * holds {@link #denseDim()} floats, {@link #outDim()} floats are written at {@code out}'s
     * position ({@link BufferTooSmallException} when fewer remain). The same floats as
     * {@link #predict(float[])}. Buffers must be direct (e.g.
     * {@code ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder())} or a view of one) and in
     * native byte order, else IllegalArgumentException; their elements between position and
     * limit are used in place, without copies, and positions are not changed.
     */
    public void predict(FloatBuffer x, FloatBuffer out) {
        Buffers.in(x, "x");
        Buffers.out(out, "out");
        long h = acquire();
        try {
            Native.netPredictBuf(h, x, x.position(), x.remaining(), out, out.position(),
                    out.remaining());
        } finally {
            release();
        }
    }

    /** {@link #predict(FloatBuffer, FloatBuffer)} over the floats of direct ByteBuffers in
     * native byte order (views: no copy). */
    public void predict(ByteBuffer x, ByteBuffer out) {
        predict(Buffers.floats(x, "x", false), Buffers.floats(out, "out", true));
    }

    /**
     * Outputs of {@code nrows} rows read from and written to direct buffers without copies:
     * {@code X} holds nrows x denseDim() floats (row-major), nrows x outDim() floats are written
     * at {@code out}'s position ({@link BufferTooSmallException} when fewer remain). The same
     * floats as {@link #predictBatch(float[], int)}. Buffers must be direct (e.g.
     * {@code ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder())} or a view of one) and in
     * native byte order, else IllegalArgumentException; their elements between position and
     * limit are used in place, without copies, and positions are not changed.
     */
    public void predictBatch(FloatBuffer X, int nrows, FloatBuffer out) {
        Buffers.in(X, "X");
        Buffers.out(out, "out");
        long h = acquire();
        try {
            Native.netPredictBatchBuf(h, X, X.position(), X.remaining(), nrows, out,
                    out.position(), out.remaining());
        } finally {
            release();
        }
    }

    /** {@link #predictBatch(FloatBuffer, int, FloatBuffer)} over the floats of direct
     * ByteBuffers in native byte order (views: no copy). */
    public void predictBatch(ByteBuffer X, int nrows, ByteBuffer out) {
        predictBatch(Buffers.floats(X, "X", false), nrows, Buffers.floats(out, "out", true));
    }

    /**
     * Outputs of one Wide&amp;Deep row: dense input {@code x} (denseDim() floats; may be null
     * when denseDim() is 0), categorical pairs (pair k adds embedding row {@code catId[k]} of
     * field {@code catField[k]} to that field's pool; both null for none) and wide features
     * {@code wideIdx} (null for none) with values {@code wideVal} (null for all ones).
     */
    public float[] predictWideDeep(float[] x, int[] catField, int[] catId, int[] wideIdx,
                                   float[] wideVal) {
        long h = acquire();
        try {
            return Native.netPredictWideDeep(h, x, catField, catId, wideIdx, wideVal);
        } finally {
            release();
        }
    }

    /** Saves the model atomically (a {@code net} model file). */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.netSave(h, p);
        } finally {
            release();
        }
    }

    /** The model-file bytes ({@link #deserialize(byte[])} rebuilds the net). */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.netSerialize(h);
        } finally {
            release();
        }
    }
}
