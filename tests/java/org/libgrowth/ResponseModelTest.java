package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fitted response curves and the multi-outcome allocation (ResponseModel). */
class ResponseModelTest {
    @Test
    void fitRecoversExactCurves() {
        double[] x = new double[40], ye = new double[40], yl = new double[40];
        for (int i = 0; i < 40; i++) {
            x[i] = 500 + 600 * i;
            ye[i] = 5000 * -Math.expm1(-1e-4 * x[i]);
            yl[i] = 900 * Math.log1p(8e-4 * x[i]);
        }
        ResponseModel.Fit e = ResponseModel.fitCurve(x, ye, null, "auto");
        assertEquals("exp", e.family());
        assertEquals(5000, e.a(), 5000 * 1e-6);
        assertEquals(1e-4, e.b(), 1e-4 * 1e-6);
        assertEquals(1.0, e.r2(), 1e-9);
        assertEquals(40, e.n());
        ResponseModel.Fit l = ResponseModel.fitCurve(x, yl, null, "log");
        assertEquals(900, l.a(), 900 * 1e-6);
        ResponseModel.Fit p = ResponseModel.fitCurve(x, ye, null, "pwl");
        assertEquals("pwl", p.family());
        assertEquals(0.0, p.knotX()[0]);
        assertTrue(p.knotX().length >= 2 && p.rmse() < 20);
        assertEquals(p.knotY()[1], p.value(p.knotX()[1]), 1e-9);
    }

    @Test
    void twoPlacementsMatchBruteForce() {
        double[] x = {1000, 3000, 6000, 9000, 14000, 20000};
        double[][] y = new double[4][6];
        for (int i = 0; i < 6; i++) {
            y[0][i] = 5000 * -Math.expm1(-1e-4 * x[i]);
            y[1][i] = 0.6 * y[0][i];
            y[2][i] = 2000 * Math.log1p(5e-4 * x[i]);
            y[3][i] = 0.35 * y[2][i] * Math.pow(x[i] / 1000, 0.1);
        }
        try (ResponseModel m = new ResponseModel(2, "")) {
            m.add("a", 0, new ResponseModel.Fit[] {ResponseModel.fitCurve(x, y[0], null, "exp"),
                    ResponseModel.fitCurve(x, y[1], null, "exp")});
            m.add("b", 1, new ResponseModel.Fit[] {ResponseModel.fitCurve(x, y[2], null, "log"),
                    ResponseModel.fitCurve(x, y[3], null, "auto")});
            double budget = 20000;
            for (double rate : new double[] {0, 0.5}) {
                ResponseModel.Plan p = m.allocate(new double[] {budget}, new double[] {1, 0},
                        new double[] {0, rate}, null, null);
                double best = -1;
                for (int i = 0; i <= 20000; i++) {
                    double xa = budget * i / 20000.0, xb = budget - xa;
                    double inst = m.fitOf(0, 0).value(xa) + m.fitOf(1, 0).value(xb);
                    double logins = m.fitOf(0, 1).value(xa) + m.fitOf(1, 1).value(xb);
                    if (logins >= rate * inst) best = Math.max(best, inst);
                }
                assertTrue(p.objective() >= best - 1e-6 * best, p.objective() + " < " + best);
                assertTrue(p.objective() <= best * (1 + 1e-5), p.objective() + " >> " + best);
                assertTrue(p.objective() <= p.bound() * (1 + 1e-12));
                assertTrue(p.totals()[1] >= rate * p.totals()[0] * (1 - 1e-9));
                assertEquals(p.objective(), p.totals()[0], 1e-9 * p.objective());
            }
            // a platform budget binds
            ResponseModel.Plan p = m.allocate(new double[] {budget, 3000, Double.POSITIVE_INFINITY},
                    new double[] {1, 0}, null, null, null);
            assertEquals(3000, p.spend()[0], 1e-6);
        }
    }

    @Test
    void demoLogsMatchPython() throws IOException {
        Path csv = Paths.get(System.getenv().getOrDefault("GROWTH_SOURCE_ROOT", "."), "examples", "data",
                "spend_logs.csv");
        List<String> lines = Files.readAllLines(csv);
        int n = lines.size() - 1;
        assertEquals("platform,placement,day,spend,installs,logins,retained", lines.get(0));
        String[] plat = new String[n], place = new String[n];
        double[] spend = new double[n], inst = new double[n], logins = new double[n], ret = new double[n];
        for (int i = 0; i < n; i++) {
            String[] f = lines.get(i + 1).split(",");
            plat[i] = f[0];
            place[i] = f[1];
            spend[i] = Double.parseDouble(f[3]);
            inst[i] = Double.parseDouble(f[4]);
            logins[i] = Double.parseDouble(f[5]);
            ret[i] = Double.parseDouble(f[6]);
        }
        try (ResponseModel m = ResponseModel.fit(place, plat, spend, inst, logins, ret, "auto")) {
            assertArrayEquals(new String[] {"feed_ios", "search_ios", "video_ios", "feed_android",
                    "social_android", "store_android"}, m.placements());
            assertArrayEquals(new String[] {"ios", "android"}, m.platforms());
            assertEquals("pwl", m.fitOf(2, 0).family());
            assertEquals("exp", m.fitOf(0, 0).family());
            ResponseModel.Plan p = m.allocate(40000, new double[] {1, 0, 0}, 0.55, 0, Map.of("ios", 15000.0));
            // the same plan as growth.budget in Python and `growth budget channels --fit`
            assertEquals(12192.673014, p.objective(), 1e-5);
            assertEquals(p.bound(), p.objective(), 1e-6 * p.objective());
            assertEquals(0.55, p.totals()[1] / p.totals()[0], 1e-8);
            double[] s = p.spend();
            assertTrue(s[0] + s[1] + s[2] <= 15000 * (1 + 1e-9));
        }
    }

    @Test
    void badInput() {
        double[] x = {100, 200, 300}, y = {10, 18, 24};
        assertThrows(InvalidArgumentException.class,
                () -> ResponseModel.fitCurve(new double[] {100, -1, 300}, y, null, "auto"));
        assertThrows(InvalidArgumentException.class,
                () -> ResponseModel.fitCurve(x, new double[] {10, Double.NaN, 24}, null, "auto"));
        assertThrows(InvalidArgumentException.class, () -> ResponseModel.fitCurve(x, y, null, "cubic"));
        assertThrows(InvalidArgumentException.class, () -> ResponseModel.fitCurve(x, new double[2], null, "auto"));
        assertThrows(NullPointerException.class, () -> ResponseModel.fitCurve(null, y, null, "auto"));
        assertThrows(InvalidArgumentException.class, () -> new ResponseModel(0, ""));
        assertThrows(InvalidArgumentException.class, () -> new ResponseModel(3, "bogus=1"));
        try (ResponseModel m = new ResponseModel(1, "")) {
            assertThrows(InvalidStateException.class,
                    () -> m.allocate(new double[] {1}, new double[] {1}, null, null, null));
            m.add("a", -1, new ResponseModel.Fit[] {ResponseModel.fitCurve(x, y, null, "auto")});
            assertThrows(InvalidArgumentException.class,
                    () -> m.allocate(new double[] {Double.NaN}, new double[] {1}, null, null, null));
            assertThrows(InvalidArgumentException.class,
                    () -> m.allocate(new double[] {100}, new double[] {1}, null, new double[] {200}, null));
            assertThrows(InvalidArgumentException.class,
                    () -> m.allocate(new double[] {100}, new double[] {1, 0}, null, null, null));
            assertThrows(InvalidArgumentException.class,
                    () -> m.allocate(new double[] {100}, new double[] {1}, null, new double[] {1, 2}, null));
            assertThrows(InvalidArgumentException.class, () -> m.add("b", -1, new ResponseModel.Fit[0]));
            assertEquals(1, m.placements().length);
        }
    }
}
