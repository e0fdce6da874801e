package org.libgrowth;

/**
 * Metrics (metrics.h): AUC, group AUC, log-loss, normalised entropy, calibration ratio, and the
 * calibration errors ECE, MCE, reliability tables, Field-ECE and Field-RCE. Arrays
 * have one entry per example; {@code weights} may be null (all 1). Bad input (different lengths,
 * no examples, NaN scores, labels other than 0/1, a single class for AUC) throws
 * {@link GrowthException} with code {@link Status#EINVAL}. Pure and thread-safe.
 */
public final class Metrics {
    private Metrics() {}

    /** Exact ROC AUC; ties count one half. */
    public static double auc(float[] scores, float[] labels, float[] weights) {
        return Native.auc(scores, labels, weights);
    }

    /** Group AUC: per-group AUC averaged with the groups' (weighted) sizes. */
    public static double gauc(float[] scores, float[] labels, float[] weights, long[] groups) {
        return Native.gauc(scores, labels, weights, groups)[0];
    }

    /** Number of groups (with both classes) that {@link #gauc} averages over. */
    public static long gaucGroupsUsed(float[] scores, float[] labels, float[] weights,
                                      long[] groups) {
        return (long) Native.gauc(scores, labels, weights, groups)[1];
    }

    /** Mean (weighted) binary log-loss; probabilities are clipped to [1e-15, 1 - 1e-15]. */
    public static double logLoss(float[] probs, float[] labels, float[] weights) {
        return Native.logLoss(probs, labels, weights);
    }

    /** Log-loss divided by the entropy of the base rate (below 1 beats the base rate). */
    public static double normalizedEntropy(float[] probs, float[] labels, float[] weights) {
        return Native.normalizedEntropy(probs, labels, weights);
    }

    /** sum(w p) / sum(w y): 1 is calibrated, above 1 over-predicts. */
    public static double calibrationRatio(float[] probs, float[] labels, float[] weights) {
        return Native.calibrationRatio(probs, labels, weights);
    }

    /** Binning for ECE/MCE/reliability: {@code bins} bins of equal width over [0, 1]. */
    public static final int BINS_UNIFORM = 0;
    /** Binning for ECE/MCE/reliability: bins of equal weight (tied probabilities never split). */
    public static final int BINS_QUANTILE = 1;

    /**
     * The library's binning config ("bins=10 binning=uniform"); an unknown {@code binning}
     * reaches the library as a number, which it refuses (EINVAL naming the key).
     */
    private static byte[] binConfig(int bins, int binning) {
        String b = binning == BINS_UNIFORM ? "uniform"
                 : binning == BINS_QUANTILE ? "quantile" : Integer.toString(binning);
        return Native.config("bins=" + bins + " binning=" + b);
    }

    /** A reliability-diagram table: per bin the mean probability, positive rate and weight. */
    public static final class Reliability {
        private final double[] meanProb, posRate, weight;

        Reliability(double[] meanProb, double[] posRate, double[] weight) {
            this.meanProb = meanProb;
            this.posRate = posRate;
            this.weight = weight;
        }

        /** Number of rows (every bin with uniform binning, the non-empty ones with quantile). */
        public int bins() {
            return meanProb.length;
        }

        /** (Weighted) mean probability per bin; NaN for an empty uniform bin. */
        public double[] meanProb() {
            return meanProb.clone();
        }

        /** (Weighted) positive rate per bin; NaN for an empty uniform bin. */
        public double[] posRate() {
            return posRate.clone();
        }

        /** Total weight per bin (the count when unweighted). */
        public double[] weight() {
            return weight.clone();
        }
    }

    /**
     * Expected calibration error: sum over bins of |sum w p - sum w y| / sum w; {@code bins} in
     * 1..2^20, {@code binning} {@link #BINS_UNIFORM} or {@link #BINS_QUANTILE}.
     */
    public static double ece(float[] probs, float[] labels, float[] weights, int bins,
                             int binning) {
        return Native.ece(probs, labels, weights, binConfig(bins, binning));
    }

    /** Maximum calibration error: the largest |mean probability - positive rate| over bins. */
    public static double mce(float[] probs, float[] labels, float[] weights, int bins,
                             int binning) {
        return Native.mce(probs, labels, weights, binConfig(bins, binning));
    }

    /** Reliability-diagram table (bins as in {@link #ece}). */
    public static Reliability reliability(float[] probs, float[] labels, float[] weights, int bins,
                                          int binning) {
        double[] t = Native.reliability(probs, labels, weights, binConfig(bins, binning));
        int n = t.length / 3;
        double[] m = new double[n], r = new double[n], w = new double[n];
        System.arraycopy(t, 0, m, 0, n);
        System.arraycopy(t, n, r, 0, n);
        System.arraycopy(t, 2 * n, w, 0, n);
        return new Reliability(m, r, w);
    }

    /** Field-level ECE: (1 / sum w) x sum over field values z of |sum_z w (y - p)|. */
    public static double fieldEce(float[] probs, float[] labels, float[] weights, long[] fields) {
        return Native.fieldEce(probs, labels, weights, fields);
    }

    /**
     * Field-level relative calibration error: the weight-averaged |sum_z w (y - p)| / sum_z w y
     * over the field values with positive labels (EINVAL when there is none).
     */
    public static double fieldRce(float[] probs, float[] labels, float[] weights, long[] fields) {
        return Native.fieldRce(probs, labels, weights, fields)[0];
    }

    /** Number of field values (those with a positive label) that {@link #fieldRce} averages. */
    public static long fieldRceFieldsUsed(float[] probs, float[] labels, float[] weights,
                                          long[] fields) {
        return (long) Native.fieldRce(probs, labels, weights, fields)[1];
    }
}
