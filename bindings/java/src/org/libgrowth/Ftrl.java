package org.libgrowth;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * FTRL-Proximal online logistic regression with one or more heads ({@code growth_ftrl}, ctr.h).
 *
 * <p>Rows are sparse: {@code idx[k]} is a slot below 2^bits (uint32 bits in an int) with value
 * {@code val[k]}; {@code val} may be null for all ones. Labels: one per head, 0 or 1, or
 * {@link #LABEL_MISSING}. Configuration keys: alpha, beta, l1, l2, bits, heads, head_names,
 * bias, precision, seed, max_memory and the collision-free table's table, admit, admit_prob,
 * admit_sketch, expire, expire_seconds (see ctr.h and docs/exact-tables.md), given as a string or
 * through the typed {@link Options} ({@code new Ftrl(Ftrl.options().table("exact").admit(3))});
 * an unknown key or a value out of range throws {@link GrowthException} with code
 * {@link Status#EINVAL} and a message naming the key.
 *
 * <p>With {@code table=exact} rows of 64-bit feature keys (e.g. {@link Growth#hash64}) go to
 * {@link #updateKeys}, {@link #predictUpdateKeys}, {@link #predictKeys} and {@link #weightKey};
 * {@link #stats()} reports the features live, admitted, evicted and expired and the table's bytes.
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

    /**
     * Counters of a model (growth_ftrl_stats): examples trained on, slots with a non-zero weight
     * in any head, and for {@code table=exact} the features live (with a record), admitted,
     * evicted ({@code max_memory}) and expired ({@code expire}, {@code expire_seconds}) since the
     * model was created or loaded; the table's bytes (also for a hashed table).
     */
    public static final class Stats {
        private final long examples, nonzero, live, admitted, evicted, expired, tableBytes;

        Stats(long[] s) {
            this.examples = s[2];
            this.nonzero = s[3];
            this.live = s[4];
            this.admitted = s[5];
            this.evicted = s[6];
            this.expired = s[7];
            this.tableBytes = s[8];
        }

        public long examples() {
            return examples;
        }

        public long nonzero() {
            return nonzero;
        }

        /** Features with a record (for a hashed table: {@link #nonzero()}). */
        public long live() {
            return live;
        }

        /** Features given a record ({@code table=exact}). */
        public long admitted() {
            return admitted;
        }

        /** Features evicted to stay under {@code max_memory} ({@code table=exact}). */
        public long evicted() {
            return evicted;
        }

        /** Features removed by {@code expire} / {@code expire_seconds} ({@code table=exact}). */
        public long expired() {
            return expired;
        }

        /** Bytes of the table (with {@code table=exact}: records and admission sketch). */
        public long tableBytes() {
            return tableBytes;
        }

        @Override
        public String toString() {
            return "Stats{examples=" + examples + ", nonzero=" + nonzero + ", live=" + live + ", admitted="
                    + admitted + ", evicted=" + evicted + ", expired=" + expired + ", tableBytes=" + tableBytes
                    + "}";
        }
    }

    /**
     * The configuration as typed setters: {@code Ftrl.options().alpha(0.05).table("exact").admit(3)
     * .expire(10_000_000).maxMemory(8L << 30)}; {@link #toString()} is the configuration string
     * (keys in the order set; a key set twice keeps its last value). The library validates the
     * values when the model is created. {@link #set(String, String)} passes any other key.
     */
    public static final class Options {
        private final java.util.LinkedHashMap<String, String> kv = new java.util.LinkedHashMap<>();

        Options() {}

        /** Any configuration key (value as the library reads it). */
        public Options set(String key, String value) {
            if (key == null || value == null) throw new NullPointerException("key and value must not be null");
            if (key.isEmpty() || key.contains(" ") || key.contains("=") || value.contains(" "))
                throw new IllegalArgumentException("Ftrl.Options.set: key '" + key + "' / value '" + value
                        + "' may not contain spaces (or '=' in the key)");
            kv.put(key, value);
            return this;
        }

        private Options num(String key, double v) {
            return set(key, Double.toString(v));
        }

        public Options alpha(double v) { return num("alpha", v); }

        public Options beta(double v) { return num("beta", v); }

        public Options l1(double v) { return num("l1", v); }

        public Options l2(double v) { return num("l2", v); }

        public Options bits(int v) { return set("bits", Integer.toString(v)); }

        public Options heads(int v) { return set("heads", Integer.toString(v)); }

        /** Head names, separated by '|' in the configuration. */
        public Options headNames(String... names) { return set("head_names", String.join("|", names)); }

        public Options bias(boolean v) { return set("bias", v ? "true" : "false"); }

        /** "float" or "compact". */
        public Options precision(String v) { return set("precision", v); }

        public Options seed(long v) { return set("seed", Long.toUnsignedString(v)); }

        /** "hashed" (2^bits slots) or "exact" (one record per admitted 64-bit key). */
        public Options table(String v) { return set("table", v); }

        /** A key gets its record at its {@code n}-th occurrence (1..255, count-min sketch). */
        public Options admit(int n) { return set("admit", Integer.toString(n)); }

        /** Probability (0, 1] that an eligible occurrence admits the key. */
        public Options admitProb(double p) { return num("admit_prob", p); }

        /** Bytes of the admission sketch's counters. */
        public Options admitSketch(long bytes) { return set("admit_sketch", Long.toString(bytes)); }

        /** A key not updated by the last {@code examples} examples is removed (0 = never). */
        public Options expire(long examples) { return set("expire", Long.toString(examples)); }

        /** A key not updated for {@code seconds} of wall-clock time is removed (0 = never). */
        public Options expireSeconds(long seconds) { return set("expire_seconds", Long.toString(seconds)); }

        /** Bytes the table may take; with table=exact the least recently updated keys are evicted. */
        public Options maxMemory(long bytes) { return set("max_memory", Long.toString(bytes)); }

        /** The configuration string ("alpha=0.05 table=exact ..."). */
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            for (java.util.Map.Entry<String, String> e : kv.entrySet()) {
                if (b.length() > 0) b.append(' ');
                b.append(e.getKey()).append('=').append(e.getValue());
            }
            return b.toString();
        }
    }

    /** Empty typed options (the library's defaults). */
    public static Options options() {
        return new Options();
    }

    /** An empty model with the default configuration. */
    public Ftrl() {
        this("");
    }

    /** An empty model from a configuration string, e.g. "alpha=0.05 beta=1 l1=1 l2=1 bits=24". */
    public Ftrl(String config) {
        super(Native.ftrlCreate(Native.config(config)), Native::ftrlFree);
    }

    /** An empty model from typed options ({@link #options()}). */
    public Ftrl(Options options) {
        this(java.util.Objects.requireNonNull(options, "options must not be null").toString());
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
            return new Stats(Native.ftrlStats(h));
        } finally {
            release();
        }
    }

    /**
     * Probabilities of every head for one row of 64-bit feature keys ({@code val} null for all
     * ones). A key without a record (not admitted, expired, evicted) adds weight 0; on a hashed
     * model a key's low {@code bits} bits are its slot.
     */
    public float[] predictKeys(long[] keys, float[] val) {
        long h = acquire();
        try {
            return Native.ftrlPredictKeys(h, keys, val, 0);
        } finally {
            release();
        }
    }

    /** Margins (logits) of every head for one row of 64-bit keys. */
    public float[] marginKeys(long[] keys, float[] val) {
        long h = acquire();
        try {
            return Native.ftrlPredictKeys(h, keys, val, PREDICT_MARGIN);
        } finally {
            release();
        }
    }

    /**
     * Trains on one row of 64-bit keys ({@code labels}: one per head). With {@code table=exact}
     * the keys go through admission, expiry and the memory cap.
     */
    public void updateKeys(long[] keys, float[] val, float[] labels, float weight) {
        long h = acquire();
        try {
            Native.ftrlUpdateKeys(h, keys, val, labels, weight, false);
        } finally {
            release();
        }
    }

    /** Like {@link #updateKeys} and returns the prediction made before training on the row. */
    public float[] predictUpdateKeys(long[] keys, float[] val, float[] labels, float weight) {
        long h = acquire();
        try {
            return Native.ftrlUpdateKeys(h, keys, val, labels, weight, true);
        } finally {
            release();
        }
    }

    /** Current weight of 64-bit key {@code key} in {@code head} (0 when it has no record). */
    public float weightKey(int head, long key) {
        long h = acquire();
        try {
            return Native.ftrlWeightKey(h, head, key);
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
