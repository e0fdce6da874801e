package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class BidderTest {
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

    @Test
    void freshBidderBidsTargetCpaTimesPctrTimesPcvr() {
        try (Bidder b = new Bidder("target_cpa=80 budget=50000")) {
            assertEquals(1.0, b.multiplier(), 0.0);
            assertEquals(1.0, b.rate(), 0.0);
            assertTrue(b.config().contains("target_cpa=80"), b.config());
            Random rnd = new Random(3);
            int n = 200;
            double[] ctr = new double[n], cvr = new double[n];
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) {
                ctr[i] = rnd.nextDouble();
                cvr[i] = rnd.nextDouble();
                ids[i] = rnd.nextLong();
                assertEquals(80 * ctr[i] * cvr[i], b.bid(ctr[i], cvr[i], 0, ids[i]), 0.0);
            }
            double[] batch = b.bidBatch(ctr, cvr, null, ids);
            for (int i = 0; i < n; i++) assertEquals(80 * ctr[i] * cvr[i], batch[i], 0.0);
            assertArrayEquals(batch, b.bidBatch(ctr, cvr, null, null), 0.0);
            assertEquals(0, b.bidBatch(new double[0], new double[0], null, null).length);
            assertEquals(0.0, b.bid(0.0, 0.3, 7), 0.0);
        }
        try (Bidder b = new Bidder("target_cpa=50 billing=cpc")) {
            assertEquals(50 * 0.25, b.bid(0.9, 0.25, 1), 0.0);
        }
        try (Bidder b = new Bidder("mode=roi target_roi=4")) {
            assertEquals(200.0 / 4 * 0.1 * 0.2, b.bid(0.1, 0.2, 200.0, 1), 0.0);
            assertEquals(200.0 / 4 * 0.1 * 0.2,
                    b.bidBatch(new double[] {0.1}, new double[] {0.2}, new double[] {200.0},
                            null)[0], 0.0);
            assertCode(Status.EINVAL,
                    () -> b.bidBatch(new double[] {0.1}, new double[] {0.2}, null, null));
            assertCode(Status.EINVAL, () -> b.bid(0.1, 0.2, -1.0, 1));
        }
        try (Bidder b = new Bidder("target_cpa=10 bid_floor=0.5 bid_cap=2")) {
            assertEquals(0.0, b.bid(0.1, 0.4, 1), 0.0);   // 0.4 < floor
            assertEquals(2.0, b.bid(0.9, 0.9, 1), 0.0);   // 8.1 capped
            assertEquals(10 * 0.5 * 0.2, b.bid(0.5, 0.2, 1), 0.0);
        }
    }

    @Test
    void pacingFollowsThePlanAndStopsAtTheBudget() {
        try (Bidder b = new Bidder("target_cpa=10 budget=100 day_seconds=1000 interval=10")) {
            assertEquals(50.0, b.plannedSpend(500), 1e-9);
            assertEquals(100.0, b.plannedSpend(1000), 1e-9);
            assertEquals(0.0, b.spent(), 0.0);
            b.record(5, 20);   // far ahead of plan (1 by t=10)
            b.tick(10);
            assertEquals(20.0, b.spent(), 1e-12);
            double m = b.multiplier();
            assertTrue(m < 1.0 && m > 0.0, "multiplier " + m);
            assertEquals(10 * 0.5 * 0.5 * m, b.bid(0.5, 0.5, 1), 1e-12);
            b.record(20, 80);   // the budget is spent
            assertEquals(0.0, b.bid(0.5, 0.5, 1), 0.0);
            b.newDay();
            assertEquals(0.0, b.spent(), 0.0);
            assertTrue(b.bid(0.5, 0.5, 1) > 0);
        }
        try (Bidder b = new Bidder("controller=none initial_multiplier=0.5 target_cpa=4")) {
            assertEquals(0.5, b.multiplier(), 0.0);
            assertEquals(4 * 0.5 * 0.5 * 0.5, b.bid(0.5, 0.5, 9), 0.0);
        }
    }

    @Test
    void firstPriceShadingLearnsFromAuctionResults() {
        try (Bidder b = new Bidder("auction=first shade_min_obs=50 target_cpa=10")) {
            assertEquals(0, b.auctionResults());
            double v = 10 * 0.5 * 0.4;   // 2.0
            assertEquals(v, b.bid(0.5, 0.4, 1), 0.0);
            for (int i = 0; i < 200; i++) {
                double price = 0.2 + 0.01 * (i % 100);
                b.auctionResult(2.0, price < 2.0, price);
            }
            assertEquals(200, b.auctionResults());
            double w = b.winRate(1.5);
            assertTrue(w >= 0 && w <= 1, "win rate " + w);
            assertTrue(b.winRate(0.1) <= b.winRate(5.0));
            double shaded = b.bid(0.5, 0.4, 1);
            assertTrue(shaded > 0 && shaded < v, "shaded bid " + shaded);
            b.auctionResult(1.0, false);
            assertEquals(201, b.auctionResults());
        }
    }

    @Test
    void saveLoadAndSerializeRoundTrips() {
        try (Bidder b = new Bidder("target_cpa=10 budget=100 day_seconds=1000 interval=10 "
                + "auction=first shade_min_obs=5")) {
            b.record(5, 20);
            b.tick(10);
            for (int i = 0; i < 20; i++) b.auctionResult(1.0 + 0.1 * i, i % 3 == 0, Double.NaN);
            String path = dir.resolve("c.bidder").toString();
            b.save(path);
            assertEquals("bidder", Growth.modelKind(path));
            try (Bidder l = Bidder.load(path); Bidder s = Bidder.deserialize(b.serialize())) {
                for (Bidder c : new Bidder[] {l, s}) {
                    assertEquals(b.config(), c.config());
                    assertEquals(b.multiplier(), c.multiplier(), 0.0);
                    assertEquals(b.spent(), c.spent(), 0.0);
                    assertEquals(b.auctionResults(), c.auctionResults());
                    assertEquals(b.winRate(1.2), c.winRate(1.2), 0.0);
                    assertEquals(b.bid(0.3, 0.6, 5), c.bid(0.3, 0.6, 5), 0.0);
                }
                assertNotEquals(1.0, l.multiplier());
            }
        }
    }

    @Test
    void badInputWrongKindFilesAndClose() throws IOException {
        assertCode(Status.EINVAL, () -> new Bidder("budget=0"));
        assertCode(Status.EINVAL, () -> new Bidder("target_cpa=-1"));
        assertCode(Status.EINVAL, () -> new Bidder("no_such_key=1"));
        assertCode(Status.EINVAL, () -> new Bidder("plan=curve"));
        String cal = dir.resolve("m.cal").toString();
        try (Calibrator c = new Calibrator()) {
            c.fit(new float[] {0.1f, 0.2f, 0.3f}, new float[] {0, 1, 1});
            c.save(cal);
        }
        assertCode(Status.EFORMAT, () -> Bidder.load(cal));
        try (Calibrator c = Calibrator.load(cal)) {
            assertCode(Status.EFORMAT, () -> Bidder.deserialize(c.serialize()));
        }
        assertCode(Status.EFORMAT, () -> Bidder.deserialize(new byte[] {1, 2, 3}));
        assertCode(Status.EIO, () -> Bidder.load(dir.resolve("missing").toString()));
        assertThrows(NullPointerException.class, () -> Bidder.load(null));
        assertThrows(NullPointerException.class, () -> Bidder.deserialize(null));

        Bidder b = new Bidder("day_seconds=1000");
        assertCode(Status.EINVAL, () -> b.bid(1.5, 0.1, 1));
        assertCode(Status.EINVAL, () -> b.bid(Double.NaN, 0.1, 1));
        assertCode(Status.EINVAL, () -> b.bid(0.1, -0.1, 1));
        assertCode(Status.EINVAL,
                () -> b.bidBatch(new double[] {0.1, 0.2}, new double[] {0.1}, null, null));
        assertCode(Status.EINVAL,
                () -> b.bidBatch(new double[] {0.1}, new double[] {0.1}, null, new long[2]));
        assertCode(Status.EINVAL,
                () -> b.bidBatch(new double[] {0.1, 2.0}, new double[] {0.1, 0.1}, null, null));
        assertThrows(NullPointerException.class, () -> b.bidBatch(null, new double[1], null, null));
        assertThrows(NullPointerException.class, () -> b.bidBatch(new double[1], null, null, null));
        assertCode(Status.EINVAL, () -> b.record(10, -1));
        assertCode(Status.EINVAL, () -> b.record(2000, 1));
        assertCode(Status.EINVAL, () -> b.record(Double.NaN, 1));
        assertCode(Status.EINVAL, () -> b.tick(-1));
        assertCode(Status.EINVAL, () -> b.auctionResult(0, true, Double.NaN));
        assertEquals(0.0, b.spent(), 0.0);   // failed calls leave the bidder unchanged
        b.close();
        b.close();
        assertTrue(b.isClosed());
        assertThrows(IllegalStateException.class, () -> b.bid(0.1, 0.1, 1));
        assertThrows(IllegalStateException.class, b::multiplier);
    }
}
