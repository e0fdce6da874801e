package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Closing an object while other threads are inside calls on it: the close only marks it closed,
 * the C handle is freed when the last call returns, later calls throw IllegalStateException, and
 * the process does not crash. Each target runs long calls (big inputs) from several threads and
 * closes the object under them, many rounds; Handle's test hooks count frees made while a call
 * was in flight (must stay 0) and frees deferred to the last call (must happen).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CloseWhileBusyTest {
    private static final int ROUNDS = 20;
    private static final int THREADS = 3;

    private byte[] indexBytes, banditBytes, forestBytes, textBytes;
    private float[] query, forestX;
    private int forestRows;
    private int[] ftrlIdx;
    private float[] ftrlVal;

    @BeforeAll
    void setUp() {
        Random rnd = new Random(11);
        // Ftrl: one row of 100k slots (a prediction reads every one)
        ftrlIdx = new int[100_000];
        ftrlVal = new float[ftrlIdx.length];
        for (int i = 0; i < ftrlIdx.length; i++) {
            ftrlIdx[i] = rnd.nextInt(1 << 20);
            ftrlVal[i] = rnd.nextFloat();
        }
        // Index: 20k vectors of 64 floats, exact search
        int dim = 64, n = 20_000;
        float[] x = new float[n * dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        query = new float[dim];
        for (int i = 0; i < dim; i++) query[i] = (float) rnd.nextGaussian();
        try (Index ix = new Index("dim=64 metric=ip kind=flat")) {
            ix.add(x);
            indexBytes = ix.serialize();
        }
        // Bandit: Thompson sampling over 20k arms draws one Beta sample per arm and select
        try (Bandit b = new Bandit("policy=thompson seed=3")) {
            for (long id = 1; id <= 20_000; id++) b.addArm(id);
            banditBytes = b.serialize();
        }
        // Forest: 60 trees, 20k rows per prediction
        int fr = 400, fc = 8;
        float[] tx = new float[fr * fc], ty = new float[fr];
        for (int r = 0; r < fr; r++) {
            for (int c = 0; c < fc; c++) tx[r * fc + c] = rnd.nextFloat();
            ty[r] = tx[r * fc] + 0.3f * tx[r * fc + 1] > 0.6f ? 1 : 0;
        }
        try (Forest f = Forest.train(tx, fr, fc, ty, "objective=binary:logistic max_depth=5", 60)) {
            forestBytes = f.serialize();
        }
        forestRows = 20_000;
        forestX = new float[forestRows * fc];
        for (int i = 0; i < forestX.length; i++) forestX[i] = rnd.nextFloat();
        // TextIndex: 20k documents sharing common words
        String[] words = {"red", "blue", "green", "shoe", "shirt", "mug", "running", "summer",
                          "winter", "coffee", "tea", "dress"};
        long[] ids = new long[20_000];
        String[] docs = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < 8; w++) sb.append(words[rnd.nextInt(words.length)]).append(' ');
            docs[i] = sb.toString();
        }
        try (TextIndex t = new TextIndex()) {
            t.add(ids, docs);
            textBytes = t.serialize();
        }
    }

    /**
     * ROUNDS times: a fresh object, THREADS threads calling {@code call} on it in a loop, a close
     * from this thread once every caller is running; every caller must end with
     * IllegalStateException and nothing else.
     */
    private <H extends Handle> void race(String name, Supplier<H> make, Consumer<H> call)
            throws InterruptedException {
        long busyBefore = Handle.FREES_WHILE_BUSY.get();
        long deferredBefore = Handle.DEFERRED_FREES.get();
        Random rnd = new Random(name.hashCode());
        for (int round = 0; round < ROUNDS; round++) {
            H h = make.get();
            call.accept(h); // warm: the call works before the race
            AtomicInteger running = new AtomicInteger();
            AtomicInteger closedSeen = new AtomicInteger();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Thread th = new Thread(() -> {
                    boolean first = true;
                    try {
                        for (;;) {
                            call.accept(h);
                            if (first) {
                                running.incrementAndGet();
                                first = false;
                            }
                        }
                    } catch (IllegalStateException e) {
                        if (first) running.incrementAndGet();
                        closedSeen.incrementAndGet();
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }, name + "-caller-" + t);
                th.start();
                threads.add(th);
            }
            while (running.get() < THREADS && errors.isEmpty()) Thread.sleep(0, 200_000);
            Thread.sleep(rnd.nextInt(3)); // land the close at different points of the calls
            h.close();
            assertTrue(h.isClosed());
            assertThrows(IllegalStateException.class, () -> call.accept(h), name + " after close");
            h.close(); // idempotent
            for (Thread th : threads) {
                th.join(60_000);
                assertFalse(th.isAlive(), name + ": a caller did not stop");
            }
            if (!errors.isEmpty()) throw new AssertionError(name + ": a caller failed", errors.peek());
            assertEquals(THREADS, closedSeen.get(), name + ": every caller ends closed");
        }
        assertEquals(busyBefore, Handle.FREES_WHILE_BUSY.get(), name + ": freed while in flight");
        assertTrue(Handle.DEFERRED_FREES.get() > deferredBefore,
                name + ": no close landed while a call was running (the race was not exercised)");
    }

    @Test
    void ftrlPredict() throws InterruptedException {
        race("Ftrl.predict", () -> new Ftrl("bits=20 heads=2"), m -> m.predict(ftrlIdx, ftrlVal));
    }

    @Test
    void fmPredictAndFit() throws InterruptedException {
        // small tables (a model's creation fills every factor), long rows
        int[] idx = new int[ftrlIdx.length];
        for (int i = 0; i < idx.length; i++) idx[i] = ftrlIdx[i] & 0xfff;
        race("FM.predict", () -> new FM("bits=12 k=8 heads=2"), m -> m.predict(idx, null, ftrlVal));
        // a fit holds the handle for its whole run (its progress callback calls back into Java)
        int rows = 20;
        long[] indptr = new long[rows + 1];
        for (int r = 0; r <= rows; r++) indptr[r] = (long) r * 500;
        FactorizationMachine.Data d = new FactorizationMachine.Data(indptr, idx, null, ftrlVal, new float[rows]);
        race("FM.fit", () -> new FM("bits=12 k=2"), m -> m.fit(d, null, "epochs=1", (stage, done) -> true));
    }

    @Test
    void indexSearch() throws InterruptedException {
        race("Index.search", () -> Index.deserialize(indexBytes), ix -> ix.search(query, 10));
    }

    @Test
    void banditSelect() throws InterruptedException {
        race("Bandit.select", () -> Bandit.deserialize(banditBytes), b -> b.select());
    }

    @Test
    void forestPredict() throws InterruptedException {
        race("Forest.predict", () -> Forest.deserialize(forestBytes),
                f -> f.predict(forestX, forestRows));
    }

    @Test
    void textIndexSearch() throws InterruptedException {
        race("TextIndex.search", () -> TextIndex.deserialize(textBytes),
                t -> t.search("red running summer coffee dress", 10));
    }

    @Test
    void esmmHoldsBothModels() {
        Ftrl ctr = new Ftrl("bits=10");
        Ftrl cvr = new Ftrl("bits=10");
        long before = Handle.DEFERRED_FREES.get();
        long p = cvr.acquire(); // another thread inside a call on cvr
        try {
            ctr.close();
            assertThrows(IllegalStateException.class,
                    () -> Ftrl.esmmPredict(ctr, 0, cvr, 0, new int[] {1}, null));
            cvr.close();
            assertTrue(cvr.isClosed());
            assertEquals(1, Native.ftrlStats(p)[0], "still alive while held");
            assertThrows(IllegalStateException.class,
                    () -> Ftrl.esmmPredict(cvr, 0, cvr, 0, new int[] {1}, null));
        } finally {
            cvr.release();
        }
        assertEquals(before + 1, Handle.DEFERRED_FREES.get(), "the last release frees");
    }

    @Test
    void closeWhileHeldDefersTheFreeToTheLastRelease() {
        Ftrl m = new Ftrl("bits=12 heads=3");
        long before = Handle.DEFERRED_FREES.get();
        long p1 = m.acquire();
        long p2 = m.acquire();
        assertEquals(p1, p2);
        m.close();
        assertTrue(m.isClosed());
        assertThrows(IllegalStateException.class, m::heads);
        assertEquals(3, Native.ftrlStats(p1)[0]); // the C object is still there
        m.release();
        assertEquals(3, Native.ftrlStats(p1)[0]);
        assertEquals(before, Handle.DEFERRED_FREES.get());
        m.release(); // the last call: frees
        assertEquals(before + 1, Handle.DEFERRED_FREES.get());
        m.close();
        assertThrows(IllegalStateException.class, m::acquire);
        assertEquals(0, Handle.FREES_WHILE_BUSY.get());
    }

    @Test
    void theCleanerRespectsCallsInFlight() throws InterruptedException {
        Ftrl m = new Ftrl("bits=12 heads=2");
        long p = m.acquire(); // a call in flight when the object becomes unreachable
        Handle.Lease lease = m.leaseForTest();
        WeakReference<Ftrl> weak = new WeakReference<>(m);
        m = null;
        for (int i = 0; i < 500 && !lease.closed(); i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(weak.get(), "the object was collected");
        assertTrue(lease.closed(), "the Cleaner ran");
        assertEquals(2, Native.ftrlStats(p)[0], "the Cleaner did not free under the call");
        long before = Handle.DEFERRED_FREES.get();
        lease.release();
        assertEquals(before + 1, Handle.DEFERRED_FREES.get(), "the last release freed");
        assertEquals(0, Handle.FREES_WHILE_BUSY.get());
    }
}
