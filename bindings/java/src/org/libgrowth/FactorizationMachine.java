package org.libgrowth;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * What {@link FM} and {@link FFM} share ({@code growth_fm}, fm.h): factorization machines on
 * hashed sparse rows with one or more heads sharing the latent factors, trained online
 * ({@link #update}, {@link #predictUpdate}, {@link #partialFit}) or in epochs with early stopping
 * on a validation set ({@link #fit}). Each head has its own FTRL bias and linear weights.
 *
 * <p>Rows are sparse: {@code idx[i]} is a slot below 2^bits (uint32 bits in an int) with value
 * {@code val[i]} (finite; {@code val} may be null for all ones) in field {@code fld[i]} (an
 * unsigned byte below the model's {@code fields}; {@code fld} may be null for {@link FM}, it is
 * required for {@link FFM}). A {@link Row} with a field list gives all three
 * ({@link #predict(Row)}). Labels: one per head, 0 or 1, or {@link #LABEL_MISSING}. Weights:
 * finite, {@code >= 0}. Entries are used in the order given (FFM's updates visit pairs in row
 * order).
 *
 * <p>With {@code table=exact} (collision-free features keyed by 64-bit keys, with admission,
 * expiry and a memory cap: docs/exact-tables.md) rows of keys go to {@link #updateKeys},
 * {@link #predictUpdateKeys}, {@link #predictKeys}, {@link #marginKeys}, {@link #weightKey} and
 * {@link #factorsKey}; the int-slot calls (also {@link #fit} and ESMM) take their ints as keys;
 * {@link Stats#live()} and the other table counters tell what the table holds.
 *
 * <p>Errors: every status is its own {@link GrowthException} subclass; bad input (a slot, field,
 * value, label or weight out of range, arrays of the wrong length) throws
 * {@link InvalidArgumentException}, a missing array {@link NullPointerException}; a failed call
 * leaves the model exactly as it was.
 *
 * <p>Thread-safety (fm.h): predictions ({@code predict*}, {@code margin*},
 * {@link #esmmPredict}, {@link #weight}, {@link #factors}, {@link #stats}) take no lock and are
 * safe from any number of threads, also while one thread trains; training calls serialise inside
 * the library. {@link #close()} may be called while other threads are inside calls: the C object
 * is freed when the last of them returns.
 */
public abstract class FactorizationMachine extends Handle {
    /** Label meaning "this row carries no label for this head" (GROWTH_LABEL_MISSING). */
    public static final float LABEL_MISSING = -1.0f;
    /** The slot index of the bias in {@link #weight(int, int)} (UINT32_MAX). */
    public static final int BIAS = -1;
    /** GROWTH_PREDICT_MARGIN (common.h): margins instead of probabilities. */
    static final int PREDICT_MARGIN = 0x1;

    /** Serialises {@link #fit} calls: the progress callback is a per-model setting in C. */
    private final Object fitLock = new Object();

    /** Counters and sizes of a model ({@code growth_fm_stats}). */
    public static final class Stats {
        private final long heads, bits, fields, k, examples, touched, bytes, bytesPerSlot;
        private final long live, admitted, evicted, expired, tableBytes;

        Stats(long[] s) {
            heads = s[0];
            bits = s[1];
            fields = s[2];
            k = s[3];
            examples = s[4];
            touched = s[5];
            bytes = s[6];
            bytesPerSlot = s[7];
            live = s[8];
            admitted = s[9];
            evicted = s[10];
            expired = s[11];
            tableBytes = s[12];
        }

        /** @return features with a record ({@code table=exact}; touched slots for a hashed model) */
        public long live() {
            return live;
        }

        /** @return keys admitted since creation or load ({@code table=exact}) */
        public long admitted() {
            return admitted;
        }

        /** @return keys evicted by the memory cap since creation or load */
        public long evicted() {
            return evicted;
        }

        /** @return keys removed by expiry since creation or load */
        public long expired() {
            return expired;
        }

        /** @return bytes of the keyed table, the admission sketch and the slot arena in use */
        public long tableBytes() {
            return tableBytes;
        }

        /** @return the number of heads */
        public long heads() {
            return heads;
        }

        /** @return the table size exponent (2^bits slots) */
        public long bits() {
            return bits;
        }

        /** @return the {@code fields} key (0 when not set) */
        public long fields() {
            return fields;
        }

        /** @return latent factors per vector */
        public long k() {
            return k;
        }

        /** @return examples trained on (a loaded model counts those it was saved with) */
        public long examples() {
            return examples;
        }

        /** @return slots whose factors or linear weights training has changed */
        public long touched() {
            return touched;
        }

        /** @return bytes of model state in memory */
        public long bytes() {
            return bytes;
        }

        /** @return state bytes per slot (factors, AdaGrad sums, linear statistics of all heads) */
        public long bytesPerSlot() {
            return bytesPerSlot;
        }

        @Override
        public String toString() {
            return "Stats{heads=" + heads + ", bits=" + bits + ", fields=" + fields + ", k=" + k
                    + ", examples=" + examples + ", touched=" + touched + ", bytes=" + bytes
                    + ", bytesPerSlot=" + bytesPerSlot + ", live=" + live + ", admitted=" + admitted
                    + ", evicted=" + evicted + ", expired=" + expired + ", tableBytes=" + tableBytes + "}";
        }
    }

    /** What {@link #fit} did ({@code growth_fm_fit_result}). */
    public static final class FitResult {
        private final long epochs, bestEpoch;
        private final double trainLogloss, validLogloss;

        FitResult(double[] r) {
            epochs = (long) r[0];
            bestEpoch = (long) r[1];
            trainLogloss = r[2];
            validLogloss = r[3];
        }

        /** @return epochs trained (including one undone by auto-stop) */
        public long epochs() {
            return epochs;
        }

        /** @return the 1-based epoch whose model was kept ({@code <= epochs()}) */
        public long bestEpoch() {
            return bestEpoch;
        }

        /** @return mean progressive logloss of the kept epoch's training pass */
        public double trainLogloss() {
            return trainLogloss;
        }

        /** @return mean validation logloss of the kept model (NaN without a validation set) */
        public double validLogloss() {
            return validLogloss;
        }

        @Override
        public String toString() {
            return "FitResult{epochs=" + epochs + ", bestEpoch=" + bestEpoch + ", trainLogloss="
                    + trainLogloss + ", validLogloss=" + validLogloss + "}";
        }
    }

    /**
     * A training or validation set in CSR form for {@link #fit} ({@code growth_fm_data}). The
     * arrays are used as given (not copied) when {@code fit} runs.
     */
    public static final class Data {
        final long[] indptr;
        final int[] indices;
        final byte[] fields;
        final float[] values, labels, weights;

        /**
         * @param indptr  nrows + 1 offsets into the entries, starting at 0, non-decreasing
         *                (nrows {@code >= 1})
         * @param indices slots of the entries
         * @param fields  field ids of the entries (as many as {@code indices}), or null for
         *                {@link FM}
         * @param values  values of the entries (as many as {@code indices}), or null for all ones
         * @param labels  nrows x heads labels, row-major: 0, 1 or {@link #LABEL_MISSING}
         * @param weights nrows weights, or null for all 1
         */
        public Data(long[] indptr, int[] indices, byte[] fields, float[] values, float[] labels,
                    float[] weights) {
            if (indptr == null) throw new NullPointerException("indptr must not be null");
            if (indices == null) throw new NullPointerException("indices must not be null");
            if (labels == null) throw new NullPointerException("labels must not be null");
            this.indptr = indptr;
            this.indices = indices;
            this.fields = fields;
            this.values = values;
            this.labels = labels;
            this.weights = weights;
        }

        /**
         * Like {@link #Data(long[], int[], byte[], float[], float[], float[])} with all weights 1.
         *
         * @param indptr  nrows + 1 offsets into the entries
         * @param indices slots of the entries
         * @param fields  field ids of the entries, or null for {@link FM}
         * @param values  values of the entries, or null for all ones
         * @param labels  nrows x heads labels, row-major
         */
        public Data(long[] indptr, int[] indices, byte[] fields, float[] values, float[] labels) {
            this(indptr, indices, fields, values, labels, null);
        }

        /** @return the number of rows (indptr.length - 1) */
        public int nrows() {
            return indptr.length - 1;
        }
    }

    FactorizationMachine(long ptr) {
        super(ptr, Native::fmFree);
    }

    /** The config with {@code model=<model>} first, unless it names a model itself. */
    static byte[] withModel(String config, String model, String cls) {
        String c = config == null ? "" : config;
        String named = modelOf(c);
        if (named == null) return Native.config("model=" + model + (c.isEmpty() ? "" : " " + c));
        if (!named.equals(model))
            throw new InvalidArgumentException(cls + ": the configuration says model=" + named
                    + "; use " + (named.equals("ffm") ? "FFM" : "FM"));
        return Native.config(c);
    }

    /** The value of the {@code model} key of a configuration string, or null. */
    static String modelOf(String config) {
        String found = null;
        for (String kv : config.trim().split("\\s+"))
            if (kv.startsWith("model=")) found = kv.substring(6);
        return found;
    }

    /** Closes the handle {@code ptr} unless it holds {@code model}; then InvalidArgument. */
    static long expectModel(long ptr, String model, String cls) {
        String named;
        try {
            named = modelOf(Native.str(Native.fmConfig(ptr)));
        } catch (RuntimeException e) {
            Native.fmFree(ptr);
            throw e;
        }
        if (!model.equals(named)) {
            Native.fmFree(ptr);
            throw new InvalidArgumentException(cls + ": the model is model=" + named + ": read it with "
                    + ("ffm".equals(named) ? "FFM" : "FM"));
        }
        return ptr;
    }

    /** @return the number of heads */
    public int heads() {
        return (int) stats().heads();
    }

    /** @return the table size exponent (2^bits slots) */
    public int bits() {
        return (int) stats().bits();
    }

    /** @return latent factors per vector */
    public int k() {
        return (int) stats().k();
    }

    /**
     * Counters and sizes; lock-free, safe while another thread trains (a recent snapshot then).
     *
     * @return the model's {@link Stats}
     */
    public Stats stats() {
        long h = acquire();
        try {
            return new Stats(Native.fmStats(h));
        } finally {
            release();
        }
    }

    /**
     * Index of the head named {@code name} (from the {@code head_names} key).
     *
     * @param name a head name
     * @return its index, in [0, heads)
     * @throws NotFoundException when no head has that name
     */
    public int headIndex(String name) {
        byte[] n = Native.cstr(name, "name");
        long h = acquire();
        try {
            return Native.fmHeadIndex(h, n);
        } finally {
            release();
        }
    }

    /** @return the effective configuration ("model=ffm k=4 fields=12 ...") */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.fmConfig(h));
        } finally {
            release();
        }
    }

    /**
     * Probabilities of every head for one row.
     *
     * @param idx slots (not null)
     * @param fld field ids, as many as {@code idx}, or null ({@link FM} only)
     * @param val values, as many as {@code idx}, or null for all ones
     * @return {@link #heads()} probabilities
     */
    public float[] predict(int[] idx, byte[] fld, float[] val) {
        long h = acquire();
        try {
            return Native.fmPredict(h, idx, fld, val, 0);
        } finally {
            release();
        }
    }

    /**
     * Probabilities of every head for the row built in {@code row} (its slots, its field ids
     * when it has a field list, its values).
     *
     * @param row a row builder
     * @return {@link #heads()} probabilities
     */
    public float[] predict(Row row) {
        return predict(row.indices(), row.fields(), row.values());
    }

    /**
     * Margins (logits) of every head for one row, as {@link #predict(int[], byte[], float[])}.
     *
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @return {@link #heads()} margins
     */
    public float[] margin(int[] idx, byte[] fld, float[] val) {
        long h = acquire();
        try {
            return Native.fmPredict(h, idx, fld, val, PREDICT_MARGIN);
        } finally {
            release();
        }
    }

    /**
     * Probabilities of every head for one row, read from and written to direct buffers without
     * copies: the slots in {@code idx}, their field ids in {@code fld} (null for {@link FM}, else
     * as many bytes; any byte order) and values in {@code val} (null for all ones, else as many
     * elements); {@link #heads()} floats are written at {@code out}'s position
     * ({@link BufferTooSmallException} when fewer remain). Buffers must be direct and (except
     * {@code fld}) in native byte order, else IllegalArgumentException; positions are not
     * changed.
     *
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @param out where the probabilities go
     */
    public void predict(IntBuffer idx, ByteBuffer fld, FloatBuffer val, FloatBuffer out) {
        predictBuf("predict", idx, fld, val, out, 0);
    }

    /**
     * Margins of every head for one row, over direct buffers as
     * {@link #predict(IntBuffer, ByteBuffer, FloatBuffer, FloatBuffer)}.
     *
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @param out where the margins go
     */
    public void margin(IntBuffer idx, ByteBuffer fld, FloatBuffer val, FloatBuffer out) {
        predictBuf("margin", idx, fld, val, out, PREDICT_MARGIN);
    }

    private void predictBuf(String what, IntBuffer idx, ByteBuffer fld, FloatBuffer val,
                            FloatBuffer out, int flags) {
        String who = getClass().getSimpleName() + "." + what;
        Buffers.in(idx, "idx");
        Buffers.bytes(fld, "fld");
        Buffers.optional(val, "val");
        Buffers.out(out, "out");
        int nnz = idx.remaining();
        Buffers.sameLength(who, "fld", fld, nnz, "idx");
        Buffers.sameLength(who, "val", val, nnz, "idx");
        long h = acquire();
        try {
            Native.fmPredictBuf(h, idx, idx.position(), nnz, fld, Buffers.pos(fld), val,
                    Buffers.pos(val), out, out.position(), out.remaining(), flags);
        } finally {
            release();
        }
    }

    /**
     * Probabilities for {@code nrows} rows in CSR form ({@code growth_fm_predict_csr}):
     * {@code indptr} has nrows + 1 offsets, starting at 0, into idx/fld/val.
     *
     * @param indptr offsets
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @param nrows  the number of rows
     * @return nrows x heads probabilities, row-major
     */
    public float[] predictBatch(long[] indptr, int[] idx, byte[] fld, float[] val, int nrows) {
        long h = acquire();
        try {
            return Native.fmPredictBatch(h, indptr, idx, fld, val, nrows, 0);
        } finally {
            release();
        }
    }

    /**
     * Margins for {@code nrows} rows in CSR form, as {@link #predictBatch}.
     *
     * @param indptr offsets
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @param nrows  the number of rows
     * @return nrows x heads margins, row-major
     */
    public float[] marginBatch(long[] indptr, int[] idx, byte[] fld, float[] val, int nrows) {
        long h = acquire();
        try {
            return Native.fmPredictBatch(h, indptr, idx, fld, val, nrows, PREDICT_MARGIN);
        } finally {
            release();
        }
    }

    /**
     * Trains on one example.
     *
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @param labels one per head: 0, 1 or {@link #LABEL_MISSING}
     * @param weight the example's weight (finite, {@code >= 0})
     */
    public void update(int[] idx, byte[] fld, float[] val, float[] labels, float weight) {
        long h = acquire();
        try {
            Native.fmUpdate(h, idx, fld, val, labels, weight);
        } finally {
            release();
        }
    }

    /**
     * Trains on the row built in {@code row}, as {@link #update(int[], byte[], float[], float[], float)}.
     *
     * @param row a row builder
     * @param labels one per head
     * @param weight the example's weight
     */
    public void update(Row row, float[] labels, float weight) {
        update(row.indices(), row.fields(), row.values(), labels, weight);
    }

    /**
     * Progressive validation for one example: the probabilities predicted before training on
     * it, then trains.
     *
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @param labels one per head
     * @param weight the example's weight
     * @return {@link #heads()} probabilities made before the update
     */
    public float[] predictUpdate(int[] idx, byte[] fld, float[] val, float[] labels, float weight) {
        long h = acquire();
        try {
            return Native.fmPredictUpdate(h, idx, fld, val, labels, weight);
        } finally {
            release();
        }
    }

    /**
     * Trains on a CSR batch row by row in order ({@code growth_fm_update_csr}; nrows =
     * indptr.length - 1) and returns the progressive-validation predictions. The whole batch is
     * checked before any row is trained on.
     *
     * @param indptr offsets
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @param labels  nrows x heads, row-major
     * @param weights nrows weights, or null for all 1
     * @return nrows x heads probabilities, each made before training on its row
     */
    public float[] partialFit(long[] indptr, int[] idx, byte[] fld, float[] val, float[] labels,
                              float[] weights) {
        long h = acquire();
        try {
            return Native.fmUpdateBatch(h, indptr, idx, fld, val, labels, weights, true);
        } finally {
            release();
        }
    }

    /**
     * Like {@link #partialFit} without returning predictions.
     *
     * @param indptr offsets
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @param labels nrows x heads
     * @param weights nrows weights or null
     */
    public void updateBatch(long[] indptr, int[] idx, byte[] fld, float[] val, float[] labels,
                            float[] weights) {
        long h = acquire();
        try {
            Native.fmUpdateBatch(h, indptr, idx, fld, val, labels, weights, false);
        } finally {
            release();
        }
    }

    /**
     * Offline training ({@code growth_fm_fit}): several epochs over {@code train}, with early
     * stopping on {@code valid}; continues from the model's current state. Options: {@code epochs}
     * (default 10), {@code shuffle} (true), {@code seed} (0), {@code auto_stop} (true with a
     * validation set). Both sets are checked before training.
     *
     * @param train   the training set
     * @param valid   a validation set, or null
     * @param options "key=value ..." or null for the defaults
     * @return what the fit did
     */
    public FitResult fit(Data train, Data valid, String options) {
        return fit(train, valid, options, null);
    }

    /**
     * Like {@link #fit(Data, Data, String)} reporting progress in the calling thread (stage
     * "epoch", done = the fraction of all epochs' rows trained). Returning false, or throwing,
     * stops the fit: it throws {@link CanceledException} (or the listener's exception) and the
     * model is as it was before the call. Fits on one model run one at a time.
     *
     * @param train the training set
     * @param valid a validation set or null
     * @param options "key=value ..." or null
     * @param progress a listener, or null
     * @return what the fit did
     */
    public FitResult fit(Data train, Data valid, String options, Progress progress) {
        if (train == null) throw new NullPointerException("train must not be null");
        byte[] o = Native.config(options);
        long h = acquire();
        try {
            synchronized (fitLock) {
                Data v = valid;
                double[] r = v == null
                        ? Native.fmFit(h, train.indptr, train.indices, train.fields, train.values,
                                train.labels, train.weights, null, null, null, null, null, null, o,
                                progress)
                        : Native.fmFit(h, train.indptr, train.indices, train.fields, train.values,
                                train.labels, train.weights, v.indptr, v.indices, v.fields, v.values,
                                v.labels, v.weights, o, progress);
                return new FitResult(r);
            }
        } finally {
            release();
        }
    }

    // ---- rows of 64-bit feature keys (table=exact) ------------------------------------------

    /**
     * Probabilities of every head for one row of 64-bit feature keys (e.g. {@link Growth#hash64}
     * of "field=value"; {@code fld}: field ids, required for {@link FFM}; {@code val} null for all
     * ones). On a {@code table=exact} model a key without a record (not admitted, expired,
     * evicted) adds nothing; on a hashed model a key's low {@code bits} bits are its slot.
     *
     * @param keys 64-bit keys (any value)
     * @param fld  field ids or null
     * @param val  values or null
     * @return one probability per head
     */
    public float[] predictKeys(long[] keys, byte[] fld, float[] val) {
        long h = acquire();
        try {
            return Native.fmPredictKeys(h, keys, fld, val, 0);
        } finally {
            release();
        }
    }

    /** Margins (logits) of every head for one row of 64-bit keys, as {@link #predictKeys}. */
    public float[] marginKeys(long[] keys, byte[] fld, float[] val) {
        long h = acquire();
        try {
            return Native.fmPredictKeys(h, keys, fld, val, PREDICT_MARGIN);
        } finally {
            release();
        }
    }

    /**
     * Trains on one row of 64-bit keys ({@code labels}: one per head, or {@link #LABEL_MISSING}).
     * With {@code table=exact} the keys go through admission, expiry and the memory cap.
     */
    public void updateKeys(long[] keys, byte[] fld, float[] val, float[] labels, float weight) {
        long h = acquire();
        try {
            Native.fmUpdateKeys(h, keys, fld, val, labels, weight, false);
        } finally {
            release();
        }
    }

    /** Like {@link #updateKeys} and returns the probabilities predicted before training on the row. */
    public float[] predictUpdateKeys(long[] keys, byte[] fld, float[] val, float[] labels, float weight) {
        long h = acquire();
        try {
            return Native.fmUpdateKeys(h, keys, fld, val, labels, weight, true);
        } finally {
            release();
        }
    }

    /** Linear weight of 64-bit key {@code key} in {@code head} (0 when it has no record). */
    public float weightKey(int head, long key) {
        long h = acquire();
        try {
            return Native.fmWeightKey(h, head, key);
        } finally {
            release();
        }
    }

    /**
     * The k latent factors of 64-bit key {@code key} towards field {@code field} (zeros when it
     * has no record or training has not touched it yet).
     */
    public float[] factorsKey(long key, int field) {
        long h = acquire();
        try {
            return Native.fmFactorsKey(h, key, field);
        } finally {
            release();
        }
    }

    /**
     * Linear weight of slot {@code index} ({@link #BIAS} for the bias) of {@code head} (0 for a
     * slot with |z| {@code <=} l1).
     *
     * @param head  a head index
     * @param index a slot (uint32 bits in an int), or {@link #BIAS}
     * @return the weight
     * @throws InvalidArgumentException for a head or slot out of range, or the bias / linear
     *         weight of a model without one ({@code bias=false}, {@code linear=false})
     */
    public float weight(int head, int index) {
        long h = acquire();
        try {
            return Native.fmWeight(h, head, index);
        } finally {
            release();
        }
    }

    /**
     * The k latent factors of slot {@code index} towards field {@code field} (FFM's
     * v[index, field]; {@code field} must be 0 for {@link FM}).
     *
     * @param index a slot
     * @param field a field id
     * @return {@link #k()} floats
     */
    public float[] factors(int index, int field) {
        long h = acquire();
        try {
            return Native.fmFactors(h, index, field);
        } finally {
            release();
        }
    }

    /**
     * pCTR, pCVR and pCTCVR for one row from two heads of this model.
     *
     * @param ctrHead the CTR head
     * @param cvrHead the CVR head
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @return {pCTR, pCVR, pCTCVR}
     */
    public float[] esmmPredict(int ctrHead, int cvrHead, int[] idx, byte[] fld, float[] val) {
        long h = acquire();
        try {
            return Native.fmEsmmPredict(h, ctrHead, cvrHead, idx, fld, val);
        } finally {
            release();
        }
    }

    /**
     * ESMM training on one impression: the CTR head on the click, the CVR head through
     * logloss(click and conversion, pCTR x pCVR); both reach the shared factors.
     *
     * @param ctrHead the CTR head
     * @param cvrHead the CVR head (different)
     * @param idx slots
     * @param fld field ids or null
     * @param val values or null
     * @param click 0 or 1
     * @param conversion 0 or 1 (0 when click is 0)
     * @param weight the example's weight
     */
    public void esmmUpdate(int ctrHead, int cvrHead, int[] idx, byte[] fld, float[] val,
                           float click, float conversion, float weight) {
        long h = acquire();
        try {
            Native.fmEsmmUpdate(h, ctrHead, cvrHead, idx, fld, val, click, conversion, weight);
        } finally {
            release();
        }
    }

    /**
     * Saves the full training state atomically (the loader resumes training from it).
     *
     * @param path the file
     * @throws IOFailureException when the file cannot be written (a previous file is intact)
     */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.fmSave(h, p);
        } finally {
            release();
        }
    }

    /** @return the full state as bytes (the class's {@code deserialize} rebuilds it) */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.fmSerialize(h);
        } finally {
            release();
        }
    }
}
