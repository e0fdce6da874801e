package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FtrlTest {
    private static final String CONFIG = "alpha=0.5 beta=1 l1=0.1 l2=0.1 bits=18";

    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = TestUtil.tmpDir();
    }

    @AfterEach
    void tearDown() throws IOException {
        TestUtil.deleteTree(dir);
    }

    private static TestUtil.Data data(int nrows, long seed) {
        try (Row row = new Row("bits=18")) {
            return TestUtil.separable(nrows, seed, row);
        }
    }

    /** Probability of head 0 for every row of d, one call per row. */
    private static float[] predictRows(Ftrl m, TestUtil.Data d) {
        float[] p = new float[d.nrows];
        for (int r = 0; r < d.nrows; r++) p[r] = m.predict(d.rowIdx(r), d.rowVal(r))[0];
        return p;
    }

    private static Ftrl trained(TestUtil.Data d) {
        Ftrl m = new Ftrl(CONFIG);
        m.partialFit(d.indptr, d.idx, d.val, d.labels, null);
        return m;
    }

    @Test
    void badConfigurationThrowsEinvalNamingTheKey() {
        GrowthException e = assertThrows(GrowthException.class, () -> new Ftrl("alpha=-1"));
        assertEquals(Status.EINVAL, e.code());
        assertTrue(e.getMessage().contains("alpha"), e.getMessage());

        e = assertThrows(GrowthException.class, () -> new Ftrl("alpha=0.1 no_such_option=3"));
        assertEquals(Status.EINVAL, e.code());
        assertTrue(e.getMessage().contains("no_such_option"), e.getMessage());

        e = assertThrows(GrowthException.class, () -> new Ftrl("bits=40"));
        assertEquals(Status.EINVAL, e.code());
        assertTrue(e.getMessage().contains("bits"), e.getMessage());
    }

    @Test
    void configurationAndHeads() {
        try (Ftrl m = new Ftrl("alpha=0.1 bits=16 heads=2 head_names=click|buy")) {
            assertEquals(2, m.heads());
            assertEquals(16, m.bits());
            assertEquals(0, m.headIndex("click"));
            assertEquals(1, m.headIndex("buy"));
            GrowthException e = assertThrows(GrowthException.class, () -> m.headIndex("cart"));
            assertEquals(Status.ENOTFOUND, e.code());
            String cfg = m.config();
            assertTrue(cfg.contains("alpha=0.1"), cfg);
            assertTrue(cfg.contains("bits=16"), cfg);
            try (Ftrl copy = new Ftrl(cfg)) {
                assertEquals(cfg, copy.config());
            }
            assertEquals(2, m.predict(new int[] {1, 2}, null).length);
        }
        try (Ftrl m = new Ftrl()) {
            assertEquals(1, m.heads());
            float[] p = m.predict(new int[0], null);
            assertEquals(1, p.length);
            assertEquals(0.5f, p[0], 1e-6f);
        }
    }

    @Test
    void trainingOnASeparableProblemLowersLoglossAndRanksWell() {
        TestUtil.Data train = data(3000, 1);
        TestUtil.Data test = data(1000, 2);
        try (Ftrl m = new Ftrl(CONFIG)) {
            float[] before = predictRows(m, test);
            double llBefore = Metrics.logLoss(before, test.labels, null);
            assertEquals(Math.log(2), llBefore, 1e-4);

            float[] progressive = null;
            for (int epoch = 0; epoch < 3; epoch++)
                progressive = m.partialFit(train.indptr, train.idx, train.val, train.labels, null);
            assertEquals(train.nrows, progressive.length);
            assertEquals(3L * train.nrows, m.stats().examples());
            assertTrue(m.stats().nonzero() > 0);

            float[] after = predictRows(m, test);
            double llAfter = Metrics.logLoss(after, test.labels, null);
            double auc = Metrics.auc(after, test.labels, null);
            assertTrue(llAfter < 0.5 * llBefore, "logloss " + llBefore + " -> " + llAfter);
            assertTrue(auc > 0.9, "AUC " + auc);
            assertTrue(Metrics.normalizedEntropy(after, test.labels, null) < 1.0);
            // the progressive predictions of the last pass are already good
            assertTrue(Metrics.auc(progressive, train.labels, null) > 0.9);

            // the batch prediction is the row-by-row prediction
            float[] batch = m.predictBatch(test.indptr, test.idx, test.val, test.nrows);
            assertArrayEquals(after, batch, 1e-6f);
            float[] ones = m.predictBatch(test.indptr, test.idx, null, test.nrows);
            assertArrayEquals(after, ones, 1e-6f, "all values are 1, so val = null is the same");
        }
    }

    @Test
    void updateAndPredictUpdateTrainOneRow() {
        try (Ftrl m = new Ftrl(CONFIG)) {
            int[] idx = {3, 5, 7};
            float[] p0 = m.predict(idx, null);
            float[] pu = m.predictUpdate(idx, null, new float[] {1f}, 1f);
            assertArrayEquals(p0, pu, 0f, "predictUpdate returns the prediction before training");
            float[] p1 = m.predict(idx, null);
            assertTrue(p1[0] > p0[0]);
            m.update(idx, new float[] {1f, 1f, 1f}, new float[] {1f}, 2f);
            assertTrue(m.predict(idx, null)[0] > p1[0]);
            assertEquals(2, m.stats().examples());
            assertNotEquals(0f, m.weight(0, 3));
            assertEquals(0f, m.weight(0, 1000));
            m.weight(0, Ftrl.BIAS);
            float[] margin = m.margin(idx, null);
            assertEquals(1.0 / (1.0 + Math.exp(-margin[0])), m.predict(idx, null)[0], 1e-5);
        }
    }

    @Test
    void missingLabelsLeaveAHeadAlone() {
        try (Ftrl m = new Ftrl("alpha=0.5 bits=12 heads=2")) {
            int[] idx = {1, 2};
            for (int i = 0; i < 20; i++) m.update(idx, null, new float[] {1f, Ftrl.LABEL_MISSING}, 1f);
            float[] p = m.predict(idx, null);
            assertTrue(p[0] > 0.6f, Arrays.toString(p));
            assertEquals(0.5f, p[1], 1e-6f);
        }
    }

    @Test
    void saveLoadAndExportPredictTheSame() {
        TestUtil.Data d = data(500, 3);
        TestUtil.Data probe = data(50, 4);
        String full = dir.resolve("full.model").toString();
        String weights = dir.resolve("weights.model").toString();
        float[] expected;
        byte[] bytes;
        try (Ftrl m = trained(d)) {
            expected = predictRows(m, probe);
            m.save(full);
            m.exportWeights(weights);
            bytes = m.serialize();
        }
        assertEquals("ftrl", Growth.modelKind(full));
        assertEquals("ftrl_weights", Growth.modelKind(weights));
        assertTrue(Growth.modelFormatVersion(full) >= 1);
        try (Ftrl m = Ftrl.load(full)) {
            assertArrayEquals(expected, predictRows(m, probe), 1e-6f);
            assertEquals(500, m.stats().examples());
            // warm start: training continues from the saved state
            m.partialFit(d.indptr, d.idx, d.val, d.labels, null);
            assertEquals(1000, m.stats().examples());
        }
        try (Ftrl m = Ftrl.load(weights)) {
            assertArrayEquals(expected, predictRows(m, probe), 1e-6f);
        }
        try (Ftrl m = Ftrl.deserialize(bytes)) {
            assertArrayEquals(expected, predictRows(m, probe), 1e-6f);
        }
        GrowthException e = assertThrows(GrowthException.class,
            () -> Ftrl.deserialize(Arrays.copyOf(bytes, bytes.length / 2)));
        assertEquals(Status.EFORMAT, e.code());
    }

    /** A valid envelope of another kind, written here by an independent implementation of the
     *  format (little-endian header, hash64 checksums): loading it as FTRL is EFORMAT. */
    @Test
    void wrongKindFileIsEformat() throws IOException {
        final long seed = 0x67726f7774682e31L;
        byte[] payload = {0x0a, 0x00};
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(40 + payload.length)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x89, 'G', 'R', 'W', 0x0d, 0x0a, 0x1a, 0x0a});
        b.putInt(1).putInt(6).putLong(payload.length).putLong(Growth.hash64(payload, seed));
        byte[] head = java.util.Arrays.copyOf(b.array(), 32);
        b.putLong(Growth.hash64(head, seed));
        b.put(payload);
        Path p = dir.resolve("calibrator.model");
        Files.write(p, b.array());
        assertEquals("calibrator", Growth.modelKind(p.toString()));
        GrowthException e = assertThrows(GrowthException.class, () -> Ftrl.load(p.toString()));
        assertEquals(Status.EFORMAT, e.code());
        assertTrue(e.getMessage().contains("calibrator"), e.getMessage());
    }

    @Test
    void damagedModelFilesAreEformat() throws IOException {
        Path good = dir.resolve("good.model");
        try (Ftrl m = trained(data(200, 5))) {
            m.save(good.toString());
        }
        byte[] bytes = Files.readAllBytes(good);
        assertTrue(bytes.length > 48, "a model file has a header and a payload");

        Path corrupted = dir.resolve("corrupted.model");
        byte[] c = bytes.clone();
        c[c.length - 3] ^= 0x5a; // inside the payload: the checksum no longer matches
        Files.write(corrupted, c);

        Path header = dir.resolve("header.model");
        byte[] h = bytes.clone();
        h[13] ^= 0x01; // the kind field of the header
        Files.write(header, h);

        Path truncated = dir.resolve("truncated.model");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 7));

        Path truncatedHeader = dir.resolve("truncated-header.model");
        Files.write(truncatedHeader, Arrays.copyOf(bytes, 20));

        Path text = dir.resolve("text.model");
        Files.write(text, "alpha=0.05 beta=1 l1=1 l2=1 bits=24\n".getBytes(StandardCharsets.UTF_8));

        for (Path p : new Path[] {corrupted, header, truncated, truncatedHeader, text}) {
            GrowthException e = assertThrows(GrowthException.class, () -> Growth.modelKind(p.toString()),
                                             p.toString());
            assertEquals(Status.EFORMAT, e.code(), p + ": " + e.getMessage());
            assertTrue(!e.getMessage().isEmpty());
            e = assertThrows(GrowthException.class, () -> Ftrl.load(p.toString()));
            assertEquals(Status.EFORMAT, e.code(), p + ": " + e.getMessage());
        }
        assertEquals("ftrl", Growth.modelKind(good.toString()), "the original is untouched");
    }

    @Test
    void wrongLengthsAndBadValuesThrowEinval() {
        try (Ftrl m = new Ftrl("bits=10 heads=2")) {
            int[] idx = {1, 2, 3};
            GrowthException e;
            e = assertThrows(GrowthException.class, () -> m.predict(idx, new float[2]));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class, () -> m.update(idx, null, new float[] {1f}, 1f));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class,
                () -> m.predictUpdate(idx, null, new float[] {1f, 0f, 1f}, 1f));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class,
                () -> m.predictBatch(new long[] {0, 3}, idx, null, 2));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class,
                () -> m.predictBatch(new long[] {0, 4}, idx, null, 1));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class,
                () -> m.predictBatch(new long[] {0, 2, 1}, idx, null, 2));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class,
                () -> m.partialFit(new long[] {0, 3}, idx, null, new float[] {1f}, null));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class,
                () -> m.partialFit(new long[] {0, 3}, idx, null, new float[] {1f, 0f}, new float[2]));
            assertEquals(Status.EINVAL, e.code());
            // values the C library rejects: slot out of range, bad label, negative weight
            e = assertThrows(GrowthException.class, () -> m.predict(new int[] {1 << 10}, null));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class, () -> m.update(idx, null, new float[] {2f, 0f}, 1f));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class, () -> m.update(idx, null, new float[] {1f, 0f}, -1f));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class,
                () -> m.update(idx, new float[] {1f, Float.NaN, 1f}, new float[] {1f, 0f}, 1f));
            assertEquals(Status.EINVAL, e.code());
            assertEquals(0, m.stats().examples(), "failed calls leave the model as it was");
            assertThrows(NullPointerException.class, () -> m.predict(null, null));
        }
    }

    @Test
    void ioErrorsAreEio() {
        String missing = dir.resolve("missing.model").toString();
        GrowthException e = assertThrows(GrowthException.class, () -> Ftrl.load(missing));
        assertEquals(Status.EIO, e.code());
        try (Ftrl m = new Ftrl("bits=8")) {
            String bad = dir.resolve("no-such-dir").resolve("x.model").toString();
            e = assertThrows(GrowthException.class, () -> m.save(bad));
            assertEquals(Status.EIO, e.code());
        }
    }

    @Test
    void closeIsIdempotentAndAClosedModelThrows() {
        Ftrl m = new Ftrl("bits=8");
        m.close();
        assertTrue(m.isClosed());
        assertDoesNotThrow(m::close);
        assertThrows(IllegalStateException.class, m::heads);
        assertThrows(IllegalStateException.class, () -> m.predict(new int[] {1}, null));
        assertThrows(IllegalStateException.class, () -> m.save(dir.resolve("x").toString()));
    }

    @Test
    void predictionsRunConcurrentlyWithTraining() throws Exception {
        TestUtil.Data d = data(2000, 6);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Ftrl m = new Ftrl(CONFIG)) {
            List<Future<?>> jobs = new ArrayList<>();
            jobs.add(pool.submit(() -> {
                for (int epoch = 0; epoch < 3; epoch++)
                    for (int r = 0; r < d.nrows; r++)
                        m.update(d.rowIdx(r), d.rowVal(r), new float[] {d.labels[r]}, 1f);
                return null;
            }));
            jobs.add(pool.submit(() -> {
                m.partialFit(d.indptr, d.idx, d.val, d.labels, null);
                return null;
            }));
            for (int t = 0; t < 2; t++) {
                jobs.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        float[] p = m.predictBatch(d.indptr, d.idx, d.val, d.nrows);
                        for (float x : p) assertTrue(x >= 0f && x <= 1f);
                        byte[] garbage = new byte[1 << 20]; // keep the GC busy meanwhile
                        garbage[i] = 1;
                    }
                    return null;
                }));
            }
            for (Future<?> f : jobs) f.get(120, TimeUnit.SECONDS);
            assertEquals(4L * d.nrows, m.stats().examples());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unclosedModelsAreCleanedUp() {
        // Handles dropped without close() are freed by the Cleaner; this must not crash.
        for (int i = 0; i < 200; i++) new Ftrl("bits=12").predict(new int[] {i}, null);
        System.gc();
    }
}
