package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Net and DSSM against the fixtures of tests/java/data (written by make_fixtures.py with
 * growth.export) and the outputs numpy computed there from the same weights.
 */
class NetTest {
    private static final double TOL = 1e-5;
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

    private static Path data(String name) {
        String root = System.getenv("GROWTH_SOURCE_ROOT");
        return Paths.get(root == null ? "." : root, "tests", "java", "data", name);
    }

    /** Records of expected.txt of one kind, as tab-separated fields (kind dropped). */
    private static List<String[]> expected(String kind) throws IOException {
        List<String[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(data("expected.txt"), StandardCharsets.UTF_8)) {
            if (line.startsWith("#") || line.isEmpty()) continue;
            String[] t = line.split("\t", -1);
            if (t[0].equals(kind)) out.add(Arrays.copyOfRange(t, 1, t.length));
        }
        assertTrue(!out.isEmpty(), "no '" + kind + "' records");
        return out;
    }

    private static float[] floats(String s) {
        String[] t = s.trim().split(" ");
        float[] out = new float[t.length];
        for (int i = 0; i < t.length; i++) out[i] = Float.parseFloat(t[i]);
        return out;
    }

    private static double[] doubles(String s) {
        String[] t = s.trim().split(" ");
        double[] out = new double[t.length];
        for (int i = 0; i < t.length; i++) out[i] = Double.parseDouble(t[i]);
        return out;
    }

    /** "a:b c:d" -> {{a, c}, {b, d}} as strings; empty -> two empty arrays. */
    private static String[][] pairs(String s) {
        if (s.isEmpty()) return new String[][] {{}, {}};
        String[] t = s.split(" ");
        String[][] out = new String[2][t.length];
        for (int i = 0; i < t.length; i++) {
            String[] kv = t[i].split(":");
            out[0][i] = kv[0];
            out[1][i] = kv[1];
        }
        return out;
    }

    private static int[] ints(String[] s) {
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) out[i] = Integer.parseInt(s[i]);
        return out;
    }

    private static void assertClose(double[] want, float[] got, int off, String what) {
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], got[off + i], TOL, what + " [" + i + "]");
    }

    @Test
    void mlpMatchesNumpySingleAndBatch() throws IOException {
        List<String[]> rows = expected("mlp");
        int n = rows.size();
        for (String ws : new String[] {null, "batch=3"}) {
            try (Net net = Net.load(data("mlp.net").toString(), ws)) {
                assertEquals(6, net.denseDim());
                assertEquals(2, net.outDim());
                assertEquals(0, net.fields());
                assertEquals(0, net.wideRows());
                assertTrue(net.config().contains("dense_dim=6"), net.config());
                assertTrue(net.config().contains("output=sigmoid"), net.config());
                float[] X = new float[n * 6];
                for (int r = 0; r < n; r++) {
                    float[] x = floats(rows.get(r)[0]);
                    System.arraycopy(x, 0, X, r * 6, 6);
                    assertClose(doubles(rows.get(r)[1]), net.predict(x), 0, "row " + r);
                }
                float[] Y = net.predictBatch(X, n);
                assertEquals(n * 2, Y.length);
                for (int r = 0; r < n; r++)
                    assertClose(doubles(rows.get(r)[1]), Y, r * 2, "batch row " + r);
                assertEquals(0, net.predictBatch(new float[0], 0).length);
            }
        }
    }

    @Test
    void wideAndDeepMatchesNumpy() throws IOException {
        try (Net net = Net.load(data("widedeep.net").toString())) {
            assertEquals(3, net.denseDim());
            assertEquals(2, net.fields());
            assertEquals(10, net.wideRows());
            assertEquals(1, net.outDim());
            int k = 0;
            for (String[] rec : expected("wd")) {
                float[] x = floats(rec[0]);
                String[][] cat = pairs(rec[1]), wide = pairs(rec[2]);
                float[] wv = new float[wide[1].length];
                for (int i = 0; i < wv.length; i++) wv[i] = Float.parseFloat(wide[1][i]);
                float[] y = net.predictWideDeep(x, ints(cat[0]), ints(cat[1]), ints(wide[0]), wv);
                assertClose(doubles(rec[3]), y, 0, "wide&deep case " + k++);
            }
            float[] x = {0.5f, -1f, 2f};
            int[] slots = {3, 8};
            assertArrayEquals(net.predictWideDeep(x, null, null, slots, new float[] {1f, 1f}),
                    net.predictWideDeep(x, null, null, slots, null), 0f);
            // No ids and no wide features: the same as the dense-only prediction.
            assertArrayEquals(net.predict(x), net.predictWideDeep(x, null, null, null, null), 0f);
            assertCode(Status.EINVAL,
                    () -> net.predictWideDeep(x, new int[] {2}, new int[] {0}, null, null));
            assertCode(Status.EINVAL,
                    () -> net.predictWideDeep(x, new int[] {0}, new int[] {5}, null, null));
            assertCode(Status.EINVAL,
                    () -> net.predictWideDeep(x, new int[] {0}, new int[] {-1}, null, null));
            assertCode(Status.EINVAL, () -> net.predictWideDeep(x, null, null, new int[] {10}, null));
            assertCode(Status.EINVAL,
                    () -> net.predictWideDeep(x, null, null, new int[] {1}, new float[] {1, 2}));
            assertCode(Status.EINVAL,
                    () -> net.predictWideDeep(x, new int[] {0, 1}, new int[] {0}, null, null));
            assertThrows(NullPointerException.class,
                    () -> net.predictWideDeep(x, new int[] {0}, null, null, null));
        }
    }

    @Test
    void dssmMatchesNumpy() throws IOException {
        List<String[]> q = expected("query"), it = expected("item");
        String[] queries = q.stream().map(r -> r[0]).toArray(String[]::new);
        String[] items = it.stream().map(r -> r[0]).toArray(String[]::new);
        for (String ws : new String[] {null, "batch=2"}) {
            try (DSSM d = DSSM.load(data("towers.dssm").toString(), ws)) {
                assertEquals(4, d.dim());
                assertEquals(64, d.buckets());
                assertEquals(7, d.seed());
                assertTrue(d.config().startsWith("buckets=64 seed=7"), d.config());
                float[] eq = d.encodeQueries(queries);
                assertEquals(queries.length * 4, eq.length);
                for (int i = 0; i < queries.length; i++)
                    assertClose(doubles(q.get(i)[1]), eq, i * 4, "query " + queries[i]);
                float[] ei = d.encodeItems(items);
                for (int i = 0; i < items.length; i++)
                    assertClose(doubles(it.get(i)[1]), ei, i * 4, "item " + items[i]);
                assertArrayEquals(Arrays.copyOfRange(ei, 4, 8),
                        d.encode(DSSM.ITEM, new String[] {items[1]}), 1e-6f);
                for (String[] rec : expected("score")) {
                    float[] s = d.score(rec[0], new String[] {rec[1]});
                    assertEquals(Double.parseDouble(rec[2]), s[0], TOL, rec[0] + " / " + rec[1]);
                }
                float[] all = d.score(queries[0], items);
                assertEquals(items.length, all.length);
                assertEquals(0, d.encodeItems(new String[0]).length);
            }
        }
    }

    @Test
    void wordHashingMatchesTheTrigramsOfTheFixtureScript() throws IOException {
        for (String[] rec : expected("hash")) {
            DSSM.Hashed h = DSSM.hashText(rec[0], 64, 7);
            String[][] p = pairs(rec[1]);
            assertArrayEquals(ints(p[0]), h.slots(), rec[0]);
            assertArrayEquals(ints(p[1]), h.counts(), rec[0]);
        }
        assertEquals(0, DSSM.hashText("", 64, 7).size());
        assertCode(Status.EINVAL, () -> DSSM.hashText("abc", 0, 0));
        assertThrows(NullPointerException.class, () -> DSSM.hashText(null, 64, 0));
    }

    @Test
    void saveLoadAndSerializeRoundTrips() throws IOException {
        float[] x = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};
        try (Net net = Net.load(data("mlp.net").toString())) {
            float[] y = net.predict(x);
            String path = dir.resolve("copy.net").toString();
            net.save(path);
            assertEquals("net", Growth.modelKind(path));
            byte[] bytes = net.serialize();
            try (Net a = Net.load(path); Net b = Net.deserialize(bytes, "batch=1")) {
                assertArrayEquals(y, a.predict(x), 0f);
                assertArrayEquals(y, b.predict(x), 0f);
                assertEquals(net.config(), b.config());
            }
        }
        String[] texts = {"red running shoes", "coffee"};
        try (DSSM d = DSSM.load(data("towers.dssm").toString())) {
            float[] e = d.encodeQueries(texts);
            String path = dir.resolve("copy.dssm").toString();
            d.save(path);
            assertEquals("dssm", Growth.modelKind(path));
            try (DSSM a = DSSM.load(path); DSSM b = DSSM.deserialize(d.serialize())) {
                assertArrayEquals(e, a.encodeQueries(texts), 0f);
                assertArrayEquals(e, b.encodeQueries(texts), 0f);
            }
        }
    }

    @Test
    void badInputWrongKindFilesAndClose() throws IOException {
        String mlp = data("mlp.net").toString(), dssm = data("towers.dssm").toString();
        assertCode(Status.EFORMAT, () -> Net.load(dssm));
        assertCode(Status.EFORMAT, () -> DSSM.load(mlp));
        String cal = dir.resolve("m.cal").toString();
        try (Calibrator c = new Calibrator()) {
            c.fit(new float[] {0.1f, 0.2f, 0.3f}, new float[] {0, 1, 1});
            c.save(cal);
        }
        assertCode(Status.EFORMAT, () -> Net.load(cal));
        assertCode(Status.EFORMAT, () -> DSSM.load(cal));
        assertCode(Status.EIO, () -> Net.load(dir.resolve("missing.net").toString()));
        assertCode(Status.EFORMAT, () -> Net.deserialize(new byte[] {1, 2, 3}));
        byte[] truncated = Arrays.copyOf(Files.readAllBytes(data("mlp.net")), 100);
        assertCode(Status.EFORMAT, () -> Net.deserialize(truncated));
        assertCode(Status.EINVAL, () -> Net.load(mlp, "batch=0"));
        assertCode(Status.EINVAL, () -> DSSM.load(dssm, "nonsense=1"));
        assertThrows(NullPointerException.class, () -> Net.load(null));
        assertThrows(NullPointerException.class, () -> Net.deserialize(null));
        assertThrows(NullPointerException.class, () -> DSSM.deserialize(null));

        Net net = Net.load(mlp);
        assertCode(Status.EINVAL, () -> net.predict(new float[5]));
        assertCode(Status.EINVAL, () -> net.predict(new float[] {0, 0, Float.NaN, 0, 0, 0}));
        assertCode(Status.EINVAL, () -> net.predictBatch(new float[12], 3));
        assertCode(Status.EINVAL, () -> net.predictBatch(new float[12], -1));
        assertThrows(NullPointerException.class, () -> net.predict(null));
        assertThrows(NullPointerException.class, () -> net.predictBatch(null, 1));
        net.close();
        net.close();
        assertTrue(net.isClosed());
        assertThrows(IllegalStateException.class, () -> net.predict(new float[6]));
        assertThrows(IllegalStateException.class, net::outDim);

        DSSM d = DSSM.load(dssm);
        assertCode(Status.EINVAL, () -> d.encode(5, new String[] {"x"}));
        assertThrows(NullPointerException.class, () -> d.encodeItems(null));
        assertThrows(NullPointerException.class, () -> d.encodeItems(new String[] {"a", null}));
        assertThrows(NullPointerException.class, () -> d.score(null, new String[] {"a"}));
        d.close();
        d.close();
        assertThrows(IllegalStateException.class, () -> d.encodeQueries(new String[] {"a"}));
    }

    @Test
    void oneObjectSharedByThreadsGivesTheSameOutputs() throws Exception {
        List<String[]> rows = expected("mlp");
        try (Net net = Net.load(data("mlp.net").toString());
             DSSM d = DSSM.load(data("towers.dssm").toString())) {
            float[][] want = new float[rows.size()][];
            for (int r = 0; r < rows.size(); r++) want[r] = net.predict(floats(rows.get(r)[0]));
            String[] items = {"Paris hotel deals", "coffee", "GARDEN hose 20m"};
            float[] wantScores = d.score("cheap flights", items);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Boolean>> jobs = new ArrayList<>();
                for (int t = 0; t < 4; t++)
                    jobs.add(pool.submit(() -> {
                        for (int it = 0; it < 500; it++) {
                            int r = it % rows.size();
                            if (!Arrays.equals(want[r], net.predict(floats(rows.get(r)[0]))))
                                return false;
                            if (!Arrays.equals(wantScores, d.score("cheap flights", items)))
                                return false;
                        }
                        return true;
                    }));
                for (Future<Boolean> f : jobs) assertTrue(f.get());
            } finally {
                pool.shutdown();
            }
        }
    }
}
