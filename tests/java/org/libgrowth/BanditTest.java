package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class BanditTest {
    private static final long[] ARMS = {11, 22, 33, 44, 55, 66};

    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = TestUtil.tmpDir();
    }

    @AfterEach
    void tearDown() throws IOException {
        TestUtil.deleteTree(dir);
    }

    private static GrowthException assertCode(int code, Executable call) {
        GrowthException e = assertThrows(GrowthException.class, call);
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        return e;
    }

    private static boolean contains(long[] a, long v) {
        for (long x : a) if (x == v) return true;
        return false;
    }

    @Test
    void armsAndConfiguration() {
        try (Bandit b = new Bandit("ucb1", ARMS, 3)) {
            assertEquals(ARMS.length, b.armCount());
            assertArrayEquals(ARMS, b.arms());
            String cfg = b.config();
            assertTrue(cfg.contains("policy=ucb1"), cfg);
            assertTrue(cfg.contains("seed=3"), cfg);
            b.addArm(77, 0.03, 50);
            assertEquals(0.03, b.armStats(77).mean(), 1e-9);
            b.removeArm(22);
            assertEquals(ARMS.length, b.armCount());
            assertTrue(!contains(b.arms(), 22));
            b.replaceArm(33, 88);
            assertTrue(contains(b.arms(), 88) && !contains(b.arms(), 33));
            assertCode(Status.ENOTFOUND, () -> b.removeArm(22));
            assertCode(Status.ENOTFOUND, () -> b.armStats(12345));
            assertCode(Status.EINVAL, () -> b.addArm(11)); // duplicate
            assertCode(Status.EINVAL, () -> b.addArm(-1)); // >= 2^63

            long id = b.addArmNamed("coupon-10%", 0.05, 20);
            assertEquals(Bandit.nameId("coupon-10%"), id);
            assertTrue(id < 0, "named ids have the top bit set");
            assertEquals("coupon-10%", b.armName(id));
            assertCode(Status.ENOTFOUND, () -> b.armName(11));
            long uid = b.addArmNamed("优惠券", 0.05, 20);
            assertEquals("优惠券", b.armName(uid));
        }
        assertCode(Status.EINVAL, () -> new Bandit("policy=thompson bogus=1"));
        GrowthException e = assertCode(Status.EINVAL, () -> new Bandit("nope", ARMS, 0));
        assertTrue(e.getMessage().contains("policy"), e.getMessage());
        assertThrows(NullPointerException.class, () -> new Bandit(null, ARMS, 0));
        assertThrows(NullPointerException.class, () -> new Bandit("ucb1", null, 0));
        // a bad arm list frees the half-built handle and reports the library's error
        assertCode(Status.EINVAL, () -> new Bandit("ucb1", new long[] {1, 1}, 0));
    }

    @Test
    void eligibilityIsNeverViolated() {
        Random rnd = new Random(1);
        for (String policy : new String[] {"thompson", "egreedy", "ucb1", "klucb"}) {
            try (Bandit b = new Bandit(policy, ARMS, 9)) {
                for (int i = 0; i < 1500; i++) {
                    int m = 1 + rnd.nextInt(ARMS.length);
                    long[] shuffled = ARMS.clone();
                    for (int j = shuffled.length - 1; j > 0; j--) {
                        int k = rnd.nextInt(j + 1);
                        long t = shuffled[j];
                        shuffled[j] = shuffled[k];
                        shuffled[k] = t;
                    }
                    long[] eligible = Arrays.copyOf(shuffled, m);
                    Bandit.Decision d = b.select(null, eligible);
                    assertTrue(contains(eligible, d.arm()), policy + ": " + d);
                    if (!policy.equals("thompson"))
                        assertTrue(d.propensity() > 0 && d.propensity() <= 1, d.toString());
                    if (rnd.nextInt(3) == 0) b.reward(d.decisionId(), d.arm() == 44 ? 1 : 0);
                    if (i % 100 == 0 && m >= 2) {
                        Bandit.Decision[] slate = b.selectK(null, eligible, 2);
                        assertEquals(2, slate.length);
                        assertNotEquals(slate[0].arm(), slate[1].arm());
                        for (Bandit.Decision s : slate) assertTrue(contains(eligible, s.arm()));
                    }
                }
                assertTrue(b.stats().decisions() >= 1500);
            }
        }
    }

    @Test
    void unknownExpiredAndDuplicateRewardsAreEnotfound() {
        try (Bandit b = new Bandit("policy=thompson seed=1 ttl=5")) {
            for (long a : ARMS) b.addArm(a);
            Bandit.Decision d = b.select();
            b.reward(d.decisionId(), 1.0);
            GrowthException e = assertCode(Status.ENOTFOUND, () -> b.reward(d.decisionId(), 1.0));
            assertTrue(e.getMessage().contains(Long.toString(d.decisionId())), e.getMessage());
            assertCode(Status.ENOTFOUND, () -> b.reward(987654321L, 1.0));
            Bandit.Decision old = b.select();
            for (int i = 0; i < 10; i++) b.select();
            assertCode(Status.ENOTFOUND, () -> b.reward(old.decisionId(), 0.0));
            assertCode(Status.EINVAL, () -> b.reward(b.select().decisionId(), 1.5));

            Bandit.Stats s = b.stats();
            assertEquals(b.armCount(), s.arms());
            assertEquals(1, s.applied());
            assertEquals(1, s.duplicate());
            assertEquals(1, s.unknown());
            assertEquals(1, s.expired());
            assertEquals(13, s.decisions());

            Bandit.Decision x = b.select(), y = b.select();
            int[] st = b.rewardBatch(new long[] {x.decisionId(), 424242L, y.decisionId()},
                                     new double[] {1, 1, 0});
            assertArrayEquals(new int[] {Status.OK, Status.ENOTFOUND, Status.OK}, st);
            assertEquals(3, b.stats().applied());
            assertCode(Status.EINVAL, () -> b.rewardBatch(new long[] {1}, new double[] {1, 2}));
            assertThrows(NullPointerException.class, () -> b.rewardBatch(null, new double[0]));

            // a removed arm's pending decisions are refused
            Bandit.Decision r = b.select(null, new long[] {33});
            b.removeArm(33);
            assertCode(Status.ENOTFOUND, () -> b.reward(r.decisionId(), 1));
            assertEquals(1, b.stats().retired());
        }
    }

    @Test
    void badSelectsThrowTheRightCodes() {
        try (Bandit empty = new Bandit("policy=thompson")) {
            assertCode(Status.ESTATE, empty::select);
        }
        try (Bandit b = new Bandit("egreedy", ARMS, 2)) {
            assertCode(Status.ENOTFOUND, () -> b.select(null, new long[0]));
            assertCode(Status.ENOTFOUND, () -> b.select(null, new long[] {11, 999}));
            assertCode(Status.EINVAL, () -> b.select(null, new long[] {11, 11}));
            assertCode(Status.EINVAL, () -> b.select(new float[] {1f}, null)); // dim = 0
            assertCode(Status.EINVAL, () -> b.selectK(null, new long[] {11, 22}, 3));
            assertCode(Status.EINVAL, () -> b.selectK(null, null, 0));
            boolean[] mask = new boolean[ARMS.length];
            mask[1] = true;
            mask[4] = true;
            Bandit.Decision[] s = b.selectKMask(null, mask, 2);
            Set<Long> got = new HashSet<>();
            for (Bandit.Decision d : s) got.add(d.arm());
            assertEquals(new HashSet<>(Arrays.asList(ARMS[1], ARMS[4])), got);
            assertEquals(s[0].decisionId() + 1, s[1].decisionId());
            assertCode(Status.ENOTFOUND, () -> b.selectKMask(null, new boolean[ARMS.length], 1));
            assertThrows(NullPointerException.class, () -> b.selectKMask(null, null, 1));

            double[] p = b.probabilities(null, null, 1000, 0);
            assertEquals(ARMS.length, p.length);
            assertEquals(1.0, Arrays.stream(p).sum(), 1e-9);
            Bandit.Decision[] batch = b.selectBatch(null, 5, new long[] {55, 66});
            assertEquals(5, batch.length);
            for (Bandit.Decision d : batch) assertTrue(d.arm() == 55 || d.arm() == 66);
        }
    }

    @Test
    void linearPolicyTakesAContext() {
        try (Bandit b = new Bandit("policy=linucb dim=3 alpha=0.5 seed=4")) {
            for (long a : new long[] {1, 2}) b.addArm(a);
            Random rnd = new Random(3);
            // arm 1 pays when x0 > 0, arm 2 when x0 <= 0
            for (int i = 0; i < 400; i++) {
                float[] x = {rnd.nextFloat() * 2 - 1, 1f, rnd.nextFloat()};
                Bandit.Decision d = b.select(x, null);
                b.reward(d.decisionId(), (d.arm() == 1) == (x[0] > 0) ? 1 : 0);
            }
            assertEquals(1, b.select(new float[] {0.9f, 1f, 0.5f}, null).arm());
            assertEquals(2, b.select(new float[] {-0.9f, 1f, 0.5f}, null).arm());
            assertCode(Status.EINVAL, () -> b.select(new float[] {1f, 2f}, null));
            assertCode(Status.EINVAL, () -> b.select(null, null));
            assertCode(Status.EINVAL, () -> b.select(new float[] {Float.NaN, 0, 0}, null));
            assertCode(Status.EINVAL, () -> b.selectBatch(new float[] {1, 2, 3, 4}, 3, null));
            Bandit.Decision[] two = b.selectBatch(new float[] {0.9f, 1, 0, -0.9f, 1, 0}, 2, null);
            assertEquals(1, two[0].arm());
            assertEquals(2, two[1].arm());
        }
    }

    @Test
    void learnsTheBetterArm() {
        try (Bandit b = new Bandit("thompson", new long[] {1, 2, 3}, 17)) {
            Random rnd = new Random(2);
            int best = 0;
            for (int i = 0; i < 1500; i++) {
                Bandit.Decision d = b.select();
                double rate = d.arm() == 2 ? 0.5 : 0.1;
                b.reward(d.decisionId(), rnd.nextDouble() < rate ? 1 : 0);
                if (i >= 1000 && d.arm() == 2) best++;
            }
            assertTrue(best > 400, "best arm chosen " + best + " / 500");
            assertTrue(b.armStats(2).mean() > b.armStats(1).mean());
        }
    }

    private static long[] decisions(Bandit b, int n) {
        long[] out = new long[2 * n];
        for (int i = 0; i < n; i++) {
            Bandit.Decision d = b.select(null, i % 3 == 0 ? new long[] {11, 44, 66} : null);
            out[2 * i] = d.decisionId();
            out[2 * i + 1] = d.arm();
            if (i % 2 == 0) b.reward(d.decisionId(), d.arm() % 2);
        }
        return out;
    }

    @Test
    void snapshotsRestoreTheSameFutureDecisions() throws IOException {
        try (Bandit b = new Bandit("thompson", ARMS, 123)) {
            decisions(b, 100);
            Bandit.Decision pending = b.select();
            byte[] snap = b.serialize();
            String path = dir.resolve("coupons.bandit").toString();
            b.save(path);
            assertEquals("bandit", Growth.modelKind(path));
            long[] want = decisions(b, 200);
            try (Bandit d = Bandit.deserialize(snap); Bandit l = Bandit.load(path)) {
                assertEquals(b.config(), d.config());
                assertArrayEquals(want, decisions(d, 200));
                assertArrayEquals(want, decisions(l, 200));
            }
            try (Bandit d = Bandit.deserialize(snap)) {
                long before = d.stats().applied();
                d.reward(pending.decisionId(), 1); // the pending decision survived
                assertEquals(before + 1, d.stats().applied());
            }
        }
    }

    @Test
    void wrongKindAndCorruptFilesAreEformat() throws IOException {
        String cal = dir.resolve("m.cal").toString();
        try (Calibrator c = new Calibrator()) {
            c.fit(new float[] {0.1f, 0.2f, 0.3f}, new float[] {0, 1, 1});
            c.save(cal);
        }
        assertCode(Status.EFORMAT, () -> Bandit.load(cal));
        Path junk = dir.resolve("junk.bandit");
        Files.write(junk, "not a bandit at all".getBytes("UTF-8"));
        assertCode(Status.EFORMAT, () -> Bandit.load(junk.toString()));
        byte[] snap;
        try (Bandit b = new Bandit("ucb1", ARMS, 0)) {
            snap = b.serialize();
        }
        assertCode(Status.EFORMAT, () -> Bandit.deserialize(Arrays.copyOf(snap, snap.length - 3)));
        assertCode(Status.EFORMAT, () -> Bandit.deserialize(new byte[0]));
    }

    @Test
    void sampleBetaAndOffPolicyEvaluation() {
        double[] a = new double[2000], bb = new double[2000];
        Arrays.fill(a, 2);
        Arrays.fill(bb, 6);
        double[] x = Bandit.sampleBeta(7, a, bb);
        assertArrayEquals(x, Bandit.sampleBeta(7, a, bb), 0.0);
        double mean = Arrays.stream(x).average().orElse(0);
        assertEquals(0.25, mean, 0.02);
        for (double v : x) assertTrue(v > 0 && v < 1);
        assertCode(Status.EINVAL, () -> Bandit.sampleBeta(1, new double[] {0}, new double[] {1}));
        assertCode(Status.EINVAL, () -> Bandit.sampleBeta(1, new double[] {1}, new double[0]));

        // uniform logging over 2 actions; the target always plays action 1
        int[] act = {0, 1, 1, 0};
        double[] r = {0, 1, 0, 1};
        double[] prop = {0.5, 0.5, 0.5, 0.5};
        double[] target = {0, 1, 0, 1, 0, 1, 0, 1};
        // IPS: mean of (pi / p) r = (0 + 2 + 0 + 0) / 4
        assertEquals(0.5, Bandit.ope(Bandit.OPE_IPS, 2, act, r, prop, target, null).value(), 1e-12);
        // replay: mean reward where the target picks the logged arm = (1 + 0) / 2
        assertEquals(0.5, Bandit.ope(Bandit.OPE_REPLAY, 2, act, r, prop, target, null).value(),
                     1e-12);
        assertCode(Status.EINVAL,
                () -> Bandit.ope(Bandit.OPE_IPS, 2, act, r, prop, new double[3], null));
        // by name (the C config key estimator=): the same values as the OPE_* constants
        assertEquals(Bandit.ope(Bandit.OPE_SNIPS, 2, act, r, prop, target, null).value(),
                     Bandit.ope("snips", 2, act, r, prop, target, null).value(), 0.0);
        assertEquals(Bandit.ope(Bandit.OPE_DR, 2, act, r, prop, target, null).stderr(),
                     Bandit.ope("dr", 2, act, r, prop, target, null).stderr(), 0.0);
        GrowthException e = assertCode(Status.EINVAL,
                () -> Bandit.ope("softmax", 2, act, r, prop, target, null));
        assertTrue(e.getMessage().contains("estimator"), e.getMessage());
    }

    @Test
    void closeIsIdempotentAndLaterCallsThrow() {
        Bandit b = new Bandit("thompson", ARMS, 0);
        b.close();
        b.close();
        assertTrue(b.isClosed());
        assertThrows(IllegalStateException.class, b::select);
        assertThrows(IllegalStateException.class, () -> b.reward(1, 1));
        assertThrows(IllegalStateException.class, b::serialize);
    }
}
