package org.libgrowth;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class UpliftTest {
    static final int N = 3000, F = 4;
    static float[] X = new float[N * F], y = new float[N];
    static int[] t = new int[N];
    static double[] truth = new double[N];

    static {
        Random r = new Random(7);
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < F; j++) X[i * F + j] = (float) r.nextGaussian();
            boolean persuadable = X[i * F] > 0;
            double p0 = persuadable ? 0.05 : 0.5, p1 = persuadable ? 0.45 : 0.5;
            truth[i] = p1 - p0;
            t[i] = r.nextInt(2);
            y[i] = r.nextDouble() < (t[i] == 1 ? p1 : p0) ? 1f : 0f;
        }
    }

    @Test
    void trainsPredictsAndRoundTrips() {
        try (Uplift u = Uplift.train("method=t_learner base_config='num_rounds=40'", "max_depth=3 eta=0.1", X, N, F,
                y, t, null, null)) {
            assertEquals(F, u.numFeatures());
            assertEquals(1, u.numTreatments());
            float[] tau = u.predict(X, N);
            float[] resp = u.predict(X, N, Uplift.RESPONSE);
            assertEquals(N, tau.length);
            assertEquals(2 * N, resp.length);
            double hi = 0, lo = 0;
            int nh = 0, nl = 0;
            for (int i = 0; i < N; i++) {
                assertEquals(resp[2 * i + 1] - resp[2 * i], tau[i], 1e-6);
                if (truth[i] > 0.2) { hi += tau[i]; nh++; } else { lo += tau[i]; nl++; }
            }
            assertTrue(hi / nh > lo / nl + 0.2, "persuadables get the larger uplift");
            double q = Uplift.qiniAuc(tau, y, t, "");
            assertTrue(q > 0.1, "qini " + q);
            assertTrue(Uplift.upliftAuc(tau, y, t, "arm=1") > 0.1);
            assertTrue(Uplift.upliftAtK(tau, y, t, "k=0.3") > 0.1);
            try (Uplift v = Uplift.deserialize(u.serialize())) {
                assertArrayEquals(tau, v.predict(X, N));
                assertEquals(u.config(), v.config());
            }
            long[] ip = new long[N + 1];
            float[] red = new float[N];
            double[] cost = new double[N];
            for (int i = 0; i <= N; i++) ip[i] = i;
            for (int i = 0; i < N; i++) { red[i] = resp[2 * i + 1]; cost[i] = 2.0; }
            try (Mckp s = new Mckp("")) {
                int[] choice = Uplift.allocate(s, ip, tau, red, cost, 100.0, "value=1");
                double spend = 0;
                for (int i = 0; i < N; i++)
                    if (choice[i] >= 0) { spend += cost[i] * red[i]; assertTrue(tau[i] > 0); }
                assertTrue(spend <= 100.0 + 1e-6);
            }
        }
    }

    @Test
    void badInputThrowsWithAMessage() {
        int[] bad = t.clone();
        bad[5] = 2;
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> Uplift.train("", null, X, N, F, y, bad, null, null));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        int[] one = new int[N];
        e = assertThrows(InvalidArgumentException.class, () -> Uplift.train("", null, X, N, F, y, one, null, null));
        assertTrue(e.getMessage().contains("one arm is missing"), e.getMessage());
        float[] prop = new float[N];
        java.util.Arrays.fill(prop, 0.5f);
        prop[3] = 1.0f;
        e = assertThrows(InvalidArgumentException.class,
                () -> Uplift.train("method=class_transform", null, X, N, F, y, t, prop, null));
        assertTrue(e.getMessage().contains("outside (0, 1)"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> Uplift.qiniAuc(new float[N], y, one, ""));
    }
}
