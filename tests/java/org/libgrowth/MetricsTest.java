package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
