package org.libgrowth;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * FTRL-Proximal online logistic regression with one or more heads ({@code growth_ftrl}, ctr.h).
 *
 * <p>Rows are sparse: {@code idx[k]} is a slot below 2^bits (uint32 bits in an int) with value
 * {@code val[k]}; {@code val} may be null for all ones. Labels: one per head, 0 or 1, or
 * {@link #LABEL_MISSING}. Configuration keys: alpha, beta, l1, l2, bits, heads, head_names,
 * bias, precision, seed (see ctr.h); an unknown key or a value out of range throws
 * {@link GrowthException} with code {@link Status#EINVAL} and a message naming the key.
 *
 * <p>Thread-safety: predictions are safe from any number of threads, also while one thread trains;
 * training calls serialise inside the library. {@link #close()} may be called while other threads
 * are inside calls: the C object is freed when the last of them returns.
 *
 * <pre>{@code
 * try (Ftrl m = new Ftrl("alpha=0.05 bits=20 heads=2 head_names=click|buy");
 *      Row row = new Row("bits=20")) {
 *     row.clear().addCat("user_city", "hangzhou").addNum("price_log", 3.2f);
 *     float[] p = m.predictUpdate(row.indices(), row.values(), new float[] {1, Ftrl.LABEL_MISSING}, 1f);
 * }
 * }</pre>
 */
public final class Ftrl extends Handle {
    /** Label meaning "this row carries no label for this head". */
    public static final float LABEL_MISSING = -1.0f;
    /** The slot index of the unhashed bias in {@link #weight(int, int)} (UINT32_MAX). */
    public static final int BIAS = -1;
    /** GROWTH_PREDICT_MARGIN (common.h): margins instead of probabilities. */
    private static final int PREDICT_MARGIN = 0x1;

    /** Counters of a model: examples trained on, slots with a non-zero weight in any head. */
    public static final class Stats {
        private final long examples, nonzero;

        Stats(long examples, long nonzero) {
            this.examples = examples;
            this.nonzero = nonzero;
        }

        public long examples() {
            return examples;
        }

        public long nonzero() {
            return nonzero;
        }

        @Override
        public String toString() {
            return "Stats{examples=" + examples + ", nonzero=" + nonzero + "}";
        }
    }

    /** An empty model with the default configuration. */
    public Ftrl() {
        this("");
    }

    /** An empty model from a configuration string, e.g. "alpha=0.05 beta=1 l1=1 l2=1 bits=24". */
    public Ftrl(String config) {
        super(Native.ftrlCreate(Native.config(config)), Native::ftrlFree);
    }

    private Ftrl(long ptr) {
        super(ptr, Native::ftrlFree);
    }

    /** Loads a model saved by {@link #save(String)} or {@link #exportWeights(String)}. */
    public static Ftrl load(String path) {
        return new Ftrl(Native.ftrlLoad(Native.cstr(path, "path")));
    }

    /** Rebuilds a model from {@link #serialize()} bytes. */
    public static Ftrl deserialize(byte[] buf) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new Ftrl(Native.ftrlDeserialize(buf));
    }

    /** Number of heads. */
    public int heads() {
        long h = acquire();
        try {
            return (int) Native.ftrlStats(h)[0];
        } finally {
            release();
        }
    }

    /** Table size exponent (2^bits slots). */
    public int bits() {
        long h = acquire();
        try {
            return (int) Native.ftrlStats(h)[1];
        } finally {
            release();
        }
    }

    /** Index of the head named {@code name}; GrowthException ENOTFOUND if there is none. */
    public int headIndex(String name) {
        byte[] n = Native.cstr(name, "name");
        long h = acquire();
        try {
            return Native.ftrlHeadIndex(h, n);
        } finally {
            release();
        }
    }

    /** Effective configuration ("alpha=0.05 beta=1 ..."). */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.ftrlConfig(h));
        } finally {
            release();
        }
    }

    /** Probabilities of every head for one row. */
    public float[] predict(int[] idx, float[] val) {
        long h = acquire();
        try {
            return Native.ftrlPredict(h, idx, val, 0);
        } finally {
            release();
        }
    }

    /** Probabilities of every head for the row built in {@code row}. */
    public float[] predict(Row row) {
        return predict(row.indices(), row.values());
    }

    /** Margins (logits) of every head for one row. */
    public float[] margin(int[] idx, float[] val) {
        long h = acquire();
        try {
            return Native.ftrlPredict(h, idx, val, PREDICT_MARGIN);
        } finally {
            release();
        }
    }

    /**
     * Probabilities of every head for one row, read from and written to direct buffers without
     * copies: the slots in {@code idx} and their values in {@code val} (null for all ones, else
     * as many elements), {@link #heads()} floats written at {@code out}'s position
     * ({@link BufferTooSmallException} when fewer remain). The same floats as
     * {@link #predict(int[], float[])}. Buffers must be direct (e.g.
     * {@code ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder())} or a view of one) and in
     * native byte order, else IllegalArgumentException; their elements between position and
     * limit are used in place, without copies, and positions are not changed.
     */
    public void predict(IntBuffer idx, FloatBuffer val, FloatBuffer out) {
        predictBuf("Ftrl.predict", idx, val, out, 0);
    }

    /**
     * Margins (logits) of every head for one row, over direct buffers as
     * {@link #predict(IntBuffer, FloatBuffer, FloatBuffer)}.
     */
    public void margin(IntBuffer idx, FloatBuffer val, FloatBuffer out) {
        predictBuf("Ftrl.margin", idx, val, out, PREDICT_MARGIN);
    }

    private void predictBuf(String who, IntBuffer idx, FloatBuffer val, FloatBuffer out,
                            int flags) {
        Buffers.in(idx, "idx");
        Buffers.optional(val, "val");
        Buffers.out(out, "out");
        int nnz = idx.remaining();
        Buffers.sameLength(who, "val", val, nnz, "idx");
        long h = acquire();
        try {
            Native.ftrlPredictBuf(h, idx, idx.position(), nnz, val, Buffers.pos(val), out,
                    out.position(), out.remaining(), flags);
        } finally {
            release();
        }
    }

    /**
     * Probabilities for {@code nrows} rows in CSR form ({@code indptr} has nrows + 1 offsets,
     * starting at 0, into idx/val; val may be null): nrows x heads floats, row-major.
     */
    public float[] predictBatch(long[] indptr, int[] idx, float[] val, int nrows) {
        long h = acquire();
        try {
            return Native.ftrlPredictBatch(h, indptr, idx, val, nrows);
        } finally {
            release();
        }
    }

    /** Trains on one example: {@code labels} has one entry per head. */
    public void update(int[] idx, float[] val, float[] labels, float weight) {
        long h = acquire();
        try {
            Native.ftrlUpdate(h, idx, val, labels, weight);
        } finally {
            release();
        }
    }

    /** Progressive validation: returns the prediction made before training on the example. */
    public float[] predictUpdate(int[] idx, float[] val, float[] labels, float weight) {
        long h = acquire();
        try {
            return Native.ftrlPredictUpdate(h, idx, val, labels, weight);
        } finally {
            release();
        }
    }

    /**
     * Trains on a CSR batch row by row in order (nrows = indptr.length - 1; labels nrows x heads;
     * weights nrows or null for all 1) and returns the progressive-validation predictions,
     * nrows x heads, each made before training on its row.
     */
    public float[] partialFit(long[] indptr, int[] idx, float[] val, float[] labels,
                              float[] weights) {
        long h = acquire();
        try {
            return Native.ftrlUpdateBatch(h, indptr, idx, val, labels, weights, true);
        } finally {
            release();
        }
    }

    /** Like {@link #partialFit} without returning predictions. */
    public void updateBatch(long[] indptr, int[] idx, float[] val, float[] labels,
                            float[] weights) {
        long h = acquire();
        try {
            Native.ftrlUpdateBatch(h, indptr, idx, val, labels, weights, false);
        } finally {
            release();
        }
    }

    /** Examples trained on and slots with a non-zero weight. */
    public Stats stats() {
        long h = acquire();
        try {
            long[] s = Native.ftrlStats(h);
            return new Stats(s[2], s[3]);
        } finally {
            release();
        }
    }

    /** Current weight of slot {@code index} ({@link #BIAS} for the bias) of {@code head}. */
    public float weight(int head, int index) {
        long h = acquire();
        try {
            return Native.ftrlWeight(h, head, index);
        } finally {
            release();
        }
    }

    /** Saves the full training state atomically (warm start with {@link #load(String)}). */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.ftrlSave(h, p);
        } finally {
            release();
        }
    }

    /** Saves only the non-zero weights, for serving. */
    public void exportWeights(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.ftrlExportWeights(h, p);
        } finally {
            release();
        }
    }

    /** The full state as bytes ({@link #deserialize(byte[])} rebuilds it). */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.ftrlSerialize(h);
        } finally {
            release();
        }
    }

    /**
     * ESMM: {pCTR, pCVR, pCTCVR} for one row from head {@code ctrHead} of {@code ctr} and head
     * {@code cvrHead} of {@code cvr} (which may be the same model).
     */
    public static float[] esmmPredict(Ftrl ctr, int ctrHead, Ftrl cvr, int cvrHead, int[] idx,
                                      float[] val) {
        long c = ctr.acquire();
        try {
            long v = cvr.acquire(); // may be ctr again: then it is held twice
            try {
                return Native.esmmPredict(c, ctrHead, v, cvrHead, idx, val);
            } finally {
                cvr.release();
            }
        } finally {
            ctr.release();
        }
    }

    /** ESMM training on one impression (click and conversion are 0 or 1). */
    public void esmmUpdate(int ctrHead, int cvrHead, int[] idx, float[] val, float click,
                           float conversion, float weight) {
        long h = acquire();
        try {
            Native.esmmUpdate(h, ctrHead, cvrHead, idx, val, click, conversion, weight);
        } finally {
            release();
        }
    }
}
