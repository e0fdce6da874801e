package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ForestTest {
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

    private static Path fixtures() {
        String root = System.getenv("GROWTH_SOURCE_ROOT");
        return Paths.get(root == null ? "." : root, "tests", "data", "forest");
    }

    /** rows.txt: 6 features, binary margin, binary prob, multi margins x3, multi probs x3. */
    private static double[][] rows() throws IOException {
        List<double[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(fixtures().resolve("rows.txt"))) {
            if (line.startsWith("#") || line.isBlank()) continue;
            String[] t = line.trim().split("\\s+");
            double[] r = new double[t.length];
            for (int i = 0; i < t.length; i++) r[i] = t[i].equals("nan") ? Double.NaN
                    : Double.parseDouble(t[i]);
            out.add(r);
        }
        return out.toArray(new double[0][]);
    }

    private static float[] features(double[][] rows) {
        float[] x = new float[rows.length * 6];
        for (int r = 0; r < rows.length; r++)
            for (int j = 0; j < 6; j++) x[r * 6 + j] = (float) rows[r][j];
        return x;
    }

    @Test
    void loadedXgboostModelsMatchPythonXgboost() throws IOException {
        double[][] rows = rows();
        float[] x = features(rows);
        for (String file : new String[] {"binary.json", "binary.ubj"}) {
            try (Forest f = Forest.load(fixtures().resolve(file).toString())) {
                assertEquals(6, f.numFeatures());
                assertEquals(1, f.numOutputs());
                assertEquals(20, f.numTrees());
                assertEquals("binary:logistic", f.objective());
                float[] p = f.predict(x, rows.length);
                float[] m = f.predict(x, rows.length, Forest.MARGIN);
                for (int r = 0; r < rows.length; r++) {
                    assertEquals(rows[r][7], p[r], 1e-5, "prob row " + r);
                    assertEquals(rows[r][6], m[r], 1e-4, "margin row " + r);
                    float[] one = java.util.Arrays.copyOfRange(x, r * 6, r * 6 + 6);
                    assertEquals(p[r], f.predictRow(one)[0], 0f);
                    assertEquals(p[r], f.predictRow(one, Forest.REFERENCE)[0], 1e-5f);
                }
            }
        }
        try (Forest f = Forest.load(fixtures().resolve("multi.json").toString())) {
            assertEquals(3, f.numOutputs());
            float[] p = f.predict(x, rows.length);
            for (int r = 0; r < rows.length; r++)
                for (int c = 0; c < 3; c++)
                    assertEquals(rows[r][11 + c], p[r * 3 + c], 1e-5, "row " + r + " class " + c);
        }
    }

    @Test
    void trainPredictSaveLoadRoundTrip() throws IOException {
        Random rnd = new Random(4);
        int n = 600, d = 4;
        float[] x = new float[n * d], y = new float[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) x[i * d + j] = (float) rnd.nextGaussian();
            y[i] = x[i * d] + 0.5f * x[i * d + 1] > 0 ? 1 : 0;
        }
        try (Forest f = Forest.train(x, n, d, y, "objective=binary:logistic max_depth=3 eta=0.3",
                                     30)) {
            assertEquals(d, f.numFeatures());
            assertEquals(30, f.numTrees());
            float[] p = f.predict(x, n);
            assertTrue(Metrics.auc(p, y, null) > 0.95);
            float[] imp = f.importance(Forest.IMPORTANCE_GAIN);
            assertEquals(d, imp.length);
            assertTrue(imp[0] > imp[3] && imp[0] > imp[2]);
            float[] w = f.importance(Forest.IMPORTANCE_WEIGHT);
            float[] tg = f.importance(Forest.IMPORTANCE_TOTAL_GAIN);
            float[] c = f.importance(Forest.IMPORTANCE_COVER);
            float[] tc = f.importance(Forest.IMPORTANCE_TOTAL_COVER);
            for (int j = 0; j < d; j++) {
                assertEquals(tg[j], imp[j] * w[j], 1e-3f * Math.max(1f, tg[j]));
                assertEquals(tc[j], c[j] * w[j], 1e-3f * Math.max(1f, tc[j]));
            }
            assertCode(Status.EINVAL, () -> f.importance(5));
            for (String name : new String[] {"m.json", "m.ubj"}) {
                String path = dir.resolve(name).toString();
                f.save(path);
                try (Forest l = Forest.load(path)) {
                    assertArrayEquals(p, l.predict(x, n), 1e-6f);
                }
            }
            assertCode(Status.EINVAL, () -> f.predict(x, n + 1));
            assertCode(Status.EINVAL, () -> f.predictRow(new float[d + 1]));
            assertThrows(NullPointerException.class, () -> f.predict(null, 1));
        }
    }

    @Test
    void badInputAndFiles() throws IOException {
        float[] x = {1, 2, 3, 4};
        float[] y = {0, 1};
        assertCode(Status.EINVAL, () -> Forest.train(x, 2, 2, new float[] {0}, "", 3));
        assertCode(Status.EINVAL, () -> Forest.train(x, 3, 2, y, "", 3));
        assertCode(Status.EINVAL, () -> Forest.train(x, 2, 2, new float[] {0, Float.NaN}, "", 3));
        assertCode(Status.EINVAL, () -> Forest.train(x, 2, 2, y, "objective=survival:aft", 3));
        assertCode(Status.EINVAL, () -> Forest.train(x, 2, 2, y, "", 0));
        assertThrows(NullPointerException.class, () -> Forest.train(null, 2, 2, y, "", 3));
        String cal = dir.resolve("m.cal").toString();
        try (Calibrator c = new Calibrator()) {
            c.fit(new float[] {0.1f, 0.2f, 0.3f}, new float[] {0, 1, 1});
            c.save(cal);
        }
        assertCode(Status.EFORMAT, () -> Forest.load(cal));
        Path junk = dir.resolve("junk.json");
        Files.write(junk, "{\"learner\": 3}".getBytes("UTF-8"));
        assertCode(Status.EFORMAT, () -> Forest.load(junk.toString()));
        assertCode(Status.EIO, () -> Forest.load(dir.resolve("missing.forest").toString()));

        Forest f = Forest.load(fixtures().resolve("binary.json").toString());
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, f::numTrees);
        assertThrows(IllegalStateException.class, () -> f.predictRow(new float[6]));
    }

    @Test
    void libgrowthEnvelopeOfATrainedModelRoundTrips() throws IOException {
        Random rnd = new Random(4);
        int n = 600, d = 4;
        float[] x = new float[n * d], y = new float[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) x[i * d + j] = (float) rnd.nextGaussian();
            y[i] = x[i * d] + 0.5f * x[i * d + 1] > 0 ? 1 : 0;
        }
        try (Forest f = Forest.train(x, n, d, y, "objective=binary:logistic max_depth=3 eta=0.3",
                                     30)) {
            float[] p = f.predict(x, n);
            String path = dir.resolve("m.forest").toString();
            f.save(path);
            assertEquals("forest", Growth.modelKind(path));
            try (Forest l = Forest.load(path); Forest s = Forest.deserialize(f.serialize())) {
                assertArrayEquals(p, l.predict(x, n), 0f);
                assertArrayEquals(p, s.predict(x, n), 0f);
            }
        }
    }
}
