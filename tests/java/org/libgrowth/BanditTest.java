package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /** Replays the workload of tests/data/bandit/logistic_decisions.txt (see its header). */
    private static Map<String, String[]> logisticWorkload(String policyKey) {
        String[] pk = policyKey.split(":");
        Map<String, String[]> out = new HashMap<>();
        String[] cands = new String[30], props = new String[30];
        try (Bandit b = new Bandit("policy=" + pk[0] + " seed=42 bits=10 prior_count=5 " + pk[1])) {
            List<long[]> pending = new ArrayList<>();
            for (int t = 0; t < 30; t++) {
                int k = 4 + t % 3;
                int[][] rows = new int[k][];
                float[][] vals = new float[k][];
                long[] ids = new long[k];
                double[] rates = new double[k];
                for (int j = 0; j < k; j++) {
                    rows[j] = new int[] {(t * 7 + 1) % 1024, (j * 13 + 5) % 1024, ((t % 5) * 31 + j * 17 + 100) % 1024};
                    vals[j] = new float[] {1f, 0.5f + 0.25f * j, 1f};
                    ids[j] = 1000 + j;
                    rates[j] = j == 0 ? 0.2 : 0;
                }
                Bandit.Choice c = b.select(rows, vals, ids, rates);
                assertEquals(t + 1, c.decisionId());
                cands[t] = Integer.toString(c.candidate());
                props[t] = Double.toHexString(c.propensity());
                pending.add(new long[] {c.decisionId(), (c.candidate() + t) % 3 == 0 ? 1 : 0});
                if (pending.size() == 3) {
                    for (long[] p : pending) b.reward(p[0], p[1]);
                    pending.clear();
                }
            }
            Bandit.Weights w = b.weights(new int[] {1, 5, 18, 100, 117});
            out.put("m", Arrays.stream(w.mean()).mapToObj(Double::toHexString).toArray(String[]::new));
            out.put("q", Arrays.stream(w.precision()).mapToObj(Double::toHexString).toArray(String[]::new));
        }
        out.put("cands", cands);
        out.put("props", props);
        return out;
    }

    @Test
    void logisticDecisionsMatchTheCPath() throws IOException {
        String root = System.getenv("GROWTH_SOURCE_ROOT");
        Path file = Paths.get(root == null ? "." : root, "tests", "data", "bandit", "logistic_decisions.txt");
        Map<String, Map<String, String[]>> want = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("#") || line.isBlank()) continue;
            String[] parts = line.split(" ", 3);
            String[] vals = parts[2].split(",\\s*");
            if (!parts[1].equals("cands"))
                for (int i = 0; i < vals.length; i++) vals[i] = Double.toHexString(Double.parseDouble(vals[i]));
            want.computeIfAbsent(parts[0], x -> new HashMap<>()).put(parts[1], vals);
        }
        assertEquals(2, want.size());
        for (Map.Entry<String, Map<String, String[]>> e : want.entrySet()) {
            Map<String, String[]> got = logisticWorkload(e.getKey());
            for (String key : new String[] {"cands", "props", "m", "q"})
                assertArrayEquals(e.getValue().get(key), got.get(key), e.getKey() + " " + key);
        }
    }

    @Test
    void logisticSelectCsrPriorsWeightsAndBadInput() {
        try (Bandit b = new Bandit("policy=logistic_ucb seed=1 bits=8 nnz=4 lambda=2")) {
            long[] indptr = {0, 2, 4};
            int[] idx = {1, 2, 1, 3};
            Bandit.Choice c = b.selectCsr(indptr, idx, null);
            assertTrue(c.candidate() == 0 || c.candidate() == 1, c.toString());
            assertEquals(0.5, c.propensity(), 0.0); // a tie between two unseen rows
            b.reward(c.decisionId(), 1);
            Bandit.Weights w = b.weights(new int[] {1, 0});
            assertTrue(w.mean()[0] > 0 && w.precision()[0] > 2, Arrays.toString(w.mean()));
            assertEquals(0, w.mean()[1], 0.0);
            assertEquals(2, w.precision()[1], 0.0);
            // a strong prior on candidate 1 makes UCB choose it
            Bandit.Choice p = b.selectCsr(indptr, idx, null, new long[] {7, 8}, new double[] {0, 0.99});
            assertEquals(1, p.candidate());
            assertEquals(1.0, p.propensity(), 0.0);
            long before = b.stats().decisions();
            // bad input: EINVAL / NPE, the bandit unchanged
            assertCode(Status.EINVAL, () -> b.selectCsr(indptr, new int[] {1, 2, 1, 256}, null)); // slot >= 2^bits
            assertCode(Status.EINVAL, () -> b.selectCsr(indptr, idx, new float[] {1, 1, Float.NaN, 1}));
            assertCode(Status.EINVAL, () -> b.selectCsr(indptr, idx, new float[] {1, 1}));
            assertCode(Status.EINVAL, () -> b.selectCsr(new long[] {0, 2, 5}, idx, null)); // past indices
            assertCode(Status.EINVAL, () -> b.selectCsr(new long[] {-1, 2, 4}, idx, null));
            assertCode(Status.EINVAL, () -> b.selectCsr(new long[] {0, 3, 2}, idx, null)); // decreasing
            assertCode(Status.EINVAL, () -> b.selectCsr(new long[] {0, 5}, new int[] {1, 2, 3, 4, 5}, null)); // > nnz
            assertCode(Status.EINVAL, () -> b.selectCsr(indptr, idx, null, new long[] {1}, null));
            assertCode(Status.EINVAL, () -> b.selectCsr(indptr, idx, null, new long[] {1, 2}, new double[] {0, 1.5}));
            assertCode(Status.EINVAL, () -> b.selectCsr(indptr, idx, null, null, new double[] {0.5, 0.5}));
            assertCode(Status.ENOTFOUND, () -> b.selectCsr(new long[] {0}, new int[0], null));
            assertCode(Status.EINVAL, () -> b.selectCsr(new long[0], idx, null));
            assertCode(Status.EINVAL, () -> b.weights(new int[] {256}));
            assertCode(Status.EINVAL, () -> b.select(new int[][] {{1}}, new float[][] {{1, 2}}, null, null));
            assertThrows(NullPointerException.class, () -> b.selectCsr(null, idx, null));
            assertThrows(NullPointerException.class, () -> b.weights(null));
            assertThrows(NullPointerException.class, () -> b.select(null, null, null, null));
            assertEquals(before, b.stats().decisions());
        }
        try (Bandit t = new Bandit("thompson", ARMS, 0)) {
            assertCode(Status.ESTATE, () -> t.selectCsr(new long[] {0, 1}, new int[] {1}, null));
            assertCode(Status.ESTATE, () -> t.weights(new int[] {1}));
        }
    }

    @Test
    void opeEstimatorsWithLambdaAndBootstrapInterval() {
        int[] act = {0, 1, 1, 0, 1, 0};
        double[] r = {0, 1, 0, 1, 1, 0};
        double[] prop = {0.5, 0.25, 0.5, 0.75, 0.5, 0.5};
        double[] target = {0.2, 0.8, 0.1, 0.9, 0.5, 0.5, 0.6, 0.4, 0.3, 0.7, 1, 0};
        double[] q = {0.3, 0.6, 0.2, 0.5, 0.4, 0.4, 0.7, 0.1, 0.2, 0.9, 0.5, 0.5};
        double dr = Bandit.ope("dr", 2, act, r, prop, target, q).value();
        double dm = Bandit.ope("dm", 2, act, r, null, target, q).value();
        double dmRef = 0;
        for (int i = 0; i < 6; i++) dmRef += (target[2 * i] * q[2 * i] + target[2 * i + 1] * q[2 * i + 1]) / 6;
        assertEquals(dmRef, dm, 1e-12);
        assertEquals(dr, Bandit.ope("switch_dr", Double.POSITIVE_INFINITY, 2, act, r, prop, target, q).value(), 1e-12);
        assertEquals(dm, Bandit.ope("dros", 0, 2, act, r, prop, target, q).value(), 1e-12);
        // IPS clipped at 1: mean of min(pi/p, 1) r
        double clip = 0;
        for (int i = 0; i < 6; i++) clip += Math.min(target[2 * i + act[i]] / prop[i], 1) * r[i] / 6;
        assertEquals(clip, Bandit.ope("ips", 1.0, 2, act, r, prop, target, null).value(), 1e-12);
        Bandit.Interval iv = Bandit.opeInterval("estimator=dr resamples=200 seed=3", 2, act, r, prop, target, q);
        assertEquals(dr, iv.value(), 1e-12);
        assertTrue(iv.lower() <= iv.upper(), iv.toString());
        Bandit.Interval again = Bandit.opeInterval("estimator=dr resamples=200 seed=3", 2, act, r, prop, target, q);
        assertEquals(iv.lower(), again.lower(), 0.0);
        assertEquals(iv.upper(), again.upper(), 0.0);
        assertCode(Status.EINVAL, () -> Bandit.ope("dm", 2, act, r, null, target, null)); // no qHat
        assertCode(Status.EINVAL, () -> Bandit.ope("ips", -1.0, 2, act, r, prop, target, null));
        assertCode(Status.EINVAL, () -> Bandit.ope("ips", Double.NaN, 2, act, r, prop, target, null));
        assertCode(Status.EINVAL, () -> Bandit.ope("ips", 2, act, r, null, target, null)); // no propensities
        assertCode(Status.EINVAL, () -> Bandit.opeInterval("estimator=dr confidence=1", 2, act, r, prop, target, q));
        assertCode(Status.EINVAL, () -> Bandit.opeInterval("estimator=dr", 2, act, r, new double[2], target, q));
        assertThrows(NullPointerException.class, () -> Bandit.opeInterval("estimator=dr", 2, null, r, prop, target, q));
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
