package org.libgrowth;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Gradient-boosted trees ({@code growth_forest}, forest.h): trained and loaded through
 * libxgboost, served by the library's native evaluator (equal to xgboost's predictions to float
 * rounding). Rows are dense floats, NaN = missing.
 *
 * <p>libgrowth configuration keys: {@code threads}, {@code num_rounds},
 * {@code early_stopping_rounds}, {@code maximize}; xgboost parameters ("objective=binary:logistic
 * max_depth=6 eta=0.1") pass through unchanged. Bad options or data throw
 * {@link GrowthException} EINVAL; xgboost's own failures EDEP with xgboost's message. Files:
 * {@link #save(String)} writes a libgrowth model file, or xgboost JSON / UBJSON when the path
 * ends in {@code .json} / {@code .ubj}; {@link #load(String)} reads all three.
 *
 * <p>Thread-safety: a forest is immutable; predictions, importance, saves and serialisation may run
 * from any number of threads at once. {@link #close()} may be called while other threads are inside
 * calls: the C object is freed when the last of them returns.
 */
public final class Forest extends Handle {
    /** Flag: raw margins instead of transformed outputs (GROWTH_PREDICT_MARGIN). */
    public static final int MARGIN = 0x1;
    /** Flag: use xgboost's predictor instead of the native evaluator (GROWTH_FOREST_REFERENCE). */
    public static final int REFERENCE = 0x100;

    /** Importance types of {@link #importance(int)}. */
    public static final int IMPORTANCE_WEIGHT = 0;
    public static final int IMPORTANCE_GAIN = 1;
    public static final int IMPORTANCE_COVER = 2;
    public static final int IMPORTANCE_TOTAL_GAIN = 3;
    public static final int IMPORTANCE_TOTAL_COVER = 4;

    private Forest(long ptr) {
        super(ptr, Native::forestFree);
    }

    /**
     * Trains on {@code nrows} x {@code ncols} dense rows {@code X} (row-major, NaN = missing)
     * with labels {@code y} for {@code rounds} boosting rounds; {@code params} are xgboost's.
     */
    public static Forest train(float[] X, int nrows, int ncols, float[] y, String params,
                               int rounds) {
        return train("num_rounds=" + rounds, params, X, nrows, ncols, y, null);
    }

    /**
     * Trains with libgrowth options {@code config} ("num_rounds=300 threads=2"), xgboost
     * {@code params} and optional per-row {@code weights} (null for all 1).
     */
    public static Forest train(String config, String params, float[] X, int nrows, int ncols,
                               float[] y, float[] weights) {
        return new Forest(Native.forestTrain(Native.config(config),
                Native.cstr(params == null ? "" : params, "params"), X, nrows, ncols, y,
                weights));
    }

    /** Loads a libgrowth forest file or an xgboost 1.7 JSON / UBJSON model. */
    public static Forest load(String path) {
        return new Forest(Native.forestLoad(Native.cstr(path, "path")));
    }

    /** Rebuilds a forest from {@link #serialize()} bytes or xgboost JSON / UBJSON bytes. */
    public static Forest deserialize(byte[] buf) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new Forest(Native.forestDeserialize(buf));
    }

    /** Effective libgrowth configuration ("threads=1 num_rounds=..."). */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.forestConfig(h));
        } finally {
            release();
        }
    }

    /** The objective, e.g. "binary:logistic". */
    public String objective() {
        long h = acquire();
        try {
            return Native.str(Native.forestObjective(h));
        } finally {
            release();
        }
    }

    private int dim(int i) {
        long h = acquire();
        try {
            return Native.forestDims(h)[i];
        } finally {
            release();
        }
    }

    /** Number of input features (the row width). */
    public int numFeatures() {
        return dim(0);
    }

    /** Outputs per row (num_class for multi:* objectives, else 1). */
    public int numOutputs() {
        return dim(1);
    }

    /** Number of trees. */
    public int numTrees() {
        return dim(2);
    }

    /** Outputs of one row of {@link #numFeatures()} floats (allocation-free native path). */
    public float[] predictRow(float[] x) {
        return predictRow(x, 0);
    }

    /** Outputs of one row with {@link #MARGIN} and/or {@link #REFERENCE} flags. */
    public float[] predictRow(float[] x, int flags) {
        long h = acquire();
        try {
            return Native.forestPredictRow(h, x, flags);
        } finally {
            release();
        }
    }

    /**
     * Outputs of {@code nrows} dense rows (row-major, numFeatures() floats each): nrows x
     * numOutputs() floats, row-major.
     */
    public float[] predict(float[] X, int nrows) {
        return predict(X, nrows, 0);
    }

    /** Like {@link #predict(float[], int)} with {@link #MARGIN} and/or {@link #REFERENCE}. */
    public float[] predict(float[] X, int nrows, int flags) {
        long h = acquire();
        try {
            return Native.forestPredictDense(h, X, nrows, flags);
        } finally {
            release();
        }
    }

    /**
     * Outputs of one row read from and written to direct buffers without copies: {@code x}
     * holds the row ({@link #numFeatures()} floats), {@link #numOutputs()} floats are written at
     * {@code out}'s position ({@link BufferTooSmallException} when fewer remain). The same
     * floats as {@link #predictRow(float[], int)}. Buffers must be direct (e.g.
     * {@code ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder())} or a view of one) and in
     * native byte order, else IllegalArgumentException; their elements between position and
     * limit are used in place, without copies, and positions are not changed.
     */
    public void predictRow(FloatBuffer x, FloatBuffer out, int flags) {
        Buffers.in(x, "x");
        Buffers.out(out, "out");
        long h = acquire();
        try {
            Native.forestPredictRowBuf(h, x, x.position(), x.remaining(), out, out.position(),
                    out.remaining(), flags);
        } finally {
            release();
        }
    }

    /** {@link #predictRow(FloatBuffer, FloatBuffer, int)} without flags. */
    public void predictRow(FloatBuffer x, FloatBuffer out) {
        predictRow(x, out, 0);
    }

    /** {@link #predictRow(FloatBuffer, FloatBuffer, int)} over the floats of direct ByteBuffers
     * in native byte order (views: no copy). */
    public void predictRow(ByteBuffer x, ByteBuffer out, int flags) {
        predictRow(Buffers.floats(x, "x", false), Buffers.floats(out, "out", true), flags);
    }

    /** {@link #predictRow(ByteBuffer, ByteBuffer, int)} without flags. */
    public void predictRow(ByteBuffer x, ByteBuffer out) {
        predictRow(x, out, 0);
    }

    /**
     * Outputs of {@code nrows} dense rows read from and written to direct buffers without
     * copies: {@code X} holds nrows x numFeatures() floats (row-major), nrows x numOutputs()
     * floats are written at {@code out}'s position ({@link BufferTooSmallException} when fewer
     * remain). The same floats as {@link #predict(float[], int, int)}. Buffers must be direct (e.g.
     * {@code ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder())} or a view of one) and in
     * native byte order, else IllegalArgumentException; their elements between position and
     * limit are used in place, without copies, and positions are not changed.
     */
    public void predict(FloatBuffer X, int nrows, FloatBuffer out, int flags) {
        Buffers.in(X, "X");
        Buffers.out(out, "out");
        long h = acquire();
        try {
            Native.forestPredictDenseBuf(h, X, X.position(), X.remaining(), nrows, out,
                    out.position(), out.remaining(), flags);
        } finally {
            release();
        }
    }

    /** {@link #predict(FloatBuffer, int, FloatBuffer, int)} without flags. */
    public void predict(FloatBuffer X, int nrows, FloatBuffer out) {
        predict(X, nrows, out, 0);
    }

    /** {@link #predict(FloatBuffer, int, FloatBuffer, int)} over the floats of direct
     * ByteBuffers in native byte order (views: no copy). */
    public void predict(ByteBuffer X, int nrows, ByteBuffer out, int flags) {
        predict(Buffers.floats(X, "X", false), nrows, Buffers.floats(out, "out", true), flags);
    }

    /** {@link #predict(ByteBuffer, int, ByteBuffer, int)} without flags. */
    public void predict(ByteBuffer X, int nrows, ByteBuffer out) {
        predict(X, nrows, out, 0);
    }

    private static final String[] IMPORTANCE_NAMES = {"weight", "gain", "cover", "total_gain",
                                                      "total_cover"};

    /** Feature importance (one of the IMPORTANCE_* types), numFeatures() values. */
    public float[] importance(int type) {
        /* An unknown type reaches the library as such and is refused there (EINVAL). */
        String name = type >= 0 && type < IMPORTANCE_NAMES.length ? IMPORTANCE_NAMES[type]
                                                                   : Integer.toString(type);
        byte[] config = Native.config("type=" + name);
        long h = acquire();
        try {
            return Native.forestImportance(h, config);
        } finally {
            release();
        }
    }

    /** Saves atomically: libgrowth file, or xgboost JSON / UBJSON by the path's extension. */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.forestSave(h, p);
        } finally {
            release();
        }
    }

    /** The model as libgrowth envelope bytes ({@link #deserialize(byte[])} rebuilds it). */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.forestSerialize(h);
        } finally {
            release();
        }
    }
}
