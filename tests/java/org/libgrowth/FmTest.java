package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** FM and FFM (fm.h) through the Java binding. */
class FmTest {
    private static final String[] FIELDS = {"user", "item", "noise"};

    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = TestUtil.tmpDir();
    }

    @AfterEach
    void tearDown() throws IOException {
        TestUtil.deleteTree(dir);
    }

    /** A CSR set with field ids and `heads` labels per row. */
    static final class Csr {
        final long[] indptr;
        final int[] idx;
        final byte[] fld;
        final float[] val, labels;
        final int nrows;

        Csr(long[] indptr, int[] idx, byte[] fld, float[] val, float[] labels) {
            this.indptr = indptr;
            this.idx = idx;
            this.fld = fld;
            this.val = val;
            this.labels = labels;
            this.nrows = indptr.length - 1;
        }

        int[] rowIdx(int r) {
            return Arrays.copyOfRange(idx, (int) indptr[r], (int) indptr[r + 1]);
        }

        byte[] rowFld(int r) {
            return Arrays.copyOfRange(fld, (int) indptr[r], (int) indptr[r + 1]);
        }

        float[] rowVal(int r) {
            return Arrays.copyOfRange(val, (int) indptr[r], (int) indptr[r + 1]);
        }

        FactorizationMachine.Data data() {
            return new FactorizationMachine.Data(indptr, idx, fld, val, labels);
        }
    }

    /**
     * A pure pair interaction: user u and item i (10 values each) and a noise field; the label is
     * 1 exactly when u + i is even. Each user and each item alone is right half of the time, so a
     * linear model learns nothing, while the interaction has rank 1 (a factor model learns it).
     */
    static Csr interaction(int nrows, long seed) {
        Random rnd = new Random(seed);
        List<int[]> is = new ArrayList<>();
        List<byte[]> fs = new ArrayList<>();
        List<float[]> vs = new ArrayList<>();
        long[] indptr = new long[nrows + 1];
        float[] labels = new float[nrows];
        int nnz = 0;
        try (Row row = new Row("bits=14").setFields(FIELDS)) {
            for (int r = 0; r < nrows; r++) {
                int u = rnd.nextInt(10), i = rnd.nextInt(10);
                row.clear().addCat("user", "u" + u).addCat("item", "i" + i)
                   .addCat("noise", "n" + rnd.nextInt(20));
                is.add(row.indices());
                fs.add(row.fields());
                vs.add(row.values());
                labels[r] = (u + i) % 2 == 0 ? 1f : 0f;
                nnz += 3;
                indptr[r + 1] = nnz;
            }
        }
        int[] idx = new int[nnz];
        byte[] fld = new byte[nnz];
        float[] val = new float[nnz];
        for (int r = 0; r < nrows; r++) {
            System.arraycopy(is.get(r), 0, idx, 3 * r, 3);
            System.arraycopy(fs.get(r), 0, fld, 3 * r, 3);
            System.arraycopy(vs.get(r), 0, val, 3 * r, 3);
        }
        return new Csr(indptr, idx, fld, val, labels);
    }

    /**
     * What a model computes, for "unchanged" and "the same model" checks (serialized bytes also
     * carry their creation time): the counters, the margins of every row of {@code d} and the
     * bias, linear weights and factors of every slot {@code d} uses.
     */
    static double[] state(FactorizationMachine m, Csr d) {
        FactorizationMachine.Stats s = m.stats();
        List<Double> out = new ArrayList<>();
        out.add((double) s.examples());
        out.add((double) s.touched());
        for (float x : m.marginBatch(d.indptr, d.idx, d.fld, d.val, d.nrows)) out.add((double) x);
        boolean ffm = m instanceof FFM;
        int[] slots = Arrays.stream(d.idx).distinct().toArray();
        for (int h = 0; h < s.heads(); h++) {
            out.add((double) m.weight(h, FactorizationMachine.BIAS));
            for (int slot : slots) out.add((double) m.weight(h, slot));
        }
        for (int slot : slots)
            for (int f = 0; f < (ffm ? s.fields() : 1); f++)
                for (float x : m.factors(slot, f)) out.add((double) x);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static float[] head0(FactorizationMachine m, Csr d) {
        float[] p = new float[d.nrows];
        for (int r = 0; r < d.nrows; r++) p[r] = m.predict(d.rowIdx(r), d.rowFld(r), d.rowVal(r))[0];
        return p;
    }

    /** The documented margin of head 0 of a one-head model, the pairwise term as an O(n^2) sum. */
    private static double referenceMargin(FactorizationMachine m, boolean ffm, boolean normalize,
                                          int[] idx, byte[] fld, float[] val) {
        double margin = m.weight(0, FactorizationMachine.BIAS);
        double sq = 0;
        for (int i = 0; i < idx.length; i++) {
            margin += (double) m.weight(0, idx[i]) * val[i];
            sq += (double) val[i] * val[i];
        }
        double pair = 0;
        for (int i = 0; i < idx.length; i++) {
            for (int j = i + 1; j < idx.length; j++) {
                float[] vi = m.factors(idx[i], ffm ? Byte.toUnsignedInt(fld[j]) : 0);
                float[] vj = m.factors(idx[j], ffm ? Byte.toUnsignedInt(fld[i]) : 0);
                double dot = 0;
                for (int d = 0; d < vi.length; d++) dot += (double) vi[d] * vj[d];
                pair += dot * val[i] * val[j];
            }
        }
        double r = normalize && sq > 0 ? 1.0 / sq : 1.0;
        return margin + r * pair;
    }

    /* The models are created with unseen=zero: the sum is over the factors the table stores, and
     * a slot training has not touched stores zeros (unseen=seeded would add its seeded factors). */
    private static void checkPairwiseSum(FactorizationMachine m, boolean ffm, boolean normalize) {
        Random rnd = new Random(3);
        // train a little so factors, weights and bias are all away from their initial values
        Csr d = interaction(300, 1);
        m.updateBatch(d.indptr, d.idx, d.fld, d.val, d.labels, null);
        for (int t = 0; t < 20; t++) {
            int n = 1 + rnd.nextInt(6);
            int[] idx = new int[n];
            byte[] fld = new byte[n];
            float[] val = new float[n];
            for (int i = 0; i < n; i++) {
                idx[i] = i == 0 ? d.idx[rnd.nextInt(d.idx.length)] : rnd.nextInt(1 << 14);
                fld[i] = (byte) rnd.nextInt(3);
                val[i] = 0.25f + 2 * rnd.nextFloat();
            }
            // distinct slots (a repeated slot is a pair with itself in the formula)
            if (Arrays.stream(idx).distinct().count() != n) continue;
            double expect = referenceMargin(m, ffm, normalize, idx, fld, val);
            float got = m.margin(idx, fld, val)[0];
            assertEquals(expect, got, 1e-4 * Math.max(1, Math.abs(expect)), "row " + t);
            float p = m.predict(idx, fld, val)[0];
            assertEquals(1 / (1 + Math.exp(-got)), p, 1e-6);
        }
    }

    @Test
    void ffmPredictionIsTheFieldAwarePairwiseSum() {
        try (FFM m = new FFM("fields=3 k=4 bits=14 l1=0 unseen=zero")) {
            checkPairwiseSum(m, true, true);
        }
        try (FFM m = new FFM(3, "k=3 bits=14 l1=0 normalize=false eta=0.05 unseen=zero")) {
            checkPairwiseSum(m, true, false);
        }
    }

    @Test
    void fmPredictionIsThePairwiseSum() {
        try (FM m = new FM("k=5 bits=14 l1=0 unseen=zero")) {
            checkPairwiseSum(m, false, true);
        }
        try (FM m = new FM("k=2 bits=14 l1=0 normalize=false eta=0.05 fields=3 unseen=zero")) {
            checkPairwiseSum(m, false, false);
        }
    }

    @Test
    void exactTableOptionsPassThroughTheConfiguration() {
        // table=exact and its admission / expiry / memory options are configuration keys (as for
        // Ftrl); the int feature ids of the row calls are then keys, any value
        try (FFM m = new FFM("fields=2 k=4 bits=12 table=exact admit=2 expire=1000 max_memory=67108864")) {
            int[] idx = {7, 2000000000};
            byte[] fld = {0, 1};
            float[] y = {1};
            for (int i = 0; i < 3; i++) m.update(idx, fld, null, y, 1.0f);
            assertTrue(m.config().contains("table=exact"), m.config());
            assertTrue(m.config().contains("admit=2"), m.config());
            assertTrue(m.factors(2000000000, 0)[0] != 0.0f);
            assertEquals(0.0f, m.factors(12345, 0)[0]); // never seen: no record
            byte[] bytes = m.serialize();
            try (FFM back = FFM.deserialize(bytes)) {
                assertEquals(m.predict(idx, fld, null)[0], back.predict(idx, fld, null)[0]);
            }
        }
        assertThrows(InvalidArgumentException.class, () -> new FFM("fields=2 admit=2"));
    }

    @Test
    void configurationHeadsAndStats() {
        try (FFM m = new FFM("fields=3 k=8 bits=12 heads=2 head_names=click|buy")) {
            assertEquals(2, m.heads());
            assertEquals(12, m.bits());
            assertEquals(8, m.k());
            assertEquals(0, m.headIndex("click"));
            assertEquals(1, m.headIndex("buy"));
            NotFoundException e = assertThrows(NotFoundException.class, () -> m.headIndex("cart"));
            assertEquals(Status.ENOTFOUND, e.code());
            String cfg = m.config();
            assertTrue(cfg.contains("model=ffm"), cfg);
            assertTrue(cfg.contains("fields=3"), cfg);
            try (FFM copy = new FFM(cfg)) {
                assertEquals(cfg, copy.config());
            }
            FactorizationMachine.Stats s = m.stats();
            assertEquals(2, s.heads());
            assertEquals(12, s.bits());
            assertEquals(3, s.fields());
            assertEquals(8, s.k());
            assertEquals(0, s.examples());
            assertEquals(0, s.touched());
            assertTrue(s.bytesPerSlot() > 0 && s.bytes() >= s.bytesPerSlot() << 12, s.toString());
            assertEquals(8, m.factors(5, 2).length);
            assertEquals(2, m.predict(new int[] {1, 2}, new byte[] {0, 1}, null).length);
        }
        try (FM m = new FM()) {
            assertEquals(1, m.heads());
            assertTrue(m.config().contains("model=fm"), m.config());
            assertEquals(4, m.factors(7, 0).length);
            float[] p = m.predict(new int[0], null, null);
            assertEquals(1, p.length);
            assertEquals(0.5f, p[0], 1e-6f);
            assertEquals(0, m.stats().fields());
        }
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> new FM("k=65"));
        assertTrue(e.getMessage().contains("k"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> new FFM("k=4"));
        assertTrue(e.getMessage().contains("fields"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> new FFM("fields=257"));
        assertTrue(e.getMessage().contains("fields"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> new FM("k=4 no_such_key=1"));
        assertTrue(e.getMessage().contains("no_such_key"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> new FM("model=ffm fields=3"));
        assertThrows(InvalidArgumentException.class, () -> new FFM("model=fm"));
        try (FM m = new FM("model=fm k=2")) {
            assertEquals(2, m.k());
        }
        OutOfMemoryException oom = assertThrows(OutOfMemoryException.class,
            () -> new FFM("fields=256 k=64 bits=32"));
        assertEquals(Status.ENOMEM, oom.code());
    }

    @Test
    void trainingLearnsAPairInteraction() {
        Csr train = interaction(4000, 1), test = interaction(1000, 2);
        for (int variant = 0; variant < 2; variant++) {
            try (FactorizationMachine m = variant == 0 ? new FFM("fields=3 k=4 bits=14")
                                                       : new FM("k=4 bits=14")) {
                double before = Metrics.logLoss(head0(m, test), test.labels, null);
                float[] progressive = null;
                for (int epoch = 0; epoch < 5; epoch++)
                    progressive = m.partialFit(train.indptr, train.idx, train.fld, train.val,
                                               train.labels, null);
                assertEquals(train.nrows, progressive.length);
                assertEquals(5L * train.nrows, m.stats().examples());
                assertTrue(m.stats().touched() > 0);
                float[] after = head0(m, test);
                double llAfter = Metrics.logLoss(after, test.labels, null);
                double auc = Metrics.auc(after, test.labels, null);
                assertTrue(llAfter < 0.6 * before, m.getClass().getSimpleName() + ": logloss "
                           + before + " -> " + llAfter);
                assertTrue(auc > 0.95, "AUC " + auc);
                // batch = row by row; margins are the logits of the probabilities
                assertArrayEquals(after, m.predictBatch(test.indptr, test.idx, test.fld, test.val,
                                                        test.nrows), 1e-6f);
                float[] margins = m.marginBatch(test.indptr, test.idx, test.fld, test.val, test.nrows);
                for (int r = 0; r < test.nrows; r++)
                    assertEquals(after[r], 1 / (1 + Math.exp(-margins[r])), 1e-5);
                float[] ones = m.predictBatch(test.indptr, test.idx, test.fld, null, test.nrows);
                assertArrayEquals(after, ones, 1e-6f, "all values are 1, so val = null is the same");
            }
        }
        // a linear model cannot learn it: the interaction is what the factors add
        try (Ftrl lin = new Ftrl("bits=14 alpha=0.1")) {
            for (int epoch = 0; epoch < 5; epoch++)
                lin.updateBatch(train.indptr, train.idx, train.val, train.labels, null);
            float[] p = lin.predictBatch(test.indptr, test.idx, test.val, test.nrows);
            assertTrue(Metrics.auc(p, test.labels, null) < 0.7);
        }
    }

    @Test
    void fmAcceptsRowsWithoutFields() {
        Csr d = interaction(200, 4);
        try (FM a = new FM("k=4 bits=14 seed=5"); FM b = new FM("k=4 bits=14 seed=5")) {
            a.updateBatch(d.indptr, d.idx, d.fld, d.val, d.labels, null);
            b.updateBatch(d.indptr, d.idx, null, d.val, d.labels, null);
            assertArrayEquals(state(a, d), state(b, d), 0.0, "FM ignores field ids");
            assertArrayEquals(a.predict(d.rowIdx(0), d.rowFld(0), null), b.predict(d.rowIdx(0), null, null));
        }
    }

    @Test
    void updateAndPredictUpdateTrainOneRow() {
        try (Row row = new Row("bits=14").setFields(FIELDS);
             FFM m = new FFM("fields=3 k=4 bits=14")) {
            row.addCat("user", "u1").addCat("item", "i1").addNum("noise", 0.5f);
            float[] p0 = m.predict(row);
            float[] pu = m.predictUpdate(row.indices(), row.fields(), row.values(), new float[] {1f}, 1f);
            assertArrayEquals(p0, pu, 0f, "predictUpdate returns the prediction before training");
            float[] p1 = m.predict(row);
            assertTrue(p1[0] > p0[0]);
            m.update(row, new float[] {1f}, 2f);
            assertTrue(m.predict(row)[0] > p1[0]);
            assertEquals(2, m.stats().examples());
            // weight 0 changes nothing but is counted
            float[] p2 = m.predict(row);
            float[] v = m.factors(row.indices()[0], 1);
            m.update(row, new float[] {0f}, 0f);
            assertArrayEquals(p2, m.predict(row), 0f);
            assertArrayEquals(v, m.factors(row.indices()[0], 1), 0f);
            assertEquals(3, m.stats().examples());
        }
    }

    @Test
    void missingLabelsLeaveAHeadAlone() {
        try (FFM m = new FFM("fields=3 k=4 bits=12 heads=2 l1=0")) {
            int[] idx = {1, 2, 3};
            byte[] fld = {0, 1, 2};
            for (int i = 0; i < 30; i++)
                m.update(idx, fld, null, new float[] {1f, FactorizationMachine.LABEL_MISSING}, 1f);
            assertEquals(30, m.stats().examples());
            float[] p = m.predict(idx, fld, null);
            assertTrue(p[0] > 0.6f, Arrays.toString(p));
            // head 1 saw no label: its bias and linear weights never moved
            assertEquals(0f, m.weight(1, FactorizationMachine.BIAS));
            for (int i : idx) assertEquals(0f, m.weight(1, i));
            assertNotEquals(0f, m.weight(0, FactorizationMachine.BIAS));
            // a row with no label at all changes no parameter (it is still counted)
            float w0 = m.weight(0, idx[0]);
            float[] v0 = m.factors(idx[0], 1);
            m.update(idx, fld, null, new float[] {FM.LABEL_MISSING, FM.LABEL_MISSING}, 1f);
            assertArrayEquals(p, m.predict(idx, fld, null), 0f);
            assertEquals(w0, m.weight(0, idx[0]));
            assertArrayEquals(v0, m.factors(idx[0], 1), 0f);
            assertEquals(31, m.stats().examples());
            // NaN is not a label
            assertThrows(InvalidArgumentException.class,
                () -> m.update(idx, fld, null, new float[] {Float.NaN, 1f}, 1f));
            assertEquals(31, m.stats().examples());
        }
    }

    @Test
    void saveLoadAndBytesRoundTripPredictTheSame() throws IOException {
        Csr d = interaction(600, 5), probe = interaction(50, 6);
        String ffmPath = dir.resolve("ffm.model").toString(), fmPath = dir.resolve("fm.model").toString();
        float[] ffmExpected, fmExpected;
        double[] ffmState;
        byte[] ffmBytes, fmBytes;
        try (FFM m = new FFM("fields=3 k=4 bits=14 heads=2 head_names=click|buy");
             FM f = new FM("k=4 bits=14 precision=compact")) {
            float[] labels2 = new float[2 * d.nrows];
            for (int r = 0; r < d.nrows; r++) {
                labels2[2 * r] = d.labels[r];
                labels2[2 * r + 1] = r % 3 == 0 ? d.labels[r] : FM.LABEL_MISSING;
            }
            m.updateBatch(d.indptr, d.idx, d.fld, d.val, labels2, null);
            f.updateBatch(d.indptr, d.idx, null, d.val, d.labels, null);
            ffmExpected = m.predictBatch(probe.indptr, probe.idx, probe.fld, probe.val, probe.nrows);
            fmExpected = f.predictBatch(probe.indptr, probe.idx, null, probe.val, probe.nrows);
            m.save(ffmPath);
            f.save(fmPath);
            ffmBytes = m.serialize();
            fmBytes = f.serialize();
            ffmState = state(m, d);
        }
        assertEquals("fm", Growth.modelKind(ffmPath));
        assertEquals("fm", Growth.modelKind(fmPath));
        try (FFM m = FFM.load(ffmPath)) {
            assertArrayEquals(ffmExpected, m.predictBatch(probe.indptr, probe.idx, probe.fld, probe.val,
                                                          probe.nrows), 0f);
            assertEquals(d.nrows, m.stats().examples());
            assertEquals(1, m.headIndex("buy"));
            assertArrayEquals(ffmState, state(m, d), 0.0, "the whole model, not only the probe");
            // warm start: training continues from the saved state
            m.update(d.rowIdx(0), d.rowFld(0), d.rowVal(0), new float[] {1, 0}, 1f);
            assertEquals(d.nrows + 1, m.stats().examples());
        }
        try (FFM m = FFM.deserialize(ffmBytes)) {
            assertArrayEquals(ffmExpected, m.predictBatch(probe.indptr, probe.idx, probe.fld, probe.val,
                                                          probe.nrows), 0f);
            assertArrayEquals(ffmState, state(m, d), 0.0);
        }
        try (FM f = FM.load(fmPath); FM g = FM.deserialize(fmBytes)) {
            assertArrayEquals(fmExpected, f.predictBatch(probe.indptr, probe.idx, null, probe.val, probe.nrows), 0f);
            assertArrayEquals(fmExpected, g.predictBatch(probe.indptr, probe.idx, null, probe.val, probe.nrows), 0f);
            assertTrue(f.config().contains("precision=compact"), f.config());
        }
        // the other class refuses the model; damaged bytes and files are FormatException
        assertThrows(InvalidArgumentException.class, () -> FM.load(ffmPath));
        assertThrows(InvalidArgumentException.class, () -> FFM.deserialize(fmBytes));
        FormatException fe = assertThrows(FormatException.class,
            () -> FFM.deserialize(Arrays.copyOf(ffmBytes, ffmBytes.length / 2)));
        assertEquals(Status.EFORMAT, fe.code());
        assertThrows(FormatException.class, () -> FFM.deserialize(new byte[0]));
        Path truncated = dir.resolve("truncated.model");
        Files.write(truncated, Arrays.copyOf(ffmBytes, ffmBytes.length - 5));
        assertThrows(FormatException.class, () -> FFM.load(truncated.toString()));
        String ftrlPath = dir.resolve("ftrl.model").toString();
        try (Ftrl other = new Ftrl("bits=8")) {
            other.save(ftrlPath);
        }
        assertThrows(FormatException.class, () -> FM.load(ftrlPath));
        assertThrows(IOFailureException.class, () -> FFM.load(dir.resolve("missing").toString()));
        try (FM f = new FM("bits=8")) {
            assertThrows(IOFailureException.class,
                () -> f.save(dir.resolve("no-such-dir").resolve("x.model").toString()));
        }
    }

    @Test
    void fitWithValidationStopsEarlyAndReportsProgress() {
        Csr train = interaction(3000, 7), valid = interaction(600, 8);
        try (FFM m = new FFM("fields=3 k=4 bits=14")) {
            List<Double> done = new ArrayList<>();
            List<String> stages = new ArrayList<>();
            FactorizationMachine.FitResult r = m.fit(train.data(), valid.data(), "epochs=30 seed=1",
                (stage, x) -> {
                    stages.add(stage);
                    done.add(x);
                    return true;
                });
            assertTrue(r.epochs() >= 1 && r.epochs() <= 30, r.toString());
            assertTrue(r.bestEpoch() >= 1 && r.bestEpoch() <= r.epochs(), r.toString());
            assertTrue(Double.isFinite(r.validLogloss()) && r.validLogloss() < Math.log(2), r.toString());
            assertTrue(Double.isFinite(r.trainLogloss()), r.toString());
            assertFalse(done.isEmpty());
            assertTrue(stages.contains("epoch"), stages.toString());
            for (int i = 1; i < done.size(); i++) assertTrue(done.get(i) >= done.get(i - 1));
            assertTrue(done.get(done.size() - 1) <= 1.0);
            double ll = Metrics.logLoss(m.predictBatch(valid.indptr, valid.idx, valid.fld, valid.val,
                                                       valid.nrows), valid.labels, null);
            assertEquals(r.validLogloss(), ll, 1e-3, "the kept model's validation logloss");
        }
        // labels that are pure noise: the validation logloss gets worse after an epoch or two,
        // auto-stop then keeps the model of the best epoch
        Random rnd = new Random(17);
        Csr noisyTrain = interaction(300, 14), noisyValid = interaction(300, 15);
        for (Csr c : new Csr[] {noisyTrain, noisyValid})
            for (int r = 0; r < c.nrows; r++) c.labels[r] = rnd.nextBoolean() ? 1f : 0f;
        try (FFM m = new FFM("fields=3 k=16 bits=14 eta=0.5 l1=0 alpha=0.5")) {
            FactorizationMachine.FitResult r = m.fit(noisyTrain.data(), noisyValid.data(), "epochs=50");
            assertTrue(r.bestEpoch() < r.epochs() && r.epochs() < 50, r.toString());
            double ll = Metrics.logLoss(m.predictBatch(noisyValid.indptr, noisyValid.idx, noisyValid.fld,
                                                       noisyValid.val, noisyValid.nrows), noisyValid.labels, null);
            assertEquals(r.validLogloss(), ll, 1e-3, "the kept model's validation logloss");
            assertEquals(r.bestEpoch() * noisyTrain.nrows, m.stats().examples(), "the undone epoch is not counted");
        }
        try (FM m = new FM("k=4 bits=14")) {
            FactorizationMachine.FitResult r = m.fit(train.data(), null, "epochs=3 shuffle=false");
            assertEquals(3, r.epochs());
            assertEquals(3, r.bestEpoch());
            assertTrue(Double.isNaN(r.validLogloss()), r.toString());
            assertEquals(3L * train.nrows, m.stats().examples());
            // null options: the defaults (10 epochs)
            try (FM n = new FM("k=4 bits=14")) {
                assertEquals(10, n.fit(new FactorizationMachine.Data(train.indptr, train.idx, null, null,
                                                                     train.labels), null, null).epochs());
            }
        }
    }

    @Test
    void canceledOrFailingFitLeavesTheModelAsItWas() {
        Csr train = interaction(2000, 9);
        try (FFM m = new FFM("fields=3 k=4 bits=14")) {
            m.updateBatch(train.indptr, train.idx, train.fld, train.val, train.labels, null);
            double[] before = state(m, train);
            CanceledException c = assertThrows(CanceledException.class,
                () -> m.fit(train.data(), null, "epochs=5", (stage, x) -> x < 0.3));
            assertEquals(Status.ECANCELED, c.code());
            assertArrayEquals(before, state(m, train), 0.0);
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException got = assertThrows(IllegalStateException.class,
                () -> m.fit(train.data(), null, "epochs=5", (stage, x) -> {
                    throw boom;
                }));
            assertSame(boom, got, "the listener's exception propagates");
            assertArrayEquals(before, state(m, train), 0.0);
            // bad options and a bad label in the validation set: checked before training
            assertThrows(InvalidArgumentException.class, () -> m.fit(train.data(), null, "epochs=0"));
            assertThrows(InvalidArgumentException.class, () -> m.fit(train.data(), null, "no_such_option=1"));
            float[] badLabels = train.labels.clone();
            badLabels[badLabels.length - 1] = 0.5f;
            Csr v = new Csr(train.indptr, train.idx, train.fld, train.val, badLabels);
            assertThrows(InvalidArgumentException.class, () -> m.fit(train.data(), v.data(), "epochs=2"));
            assertThrows(InvalidArgumentException.class,
                () -> m.fit(new FactorizationMachine.Data(train.indptr, train.idx, null, train.val, train.labels),
                            null, "epochs=2"), "FFM needs fields");
            assertThrows(InvalidArgumentException.class,
                () -> m.fit(new FactorizationMachine.Data(train.indptr, train.idx, train.fld, train.val,
                                                          Arrays.copyOf(train.labels, 5)), null, null));
            assertThrows(NullPointerException.class, () -> m.fit(null, null, null));
            assertThrows(NullPointerException.class,
                () -> new FactorizationMachine.Data(null, train.idx, null, null, train.labels));
            assertArrayEquals(before, state(m, train), 0.0);
            // and a fit afterwards works
            assertEquals(1, m.fit(train.data(), null, "epochs=1").epochs());
        }
    }

    @Test
    void esmmPredictsTheProductAndTrainsBothHeads() {
        try (FFM m = new FFM("fields=3 k=4 bits=12 heads=2 head_names=ctr|cvr l1=0")) {
            int ctr = m.headIndex("ctr"), cvr = m.headIndex("cvr");
            int[] a = {1, 2, 3}, b = {4, 5, 6};
            byte[] fld = {0, 1, 2};
            for (int i = 0; i < 40; i++) {
                m.esmmUpdate(ctr, cvr, a, fld, null, 1f, 1f, 1f); // clicked and converted
                m.esmmUpdate(ctr, cvr, b, fld, null, 0f, 0f, 1f); // not clicked
            }
            assertEquals(80, m.stats().examples());
            float[] pa = m.esmmPredict(ctr, cvr, a, fld, null), pb = m.esmmPredict(ctr, cvr, b, fld, null);
            assertEquals(3, pa.length);
            assertEquals(pa[0] * pa[1], pa[2], 1e-6f);
            assertEquals(pb[0] * pb[1], pb[2], 1e-6f);
            assertArrayEquals(new float[] {pa[0], pa[1]}, m.predict(a, fld, null), 1e-6f);
            assertTrue(pa[0] > 0.7f && pb[0] < 0.3f, Arrays.toString(pa) + " " + Arrays.toString(pb));
            assertTrue(pa[2] > pb[2]);
            Csr rows = new Csr(new long[] {0, 3, 6}, new int[] {1, 2, 3, 4, 5, 6}, new byte[] {0, 1, 2, 0, 1, 2},
                               null, new float[4]);
            double[] before = state(m, rows);
            assertThrows(InvalidArgumentException.class, () -> m.esmmUpdate(ctr, ctr, a, fld, null, 1f, 0f, 1f));
            assertThrows(InvalidArgumentException.class, () -> m.esmmUpdate(ctr, cvr, a, fld, null, 0f, 1f, 1f));
            assertThrows(InvalidArgumentException.class, () -> m.esmmUpdate(ctr, 2, a, fld, null, 1f, 0f, 1f));
            assertThrows(InvalidArgumentException.class, () -> m.esmmPredict(ctr, -1, a, fld, null));
            assertThrows(InvalidArgumentException.class, () -> m.esmmPredict(ctr, cvr, a, null, null));
            assertArrayEquals(before, state(m, rows), 0.0);
        }
    }

    @Test
    void directBuffersGiveTheArrayResults() {
        Csr d = interaction(300, 10);
        try (FFM m = new FFM("fields=3 k=4 bits=14 heads=2")) {
            float[] labels2 = new float[2 * d.nrows];
            for (int r = 0; r < d.nrows; r++) labels2[2 * r] = labels2[2 * r + 1] = d.labels[r];
            m.updateBatch(d.indptr, d.idx, d.fld, d.val, labels2, null);
            int[] idx = d.rowIdx(3);
            byte[] fld = d.rowFld(3);
            float[] val = {0.5f, 1.5f, 2f};
            IntBuffer ib = ByteBuffer.allocateDirect(4 * 3).order(ByteOrder.nativeOrder()).asIntBuffer().put(idx);
            ib.flip();
            ByteBuffer fb = ByteBuffer.allocateDirect(3).put(fld);
            fb.flip();
            FloatBuffer vb = ByteBuffer.allocateDirect(4 * 3).order(ByteOrder.nativeOrder()).asFloatBuffer().put(val);
            vb.flip();
            FloatBuffer out = ByteBuffer.allocateDirect(4 * 2).order(ByteOrder.nativeOrder()).asFloatBuffer();
            m.predict(ib, fb, vb, out);
            assertArrayEquals(m.predict(idx, fld, val), new float[] {out.get(0), out.get(1)}, 0f);
            m.margin(ib, fb, null, out);
            assertArrayEquals(m.margin(idx, fld, null), new float[] {out.get(0), out.get(1)}, 0f);
            assertEquals(0, ib.position(), "positions are not changed");
            FloatBuffer small = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            assertThrows(BufferTooSmallException.class, () -> m.predict(ib, fb, vb, small));
            assertThrows(IllegalArgumentException.class, () -> m.predict(IntBuffer.wrap(idx), fb, vb, out));
            assertThrows(IllegalArgumentException.class, () -> m.predict(ib, ByteBuffer.wrap(fld), vb, out));
            assertThrows(InvalidArgumentException.class, () -> m.predict(ib, null, vb, out), "FFM needs fld");
            ByteBuffer two = ByteBuffer.allocateDirect(2);
            assertThrows(InvalidArgumentException.class, () -> m.predict(ib, two, vb, out));
        }
    }

    /** {@code call} throws {@code type} and leaves the model computing exactly as before. */
    private static void fails(Class<? extends Throwable> type, Executable call, FactorizationMachine m, Csr d) {
        double[] before = state(m, d);
        Throwable e = assertThrows(type, call);
        if (e instanceof GrowthException) assertFalse(e.getMessage().isEmpty());
        assertArrayEquals(before, state(m, d), 0.0, "a failed call leaves the model as it was: " + e);
    }

    @Test
    void badInputThrowsAndLeavesTheModelUnchanged() {
        Csr d = interaction(100, 11);
        try (FFM m = new FFM("fields=3 k=4 bits=14 heads=2"); FM f = new FM("k=4 bits=14 fields=3")) {
            float[] l2 = new float[2 * d.nrows];
            m.updateBatch(d.indptr, d.idx, d.fld, d.val, l2, null);
            f.updateBatch(d.indptr, d.idx, d.fld, d.val, d.labels, null);
            int[] idx = d.rowIdx(0);
            byte[] fld = d.rowFld(0);
            float[] val = d.rowVal(0), lab = {1, 0};
            final Class<InvalidArgumentException> EINVAL = InvalidArgumentException.class;
            // null and mismatched arrays
            fails(NullPointerException.class, () -> m.predict(null, fld, val), m, d);
            fails(NullPointerException.class, () -> m.update(idx, fld, val, null, 1f), m, d);
            fails(NullPointerException.class, () -> m.partialFit(null, idx, fld, val, lab, null), m, d);
            fails(EINVAL, () -> m.predict(idx, new byte[2], val), m, d);
            fails(EINVAL, () -> m.predict(idx, fld, new float[2]), m, d);
            fails(EINVAL, () -> m.update(idx, fld, val, new float[] {1}, 1f), m, d);
            // what the library refuses: FFM without fields, a field or slot out of range, NaN
            fails(EINVAL, () -> m.predict(idx, null, val), m, d);
            fails(EINVAL, () -> m.update(idx, null, val, lab, 1f), m, d);
            fails(EINVAL, () -> m.predict(idx, new byte[] {0, 1, 3}, val), m, d);
            fails(EINVAL, () -> m.update(idx, new byte[] {0, 1, (byte) 255}, val, lab, 1f), m, d);
            fails(EINVAL, () -> m.predict(new int[] {1, 2, 1 << 14}, fld, val), m, d);
            fails(EINVAL, () -> m.update(idx, fld, new float[] {1, Float.NaN, 1}, lab, 1f), m, d);
            fails(EINVAL, () -> m.predictUpdate(idx, fld, new float[] {1, Float.POSITIVE_INFINITY, 1}, lab, 1f),
                  m, d);
            fails(EINVAL, () -> m.update(idx, fld, val, new float[] {2, 0}, 1f), m, d);
            fails(EINVAL, () -> m.update(idx, fld, val, lab, -1f), m, d);
            fails(EINVAL, () -> m.update(idx, fld, val, lab, Float.NaN), m, d);
            fails(EINVAL, () -> f.predict(idx, new byte[] {0, 1, 3}, val), f, d);
            // batches are checked whole before any row is trained on
            byte[] badFld = d.fld.clone();
            badFld[badFld.length - 1] = 7;
            fails(EINVAL, () -> m.updateBatch(d.indptr, d.idx, badFld, d.val, l2, null), m, d);
            float[] badVal = d.val.clone();
            badVal[badVal.length - 1] = Float.NaN;
            fails(EINVAL, () -> m.partialFit(d.indptr, d.idx, d.fld, badVal, l2, null), m, d);
            long[] decreasing = d.indptr.clone();
            decreasing[1] = 5;
            decreasing[2] = 4;
            fails(EINVAL, () -> m.updateBatch(decreasing, d.idx, d.fld, d.val, l2, null), m, d);
            fails(EINVAL, () -> m.updateBatch(d.indptr, d.idx, d.fld, d.val, l2, new float[3]), m, d);
            fails(EINVAL, () -> m.predictBatch(d.indptr, d.idx, d.fld, d.val, d.nrows + 1), m, d);
            fails(EINVAL, () -> m.predictBatch(new long[] {0, 400}, d.idx, d.fld, d.val, 1), m, d);
            // introspection out of range
            fails(EINVAL, () -> m.weight(2, 0), m, d);
            fails(EINVAL, () -> m.weight(-1, 0), m, d);
            fails(EINVAL, () -> m.weight(0, 1 << 14), m, d);
            fails(EINVAL, () -> m.factors(0, 3), m, d);
            fails(EINVAL, () -> m.factors(1 << 14, 0), m, d);
            fails(EINVAL, () -> f.factors(5, 1), f, d);
            fails(NotFoundException.class, () -> m.headIndex("nope"), m, d);
            fails(IllegalArgumentException.class, () -> m.headIndex("a\0b"), m, d);
            try (FFM nolin = new FFM("fields=3 linear=false bias=false")) {
                assertThrows(EINVAL, () -> nolin.weight(0, FactorizationMachine.BIAS));
                assertThrows(EINVAL, () -> nolin.weight(0, 5));
            }
        }
    }

    /** A LIBFFM model file (ffm-train's binary format) written here: n, m, k, the normalisation
     *  flag, then n x m blocks, each of k factors and k AdaGrad sums interleaved by 4 and padded
     *  to a multiple of 4 (LIBFFM built with SSE). The import predicts as ffm-predict. */
    @Test
    void importLibffmPredictsAsLibffm() throws IOException {
        int n = 6, fields = 3, k = 5, ka = 8;
        Random rnd = new Random(12);
        float[][][] w = new float[n][fields][k];
        ByteBuffer b = ByteBuffer.allocate(13 + 4 * n * fields * 2 * ka).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(n).putInt(fields).putInt(k).put((byte) 1);
        for (int j = 0; j < n; j++) {
            for (int f = 0; f < fields; f++) {
                for (int d0 = 0; d0 < ka; d0 += 4) {
                    for (int d = d0; d < d0 + 4; d++) {
                        float x = d < k ? (float) (rnd.nextGaussian() * 0.5) : 0f;
                        if (d < k) w[j][f][d] = x;
                        b.putFloat(x);
                    }
                    for (int d = d0; d < d0 + 4; d++) b.putFloat(d < k ? 1.5f : 0f);
                }
            }
        }
        Path p = dir.resolve("libffm.model");
        Files.write(p, b.array());
        try (FFM m = FFM.importLibffm(p.toString(), null)) {
            assertEquals(1, m.heads());
            assertEquals(k, m.k());
            assertEquals(fields, m.stats().fields());
            assertArrayEquals(w[4][2], m.factors(4, 2), 0f);
            int[] idx = {0, 3, 5};
            byte[] fld = {0, 2, 1};
            float[] val = {1f, 0.5f, 2f};
            double sq = 1 + 0.25 + 4, t = 0;
            for (int i = 0; i < 3; i++)
                for (int j = i + 1; j < 3; j++) {
                    double dot = 0;
                    for (int d = 0; d < k; d++) dot += w[idx[i]][fld[j]][d] * w[idx[j]][fld[i]][d];
                    t += dot * val[i] * val[j] / sq;
                }
            assertEquals(t, m.margin(idx, fld, val)[0], 1e-5);
            // training continues from LIBFFM's state
            m.update(idx, fld, val, new float[] {1}, 1f);
            assertEquals(1, m.stats().examples());
        }
        try (FFM m = FFM.importLibffm(p.toString(), "eta=0.1 lambda=0.0001")) {
            assertTrue(m.config().contains("eta=0.1"), m.config());
        }
        // the file read with the wrong alignment, truncated, or an impossible header
        assertThrows(FormatException.class, () -> FFM.importLibffm(p.toString(), "align=1"));
        Path cut = dir.resolve("cut.model");
        Files.write(cut, Arrays.copyOf(b.array(), b.array().length - 4));
        assertThrows(FormatException.class, () -> FFM.importLibffm(cut.toString(), null));
        Path bigK = dir.resolve("bigk.model");
        Files.write(bigK, ByteBuffer.allocate(13).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(1).putInt(65)
                .put((byte) 1).array());
        assertThrows(FormatException.class, () -> FFM.importLibffm(bigK.toString(), null));
        assertThrows(InvalidArgumentException.class, () -> FFM.importLibffm(p.toString(), "align=3"));
        assertThrows(IOFailureException.class, () -> FFM.importLibffm(dir.resolve("missing").toString(), null));
        assertThrows(NullPointerException.class, () -> FFM.importLibffm(null, null));
    }

    @Test
    void predictionsRunWhileAnotherThreadTrains() throws Exception {
        Csr d = interaction(2000, 13);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (FFM m = new FFM("fields=3 k=4 bits=14")) {
            AtomicBoolean training = new AtomicBoolean(true);
            List<Future<?>> jobs = new ArrayList<>();
            jobs.add(pool.submit(() -> {
                try {
                    for (int epoch = 0; epoch < 3; epoch++)
                        for (int r = 0; r < d.nrows; r++)
                            m.update(d.rowIdx(r), d.rowFld(r), d.rowVal(r), new float[] {d.labels[r]}, 1f);
                    m.fit(d.data(), null, "epochs=2");
                } finally {
                    training.set(false);
                }
                return null;
            }));
            for (int t = 0; t < 3; t++) {
                final int seed = t;
                jobs.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    int rounds = 0;
                    while (training.get() || rounds < 3) {
                        float[] p = m.predictBatch(d.indptr, d.idx, d.fld, d.val, d.nrows);
                        for (float x : p) assertTrue(x >= 0f && x <= 1f);
                        int r = rnd.nextInt(d.nrows);
                        float[] one = m.predict(d.rowIdx(r), d.rowFld(r), d.rowVal(r));
                        assertTrue(one[0] >= 0f && one[0] <= 1f);
                        m.weight(0, d.idx[r]);
                        assertEquals(4, m.factors(d.idx[r], 1).length);
                        m.stats();
                        rounds++;
                    }
                    return null;
                }));
            }
            for (Future<?> f : jobs) f.get(120, TimeUnit.SECONDS);
            assertEquals(5L * d.nrows, m.stats().examples());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closeIsIdempotentAndAClosedModelThrows() {
        FFM m = new FFM("fields=2 bits=8");
        m.close();
        assertTrue(m.isClosed());
        assertDoesNotThrow(m::close);
        assertThrows(IllegalStateException.class, m::heads);
        assertThrows(IllegalStateException.class, () -> m.predict(new int[] {1}, new byte[] {0}, null));
        assertThrows(IllegalStateException.class, () -> m.save(dir.resolve("x").toString()));
        for (int i = 0; i < 100; i++) new FM("bits=10").predict(new int[] {i}, null, null);
        System.gc();
    }
}
