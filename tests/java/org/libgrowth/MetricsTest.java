package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class MetricsTest {
    private static void assertEinval(Executable call) {
        GrowthException e = assertThrows(GrowthException.class, call);
        assertEquals(Status.EINVAL, e.code(), e.getMessage());
    }

    @Test
    void aucMatchesTheTextbookExample() {
        float[] s = {0.1f, 0.4f, 0.35f, 0.8f};
        float[] y = {0, 0, 1, 1};
        assertEquals(0.75, Metrics.auc(s, y, null), 1e-12);
        assertEquals(0.75, Metrics.auc(s, y, new float[] {2, 2, 2, 2}), 1e-12);
        // ties count one half
        assertEquals(0.5, Metrics.auc(new float[] {0.3f, 0.3f}, new float[] {0, 1}, null), 1e-12);
        // weights act as repetitions: the positive 0.35 (beats one negative) counted twice
        assertEquals((2.0 * 1 + 1.0 * 2) / (3.0 * 2),
                     Metrics.auc(s, y, new float[] {1, 1, 2, 1}), 1e-9);
    }

    @Test
    void gaucAveragesPerGroupAucs() {
        float[] s = {0.1f, 0.9f, 0.9f, 0.1f, 0.5f, 0.6f};
        float[] y = {0, 1, 0, 1, 1, 1};
        long[] g = {7, 7, 8, 8, 9, 9}; // group 9 has one class: skipped
        assertEquals(0.5, Metrics.gauc(s, y, null, g), 1e-12);
        assertEquals(2, Metrics.gaucGroupsUsed(s, y, null, g));
        float[] w = {3, 3, 1, 1, 1, 1};
        assertEquals(0.75, Metrics.gauc(s, y, w, g), 1e-9);
    }

    @Test
    void logLossNormalizedEntropyAndCalibration() {
        float[] p = {0.9f, 0.1f, 0.8f, 0.3f};
        float[] y = {1, 0, 1, 0};
        double ll = -(Math.log(0.9f) + Math.log(1 - 0.1f) + Math.log(0.8f) + Math.log(1 - 0.3f)) / 4;
        assertEquals(ll, Metrics.logLoss(p, y, null), 1e-6);
        assertEquals(ll / Math.log(2), Metrics.normalizedEntropy(p, y, null), 1e-6);
        assertEquals((0.9 + 0.1 + 0.8 + 0.3) / 2, Metrics.calibrationRatio(p, y, null), 1e-6);
        // clipping: a certain wrong prediction is finite
        double clipped = Metrics.logLoss(new float[] {0f}, new float[] {1f}, null);
        assertEquals(-Math.log(1e-15), clipped, 1e-6);
    }

    @Test
    void badInputThrowsEinval() {
        float[] s = {0.2f, 0.7f, 0.4f};
        float[] y = {0, 1, 1};
        assertEinval(() -> Metrics.auc(s, new float[] {0, 1}, null));
        assertEinval(() -> Metrics.auc(s, y, new float[] {1, 1}));
        assertEinval(() -> Metrics.auc(new float[0], new float[0], null));
        assertEinval(() -> Metrics.auc(s, new float[] {1, 1, 1}, null));
        assertEinval(() -> Metrics.auc(s, new float[] {0, 2, 1}, null));
        assertEinval(() -> Metrics.auc(new float[] {0.2f, Float.NaN, 0.4f}, y, null));
        assertEinval(() -> Metrics.auc(s, y, new float[] {1, -1, 1}));
        assertEinval(() -> Metrics.gauc(s, y, null, new long[] {1, 2}));
        assertEinval(() -> Metrics.gauc(s, y, null, new long[] {1, 2, 3}));
        assertEinval(() -> Metrics.logLoss(new float[] {0.2f, 1.5f, 0.4f}, y, null));
        assertEinval(() -> Metrics.logLoss(s, new float[] {0, 1}, null));
        assertEinval(() -> Metrics.normalizedEntropy(s, new float[] {1, 1, 1}, null));
        assertEinval(() -> Metrics.calibrationRatio(s, new float[] {0, 0, 0}, null));
        assertThrows(NullPointerException.class, () -> Metrics.auc(null, y, null));
        assertThrows(NullPointerException.class, () -> Metrics.gauc(s, y, null, null));
    }

    @Test
    void eceMceAndReliabilityOnAHandExample() {
        float[] p = {0.1f, 0.2f, 0.8f, 0.9f};
        float[] y = {0, 1, 1, 1};
        // bins [0, .5): |.3 - 1|, [.5, 1]: |1.7 - 2|; over 4 examples
        assertEquals(0.25, Metrics.ece(p, y, null, 2, Metrics.BINS_UNIFORM), 1e-6);
        assertEquals(0.35, Metrics.mce(p, y, null, 2, Metrics.BINS_UNIFORM), 1e-6);
        // quantile binning with 2 bins puts two examples in each: the same bins here
        assertEquals(0.25, Metrics.ece(p, y, null, 2, Metrics.BINS_QUANTILE), 1e-6);
        // weights act as repetitions
        assertEquals(Metrics.ece(new float[] {0.1f, 0.1f, 0.2f, 0.8f, 0.9f},
                                 new float[] {0, 0, 1, 1, 1}, null, 2, Metrics.BINS_UNIFORM),
                     Metrics.ece(p, y, new float[] {2, 1, 1, 1}, 2, Metrics.BINS_UNIFORM), 1e-9);

        Metrics.Reliability r = Metrics.reliability(p, y, null, 4, Metrics.BINS_UNIFORM);
        assertEquals(4, r.bins());
        assertEquals(0.15, r.meanProb()[0], 1e-6);
        assertEquals(0.5, r.posRate()[0], 1e-12);
        assertEquals(2.0, r.weight()[0], 0.0);
        assertTrue(Double.isNaN(r.meanProb()[1]) && Double.isNaN(r.posRate()[2]));
        assertEquals(0.0, r.weight()[1], 0.0);
        assertEquals(0.85, r.meanProb()[3], 1e-6);
        assertEquals(1.0, r.posRate()[3], 1e-12);
        Metrics.Reliability q = Metrics.reliability(p, y, null, 4, Metrics.BINS_QUANTILE);
        assertEquals(4, q.bins()); // the non-empty bins only
        for (double w : q.weight()) assertEquals(1.0, w, 0.0);
    }

    @Test
    void fieldEceAndFieldRce() {
        float[] p = {0.2f, 0.4f, 0.5f, 0.5f, 0.3f};
        float[] y = {0, 1, 1, 0, 0};
        long[] f = {1, 1, 2, 2, 3};
        // field 1: |(0 - .2) + (1 - .4)| = .4; field 2: 0; field 3: .3; over 5 examples
        assertEquals(0.7 / 5, Metrics.fieldEce(p, y, null, f), 1e-6);
        // RCE: field 3 has no positive label and is left out: (2 x .4 / 1 + 2 x 0) / 4
        assertEquals(0.2, Metrics.fieldRce(p, y, null, f), 1e-6);
        assertEquals(2, Metrics.fieldRceFieldsUsed(p, y, null, f));
        assertEinval(() -> Metrics.fieldRce(p, new float[] {0, 0, 0, 0, 0}, null, f));
        assertEinval(() -> Metrics.fieldEce(p, y, null, new long[] {1, 2}));
        assertThrows(NullPointerException.class, () -> Metrics.fieldEce(p, y, null, null));
    }

    @Test
    void calibrationMetricsRejectBadInput() {
        float[] p = {0.1f, 0.2f, 0.8f};
        float[] y = {0, 1, 1};
        assertEinval(() -> Metrics.ece(p, y, null, 0, Metrics.BINS_UNIFORM));
        assertEinval(() -> Metrics.ece(p, y, null, (1 << 20) + 1, Metrics.BINS_UNIFORM));
        assertEinval(() -> Metrics.ece(p, y, null, 10, 7));
        assertEinval(() -> Metrics.mce(new float[] {0.1f, 1.5f, 0.3f}, y, null, 10, 0));
        assertEinval(() -> Metrics.reliability(p, y, null, -3, Metrics.BINS_UNIFORM));
        assertEinval(() -> Metrics.reliability(p, new float[] {0, 1}, null, 3, 0));
        assertThrows(NullPointerException.class,
                () -> Metrics.reliability(null, y, null, 3, Metrics.BINS_UNIFORM));
    }
}
