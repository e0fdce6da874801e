package org.libgrowth;

import java.lang.ref.Reference;

/**
 * FTRL-Proximal online logistic regression with one or more heads ({@code growth_ftrl}, ctr.h).
 *
 * <p>Rows are sparse: {@code idx[k]} is a slot below 2^bits (uint32 bits in an int) with value
 * {@code val[k]}; {@code val} may be null for all ones. Labels: one per head, 0 or 1, or
 * {@link #LABEL_MISSING}. Configuration keys: alpha, beta, l1, l2, bits, heads, head_names,
 * bias, precision, seed (see ctr.h); an unknown key or a value out of range throws
 * {@link GrowthException} with code {@link Status#EINVAL} and a message naming the key.
 *
 * <p>Thread-safety: predictions are safe from any number of threads, also while one thread
 * trains; training calls serialise inside the library. {@link #close()} must not race other calls.
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
        try {
            return (int) Native.ftrlStats(ptr())[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Table size exponent (2^bits slots). */
    public int bits() {
        try {
            return (int) Native.ftrlStats(ptr())[1];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Index of the head named {@code name}; GrowthException ENOTFOUND if there is none. */
    public int headIndex(String name) {
        byte[] n = Native.cstr(name, "name");
        try {
            return Native.ftrlHeadIndex(ptr(), n);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Effective configuration ("alpha=0.05 beta=1 ..."). */
    public String config() {
        try {
            return Native.str(Native.ftrlConfig(ptr()));
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Probabilities of every head for one row. */
    public float[] predict(int[] idx, float[] val) {
        try {
            return Native.ftrlPredict(ptr(), idx, val, 0);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Probabilities of every head for the row built in {@code row}. */
    public float[] predict(Row row) {
        return predict(row.indices(), row.values());
    }

    /** Margins (logits) of every head for one row. */
    public float[] margin(int[] idx, float[] val) {
        try {
            return Native.ftrlPredict(ptr(), idx, val, PREDICT_MARGIN);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Probabilities for {@code nrows} rows in CSR form ({@code indptr} has nrows + 1 offsets,
     * starting at 0, into idx/val; val may be null): nrows x heads floats, row-major.
     */
    public float[] predictBatch(long[] indptr, int[] idx, float[] val, int nrows) {
        try {
            return Native.ftrlPredictBatch(ptr(), indptr, idx, val, nrows);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Trains on one example: {@code labels} has one entry per head. */
    public void update(int[] idx, float[] val, float[] labels, float weight) {
        try {
            Native.ftrlUpdate(ptr(), idx, val, labels, weight);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Progressive validation: returns the prediction made before training on the example. */
    public float[] predictUpdate(int[] idx, float[] val, float[] labels, float weight) {
        try {
            return Native.ftrlPredictUpdate(ptr(), idx, val, labels, weight);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Trains on a CSR batch row by row in order (nrows = indptr.length - 1; labels nrows x heads;
     * weights nrows or null for all 1) and returns the progressive-validation predictions,
     * nrows x heads, each made before training on its row.
     */
    public float[] partialFit(long[] indptr, int[] idx, float[] val, float[] labels,
                              float[] weights) {
        try {
            return Native.ftrlUpdateBatch(ptr(), indptr, idx, val, labels, weights, true);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Like {@link #partialFit} without returning predictions. */
    public void updateBatch(long[] indptr, int[] idx, float[] val, float[] labels,
                            float[] weights) {
        try {
            Native.ftrlUpdateBatch(ptr(), indptr, idx, val, labels, weights, false);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Examples trained on and slots with a non-zero weight. */
    public Stats stats() {
        try {
            long[] s = Native.ftrlStats(ptr());
            return new Stats(s[2], s[3]);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Current weight of slot {@code index} ({@link #BIAS} for the bias) of {@code head}. */
    public float weight(int head, int index) {
        try {
            return Native.ftrlWeight(ptr(), head, index);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Saves the full training state atomically (warm start with {@link #load(String)}). */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        try {
            Native.ftrlSave(ptr(), p);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Saves only the non-zero weights, for serving. */
    public void exportWeights(String path) {
        byte[] p = Native.cstr(path, "path");
        try {
            Native.ftrlExportWeights(ptr(), p);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** The full state as bytes ({@link #deserialize(byte[])} rebuilds it). */
    public byte[] serialize() {
        try {
            return Native.ftrlSerialize(ptr());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * ESMM: {pCTR, pCVR, pCTCVR} for one row from head {@code ctrHead} of {@code ctr} and head
     * {@code cvrHead} of {@code cvr} (which may be the same model).
     */
    public static float[] esmmPredict(Ftrl ctr, int ctrHead, Ftrl cvr, int cvrHead, int[] idx,
                                      float[] val) {
        try {
            return Native.esmmPredict(ctr.ptr(), ctrHead, cvr.ptr(), cvrHead, idx, val);
        } finally {
            Reference.reachabilityFence(ctr);
            Reference.reachabilityFence(cvr);
        }
    }

    /** ESMM training on one impression (click and conversion are 0 or 1). */
    public void esmmUpdate(int ctrHead, int cvrHead, int[] idx, float[] val, float click,
                           float conversion, float weight) {
        try {
            Native.esmmUpdate(ptr(), ctrHead, cvrHead, idx, val, click, conversion, weight);
        } finally {
            Reference.reachabilityFence(this);
        }
    }
}
