package org.libgrowth;

import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * A probability calibrator ({@code growth_calibrator}, calibration.h): maps raw scores to
 * probabilities that agree with observed rates. Fitted once from (score, label[, weight][,
 * field]) and then applied read-only.
 *
 * <p>Configuration keys: {@code method} ({@code platt}, {@code temperature}, {@code isotonic}
 * (default), {@code histogram}, {@code field}), {@code input} ({@code probability} or
 * {@code margin}), {@code bins}, {@code binning}, {@code buckets}, {@code min_bucket},
 * {@code prior}, {@code max_iter} (see calibration.h). Bad keys or values, and bad fitting input,
 * throw {@link GrowthException} with code {@link Status#EINVAL}; applying an unfitted calibrator
 * throws {@link Status#ESTATE}.
 *
 * <p>Thread-safety: the predict/apply, config, summary, knots, sigmoid, save and serialize calls
 * only read the handle and may run from any number of threads at once; {@link #fit} needs exclusive
 * access. {@link #close()} may be called while other threads are inside calls: the C object is
 * freed when the last of them returns.
 *
 * <pre>{@code
 * try (Calibrator cal = new Calibrator("method=isotonic")) {
 *     cal.fit(scores, labels, null, null);
 *     float[] p = cal.predict(rawScores, null);
 * }
 * }</pre>
 */
public final class Calibrator extends Handle {
    /** The knots (x ascending, y) of a piecewise map. */
    public static final class Knots {
        private final double[] x, y;

        Knots(double[] x, double[] y) {
            this.x = x;
            this.y = y;
        }

        /** Knot positions (scores), ascending. */
        public double[] x() {
            return x.clone();
        }

        /** Calibrated values at the knots. */
        public double[] y() {
            return y.clone();
        }

        public int size() {
            return x.length;
        }

        @Override
        public String toString() {
            return "Knots{n=" + x.length + "}";
        }
    }

    /** An unfitted isotonic calibrator (the default configuration). */
    public Calibrator() {
        this("");
    }

    /** An unfitted calibrator from a configuration string, e.g. "method=platt". */
    public Calibrator(String config) {
        super(Native.calibratorCreate(Native.config(config)), Native::calibratorFree);
    }

    private Calibrator(long ptr) {
        super(ptr, Native::calibratorFree);
    }

    /** Loads a calibrator saved by {@link #save(String)}; another kind of file is EFORMAT. */
    public static Calibrator load(String path) {
        return new Calibrator(Native.calibratorLoad(Native.cstr(path, "path")));
    }

    /** Rebuilds a calibrator from {@link #serialize()} bytes. */
    public static Calibrator deserialize(byte[] buf) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new Calibrator(Native.calibratorDeserialize(buf));
    }

    /** Effective configuration ("method=isotonic input=probability ..."). */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.calibratorConfig(h));
        } finally {
            release();
        }
    }

    /** What was fitted ("method=platt fitted=1 samples=... a=... b=..."). */
    public String summary() {
        long h = acquire();
        try {
            return Native.str(Native.calibratorSummary(h));
        } finally {
            release();
        }
    }

    /**
     * Fits the calibrator, replacing any previous fit (on failure the previous fit stays).
     * {@code weights} may be null (all 1); {@code fields} (one id per sample) is required by
     * {@code method=field} and ignored otherwise (may be null).
     */
    public void fit(float[] scores, float[] labels, float[] weights, long[] fields) {
        long h = acquire();
        try {
            Native.calibratorFit(h, scores, labels, weights, fields);
        } finally {
            release();
        }
    }

    /** {@code fit(scores, labels, null, null)}. */
    public void fit(float[] scores, float[] labels) {
        fit(scores, labels, null, null);
    }

    /** Calibrated probabilities of a batch; {@code fields} null means the global map for all. */
    public float[] predict(float[] scores, long[] fields) {
        long h = acquire();
        try {
            return Native.calibratorApplyBatch(h, scores, fields);
        } finally {
            release();
        }
    }

    /** Calibrated probabilities of a batch with the global map. */
    public float[] predict(float[] scores) {
        return predict(scores, null);
    }

    /** Calibrated probabilities of a batch in double precision (exact to the fitted map). */
    public double[] predict(double[] scores, long[] fields) {
        long h = acquire();
        try {
            return Native.calibratorApplyBatchF64(h, scores, fields);
        } finally {
            release();
        }
    }

    /**
     * Calibrated probabilities of a batch read from and written to direct buffers without
     * copies: the scores in {@code scores}, one field per score in {@code fields} (null: the
     * global map for all), as many floats written at {@code out}'s position
     * ({@link BufferTooSmallException} when fewer remain). The same floats as
     * {@link #predict(float[], long[])}. Buffers must be direct (e.g.
     * {@code ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder())} or a view of one) and in
     * native byte order, else IllegalArgumentException; their elements between position and
     * limit are used in place, without copies, and positions are not changed.
     */
    public void predict(FloatBuffer scores, LongBuffer fields, FloatBuffer out) {
        applyBuf(false, scores, fields, out);
    }

    /** {@link #predict(FloatBuffer, LongBuffer, FloatBuffer)} in double precision, as
     * {@link #predict(double[], long[])}. */
    public void predict(DoubleBuffer scores, LongBuffer fields, DoubleBuffer out) {
        applyBuf(true, scores, fields, out);
    }

    private void applyBuf(boolean f64, Buffer scores, LongBuffer fields, Buffer out) {
        Buffers.in(scores, "scores");
        Buffers.optional(fields, "fields");
        Buffers.out(out, "out");
        int n = scores.remaining();
        Buffers.sameLength("Calibrator.predict", "fields", fields, n, "scores");
        long h = acquire();
        try {
            Native.calibratorApplyBatchBuf(h, f64, scores, scores.position(), n, fields,
                    Buffers.pos(fields), out, out.position(), out.remaining());
        } finally {
            release();
        }
    }

    /** Calibrates one score; {@code field} null (or unseen in training) uses the global map. */
    public double apply(double score, Long field) {
        long h = acquire();
        try {
            return Native.calibratorApply(h, score, field != null,
                    field != null ? field : 0L);
        } finally {
            release();
        }
    }

    /** Calibrates one score with the global map. */
    public double apply(double score) {
        return apply(score, null);
    }

    /**
     * Knots of a piecewise map (isotonic thresholds, histogram lower edges and rates, or a field's
     * map); {@code field} null for the global map. ESTATE for an unfitted or sigmoid calibrator.
     */
    public Knots knots(Long field) {
        long h = acquire();
        try {
            double[] xy = Native.calibratorKnots(h, field != null, field != null ? field : 0L);
            int n = xy.length / 2;
            double[] x = new double[n], y = new double[n];
            System.arraycopy(xy, 0, x, 0, n);
            System.arraycopy(xy, n, y, 0, n);
            return new Knots(x, y);
        } finally {
            release();
        }
    }

    /** Knots of the global map. */
    public Knots knots() {
        return knots(null);
    }

    /**
     * Parameters {a, b} of a Platt or temperature fit, p = sigmoid(a x + b); ESTATE for another
     * method or before fitting.
     */
    public double[] sigmoid() {
        long h = acquire();
        try {
            return Native.calibratorSigmoid(h);
        } finally {
            release();
        }
    }

    /** Saves the fitted calibrator atomically (ESTATE when not fitted). */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.calibratorSave(h, p);
        } finally {
            release();
        }
    }

    /** The fitted calibrator as bytes ({@link #deserialize(byte[])} rebuilds it). */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.calibratorSerialize(h);
        } finally {
            release();
        }
    }
}
