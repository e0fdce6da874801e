package org.libgrowth;

/**
 * Metrics (metrics.h): AUC, group AUC, log-loss, normalised entropy, calibration ratio. Arrays
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
}
