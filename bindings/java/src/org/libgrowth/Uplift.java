package org.libgrowth;

/**
 * An uplift model ({@code growth_uplift}, uplift.h): the change in conversion probability each
 * treatment (coupon type or amount) causes, learned from a randomised holdout with the T-, S- or
 * X-learner, class transformation or the transformed outcome, on the forest or FTRL; and the
 * uplift metrics (scikit-uplift's definitions) and the coupon allocation on incremental values.
 *
 * <p>Treatment ids: 0 = control, 1..treatments. Bad input (an arm without rows, ids out of range,
 * propensities outside (0, 1)) throws {@link InvalidArgumentException} with the library's
 * message. Thread-safety: a model is immutable; predictions may run from any number of threads.
 */
public final class Uplift extends Handle {
    /** Flag of {@link #predict(float[], int, int)}: per-arm conversion probabilities, control first. */
    public static final int RESPONSE = 0x100;

    private Uplift(long ptr) {
        super(ptr, Native::upliftFree);
    }

    /**
     * Trains on {@code nrows} x {@code ncols} dense rows. {@code config}: "method=t_learner
     * base=forest treatments=2 base_config='num_rounds=80'"; {@code params}: the forest's xgboost
     * parameters (no objective; null for none); {@code propensity}: null or nrows x treatments;
     * {@code weights}: null or nrows.
     */
    public static Uplift train(String config, String params, float[] X, int nrows, int ncols, float[] y,
                               int[] treatment, float[] propensity, float[] weights) {
        return new Uplift(Native.upliftTrain(Native.config(config),
                Native.cstr(params == null ? "" : params, "params"), X, nrows, ncols, y, treatment,
                propensity, weights));
    }

    /** Loads a model saved by {@link #save(String)}. */
    public static Uplift load(String path) {
        return new Uplift(Native.upliftLoad(Native.cstr(path, "path")));
    }

    /** Rebuilds a model from {@link #serialize()} bytes. */
    public static Uplift deserialize(byte[] buf) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new Uplift(Native.upliftDeserialize(buf));
    }

    /** Effective configuration ("method=t_learner base=forest treatments=1 ..."). */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.upliftConfig(h));
        } finally {
            release();
        }
    }

    private int dim(int i) {
        long h = acquire();
        try {
            return Native.upliftDims(h)[i];
        } finally {
            release();
        }
    }

    /** Features per row. */
    public int numFeatures() {
        return dim(0);
    }

    /** Number of treatments T. */
    public int numTreatments() {
        return dim(1);
    }

    /** Uplift of {@code nrows} rows: nrows x T floats, row-major. */
    public float[] predict(float[] X, int nrows) {
        return predict(X, nrows, 0);
    }

    /** With {@link #RESPONSE}: nrows x (T + 1) conversion probabilities, control first. */
    public float[] predict(float[] X, int nrows, int flags) {
        long h = acquire();
        try {
            return Native.upliftPredict(h, X, nrows, flags);
        } finally {
            release();
        }
    }

    /** Saves atomically. */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.upliftSave(h, p);
        } finally {
            release();
        }
    }

    /** The model as libgrowth envelope bytes. */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.upliftSerialize(h);
        } finally {
            release();
        }
    }

    /**
     * The coupon plan (growth_uplift_allocate) solved with {@code solver}: user i's options are
     * entries indptr[i] .. indptr[i+1] of {@code uplift}, {@code redeem} (P(redeem | treated), or
     * null: the cost is always paid) and {@code costs}; value = uplift x {@code value}, expected
     * cost = cost x redeem, within {@code budget}. Returns the option per user (-1 for none);
     * the solver's result describes the solve.
     */
    public static int[] allocate(Mckp solver, long[] indptr, float[] uplift, float[] redeem, double[] costs,
                                 double budget, String config) {
        long h = solver.acquire();
        try {
            return Native.upliftAllocate(h, indptr, uplift, redeem, costs, budget, Native.config(config));
        } finally {
            solver.release();
        }
    }

    /** Qini coefficient (sklift's qini_auc_score); {@code config}: "arm=1 negative_effect=true". */
    public static double qiniAuc(float[] uplift, float[] labels, int[] treatment, String config) {
        return Native.upliftMetric(0, uplift, labels, treatment, Native.config(config));
    }

    /** AUUC (sklift's uplift_auc_score); {@code config}: "arm=1". */
    public static double upliftAuc(float[] uplift, float[] labels, int[] treatment, String config) {
        return Native.upliftMetric(1, uplift, labels, treatment, Native.config(config));
    }

    /** Uplift at k (sklift's uplift_at_k); {@code config}: "k=0.3 strategy=overall arm=0". */
    public static double upliftAtK(float[] uplift, float[] labels, int[] treatment, String config) {
        return Native.upliftMetric(2, uplift, labels, treatment, Native.config(config));
    }
}
