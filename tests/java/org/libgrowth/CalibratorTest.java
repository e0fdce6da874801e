package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class CalibratorTest {
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = TestUtil.tmpDir();
    }

    @AfterEach
    void tearDown() throws IOException {
        TestUtil.deleteTree(dir);
    }

    private static void assertCode(int code, Executable call) {
        GrowthException e = assertThrows(GrowthException.class, call);
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
    }

    // Pool-adjacent-violators by hand: labels 0 1 0 0 1 1 at scores .1 .. .6 pool the middle
    // three into 1/3; predictions interpolate linearly and clip outside [.1, .6].
    private static final float[] S = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    private static final float[] Y = {0, 1, 0, 0, 1, 1};

    @Test
    void isotonicMatchesAHandComputedFit() {
        try (Calibrator c = new Calibrator("method=isotonic")) {
            c.fit(S, Y);
            assertEquals(0.0, c.apply(0.1), 1e-12);
            assertEquals(1.0 / 3, c.apply(0.3f), 1e-12);
            assertEquals(1.0 / 3, c.apply(0.2f), 1e-12);
            assertEquals(1.0, c.apply(0.6f), 1e-12);
            // halfway between the knots (.4, 1/3) and (.5, 1)
            assertEquals(2.0 / 3, c.apply((0.4f + (double) 0.5f) / 2), 1e-9);
            assertEquals(1.0 / 6, c.apply((0.1f + (double) 0.2f) / 2), 1e-9);
            assertEquals(0.0, c.apply(-5.0), 0.0);
            assertEquals(1.0, c.apply(7.0), 0.0);
            assertEquals(1.0, c.apply(Double.POSITIVE_INFINITY), 0.0);

            float[] p = c.predict(new float[] {0.05f, 0.3f, 0.6f, 0.99f});
            assertArrayEquals(new float[] {0f, 1f / 3, 1f, 1f}, p, 1e-6f);
            double[] q = c.predict(new double[] {0.3f, 0.6f}, null);
            assertArrayEquals(new double[] {1.0 / 3, 1.0}, q, 1e-12);
            // a field id is ignored by this method
            assertEquals(c.apply(0.3f), c.apply(0.3f, 42L), 0.0);

            Calibrator.Knots k = c.knots();
            double[] x = k.x(), y = k.y();
            assertEquals(x.length, y.length);
            assertEquals(0.1f, x[0], 0.0);
            assertEquals(0.6f, x[x.length - 1], 0.0);
            for (int i = 1; i < x.length; i++) {
                assertTrue(x[i] > x[i - 1]);
                assertTrue(y[i] >= y[i - 1]);
            }
            assertTrue(c.summary().contains("fitted=1"), c.summary());
            assertCode(Status.ESTATE, c::sigmoid);
        }
    }

    @Test
    void plattIsMonotoneWithinTheUnitInterval() {
        Random rnd = new Random(5);
        int n = 2000;
        float[] s = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = rnd.nextFloat();
            y[i] = rnd.nextFloat() < 0.2 + 0.6 * s[i] ? 1 : 0;
        }
        try (Calibrator c = new Calibrator("method=platt")) {
            c.fit(s, y, null, null);
            double[] ab = c.sigmoid();
            assertEquals(2, ab.length);
            assertTrue(ab[0] > 0, "a = " + ab[0]);
            float[] grid = new float[101];
            for (int i = 0; i <= 100; i++) grid[i] = i / 100f;
            float[] p = c.predict(grid);
            for (int i = 0; i <= 100; i++) {
                assertTrue(p[i] > 0 && p[i] < 1, "p = " + p[i]);
                if (i > 0) assertTrue(p[i] >= p[i - 1], "not monotone at " + i);
            }
            // p = sigmoid(a logit(s) + b) at an interior point
            double x = Math.log(0.3 / 0.7);
            assertEquals(1 / (1 + Math.exp(-(ab[0] * x + ab[1]))), c.apply(0.3), 1e-9);
            // calibrated on average: mean prediction close to the positive rate
            double mp = 0, my = 0;
            float[] ps = c.predict(s);
            for (int i = 0; i < n; i++) {
                mp += ps[i];
                my += y[i];
            }
            assertEquals(my / n, mp / n, 0.02);
            assertCode(Status.ESTATE, c::knots);
        }
    }

    @Test
    void fieldCalibrationLowersFieldEce() {
        Random rnd = new Random(11);
        int n = 6000;
        float[] s = new float[n], y = new float[n];
        long[] f = new long[n];
        for (int i = 0; i < n; i++) {
            f[i] = i % 3;
            s[i] = 0.05f + 0.9f * rnd.nextFloat();
            double truth = f[i] == 0 ? s[i] * 0.5 : f[i] == 1 ? Math.min(1, s[i] * 1.5) : s[i];
            y[i] = rnd.nextDouble() < truth ? 1 : 0;
        }
        try (Calibrator c = new Calibrator("method=field buckets=8 min_bucket=50 prior=10")) {
            c.fit(s, y, null, f);
            float[] p = c.predict(s, f);
            double before = Metrics.fieldEce(s, y, null, f);
            double after = Metrics.fieldEce(p, y, null, f);
            assertTrue(after < 0.5 * before, before + " -> " + after);
            // an unseen field uses the global map
            assertEquals(c.apply(0.5, null), c.apply(0.5, 12345L), 0.0);
            assertTrue(c.knots(0L).size() > 0);
            // fields are required by method=field
            assertCode(Status.EINVAL, () -> c.fit(s, y, null, null));
        }
    }

    @Test
    void unfittedAndBadInput() {
        try (Calibrator c = new Calibrator()) {
            assertTrue(c.config().contains("method=isotonic"), c.config());
            assertCode(Status.ESTATE, () -> c.apply(0.5));
            assertCode(Status.ESTATE, () -> c.predict(new float[] {0.5f}));
            assertCode(Status.ESTATE, () -> c.save(dir.resolve("x.cal").toString()));
            // a single class
            assertCode(Status.EINVAL, () -> c.fit(S, new float[] {1, 1, 1, 1, 1, 1}));
            // lengths
            assertCode(Status.EINVAL, () -> c.fit(S, new float[] {0, 1}));
            assertCode(Status.EINVAL, () -> c.fit(S, Y, new float[] {1}, null));
            assertCode(Status.EINVAL, () -> c.fit(S, Y, null, new long[] {1}));
            // label out of range, negative weight, NaN score
            assertCode(Status.EINVAL, () -> c.fit(S, new float[] {0, 2, 0, 0, 1, 1}));
            assertCode(Status.EINVAL,
                    () -> c.fit(S, Y, new float[] {1, 1, -1, 1, 1, 1}, null));
            float[] nan = S.clone();
            nan[2] = Float.NaN;
            assertCode(Status.EINVAL, () -> c.fit(nan, Y));
            assertThrows(NullPointerException.class, () -> c.fit(null, Y));
            assertThrows(NullPointerException.class, () -> c.fit(S, null));
            // a failed fit keeps the previous state (here: unfitted)
            assertCode(Status.ESTATE, () -> c.apply(0.5));
            c.fit(S, Y);
            assertCode(Status.EINVAL, () -> c.apply(Double.NaN));
            assertCode(Status.EINVAL, () -> c.predict(new float[] {Float.NaN}));
            assertCode(Status.EINVAL, () -> c.predict(new float[] {0.5f}, new long[] {1, 2}));
            assertThrows(NullPointerException.class, () -> c.predict((float[]) null));
        }
        GrowthException e = assertThrows(GrowthException.class,
                () -> new Calibrator("method=magic"));
        assertEquals(Status.EINVAL, e.code());
        assertTrue(e.getMessage().contains("method"), e.getMessage());
        e = assertThrows(GrowthException.class, () -> new Calibrator("bogus_key=1"));
        assertTrue(e.getMessage().contains("bogus_key"), e.getMessage());
    }

    @Test
    void saveLoadAndSerializeRoundTrip() throws IOException {
        float[] q = {0.0f, 0.12f, 0.25f, 0.33f, 0.47f, 0.58f, 0.9f};
        for (String method : new String[] {"isotonic", "platt", "temperature", "histogram"}) {
            try (Calibrator c = new Calibrator("method=" + method + " bins=3")) {
                c.fit(S, Y);
                float[] want = c.predict(q);
                String path = dir.resolve(method + ".cal").toString();
                c.save(path);
                assertEquals("calibrator", Growth.modelKind(path));
                try (Calibrator l = Calibrator.load(path);
                     Calibrator d = Calibrator.deserialize(c.serialize())) {
                    assertArrayEquals(want, l.predict(q), 0f);
                    assertArrayEquals(want, d.predict(q), 0f);
                    assertEquals(c.config(), l.config());
                    assertEquals(c.summary(), d.summary());
                }
            }
        }
    }

    @Test
    void wrongKindAndCorruptFilesAreEformat() throws IOException {
        String ftrl = dir.resolve("m.ftrl").toString();
        try (Ftrl m = new Ftrl("bits=10")) {
            m.save(ftrl);
        }
        assertCode(Status.EFORMAT, () -> Calibrator.load(ftrl));
        Path junk = dir.resolve("junk.cal");
        Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertCode(Status.EFORMAT, () -> Calibrator.load(junk.toString()));
        assertCode(Status.EIO, () -> Calibrator.load(dir.resolve("missing.cal").toString()));
        byte[] buf;
        try (Calibrator c = new Calibrator()) {
            c.fit(S, Y);
            buf = c.serialize();
        }
        byte[] cut = java.util.Arrays.copyOf(buf, buf.length / 2);
        assertCode(Status.EFORMAT, () -> Calibrator.deserialize(cut));
        assertThrows(NullPointerException.class, () -> Calibrator.deserialize(null));
        assertThrows(NullPointerException.class, () -> Calibrator.load(null));
    }

    @Test
    void closeIsIdempotentAndLaterCallsThrow() {
        Calibrator c = new Calibrator();
        c.fit(S, Y);
        c.close();
        c.close();
        assertTrue(c.isClosed());
        assertThrows(IllegalStateException.class, () -> c.apply(0.5));
        assertThrows(IllegalStateException.class, () -> c.predict(S));
        assertThrows(IllegalStateException.class, c::serialize);
    }
}
