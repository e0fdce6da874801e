package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ftrl with table=exact from Java: the typed options, rows of 64-bit keys against a dictionary
 * FTRL written here (McMahan et al. 2013, Algorithm 1, with admission after N occurrences), the
 * exact table's stats, save/load, bad input.
 */
class FtrlExactTest {
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = TestUtil.tmpDir();
    }

    @AfterEach
    void tearDown() throws IOException {
        TestUtil.deleteTree(dir);
    }

    /** The reference: per-key z and sqrt(n) in a HashMap, admission counted exactly. */
    static final class DictFtrl {
        final double a, b, l1, l2;
        final int admit;
        final Map<Long, double[]> rec = new HashMap<>();
        final Map<Long, Integer> count = new HashMap<>();
        double bz, bs;

        DictFtrl(double a, double b, double l1, double l2, int admit) {
            this.a = a;
            this.b = b;
            this.l1 = l1;
            this.l2 = l2;
            this.admit = admit;
        }

        double w(double z, double s) {
            if (Math.abs(z) <= l1) return 0.0;
            return (Math.copySign(l1, z) - z) / ((b + s) / a + l2);
        }

        double w(long k) {
            double[] r = rec.get(k);
            return r == null ? 0.0 : w(r[0], r[1]);
        }

        double margin(long[] keys) {
            double m = w(bz, bs);
            for (long k : keys) m += w(k);
            return m;
        }

        double update(long[] keys, double y) {
            for (long k : keys) {
                if (rec.containsKey(k)) continue;
                int c = count.merge(k, 1, Integer::sum);
                if (c >= admit) rec.put(k, new double[2]);
            }
            double m = margin(keys);
            double g = 1.0 / (1.0 + Math.exp(-m)) - y;
            double bw = w(bz, bs);
            double s2 = Math.sqrt(bs * bs + g * g);
            bz += g - (s2 - bs) / a * bw;
            bs = s2;
            double[] ws = new double[keys.length];
            for (int i = 0; i < keys.length; i++) ws[i] = w(keys[i]);
            for (int i = 0; i < keys.length; i++) {
                double[] r = rec.get(keys[i]);
                if (r == null) continue;
                double t = Math.sqrt(r[1] * r[1] + g * g);
                r[0] += g - (t - r[1]) / a * ws[i];
                r[1] = t;
            }
            return m;
        }
    }

    private static long key(String s) {
        return Growth.hash64(s.getBytes(StandardCharsets.UTF_8), 0);
    }

    @Test
    void typedOptionsAreTheConfigurationString() {
        Ftrl.Options o = Ftrl.options().alpha(0.1).l1(0.5).table("exact").admit(3).admitProb(0.5)
                .admitSketch(1 << 20).expire(1000).expireSeconds(3600).maxMemory(64L << 20).bias(true).seed(7);
        assertEquals("alpha=0.1 l1=0.5 table=exact admit=3 admit_prob=0.5 admit_sketch=1048576 expire=1000 "
                + "expire_seconds=3600 max_memory=67108864 bias=true seed=7", o.toString());
        try (Ftrl m = new Ftrl(o)) {
            String c = m.config();
            for (String kv : new String[] {"table=exact", "admit=3", "admit_prob=0.5", "admit_sketch=1048576",
                                           "expire=1000", "expire_seconds=3600", "max_memory=67108864"})
                assertTrue(c.contains(kv), c + " lacks " + kv);
        }
        GrowthException e = assertThrows(GrowthException.class, () -> new Ftrl(Ftrl.options().admit(3)));
        assertEquals(Status.EINVAL, e.code());
        assertTrue(e.getMessage().contains("admit"), e.getMessage());
        assertThrows(GrowthException.class, () -> new Ftrl(Ftrl.options().table("exact").admitProb(1.5)));
        assertThrows(NullPointerException.class, () -> new Ftrl((Ftrl.Options) null));
        assertThrows(IllegalArgumentException.class, () -> Ftrl.options().set("a b", "1"));
    }

    @Test
    void keysMatchADictionaryFtrlWithAdmission() {
        for (int admit : new int[] {1, 3}) {
            DictFtrl ref = new DictFtrl(0.1, 1, 0.5, 1, admit);
            Random rng = new Random(11);
            try (Ftrl m = new Ftrl(Ftrl.options().alpha(0.1).beta(1).l1(0.5).l2(1).table("exact").admit(admit)
                    .admitSketch(1 << 20))) {
                long[][] rows = new long[1500][];
                for (int r = 0; r < rows.length; r++) {
                    long[] keys = new long[6];
                    double logit = -0.3;
                    for (int j = 0; j < 6; j++) {
                        double u = rng.nextDouble();
                        int v = (int) (u * u * 300);
                        keys[j] = key("f" + j + "=" + v);
                        logit += ((v * 31 + j * 7) % 13 - 6) / 6.0;
                    }
                    rows[r] = keys;
                    float y = rng.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1f : 0f;
                    float p = m.predictUpdateKeys(keys, null, new float[] {y}, 1f)[0];
                    double want = 1 / (1 + Math.exp(-ref.update(keys, y)));
                    assertEquals(want, p, 2e-4, "row " + r + " admit=" + admit);
                }
                for (int r = 0; r < 200; r++) {
                    assertEquals(ref.margin(rows[r]), m.marginKeys(rows[r], null)[0], 2e-4);
                    assertEquals(1 / (1 + Math.exp(-ref.margin(rows[r]))), m.predictKeys(rows[r], null)[0], 2e-4);
                    assertEquals(ref.w(rows[r][0]), m.weightKey(0, rows[r][0]), 2e-4);
                }
                Ftrl.Stats st = m.stats();
                assertEquals(ref.rec.size(), st.live());
                assertEquals(ref.rec.size(), st.admitted());
                assertEquals(0, st.evicted());
                assertEquals(0, st.expired());
                assertEquals(1500, st.examples());
                assertTrue(st.tableBytes() > 0);
            }
        }
    }

    @Test
    void expiryCapSaveLoadAndUpdateKeys() {
        Path file = dir.resolve("exact.growth");
        try (Ftrl m = new Ftrl(Ftrl.options().table("exact").expire(100).l1(0))) {
            long old = key("old");
            m.updateKeys(new long[] {old}, null, new float[] {1}, 1f);
            assertTrue(m.weightKey(0, old) != 0f);
            for (int i = 0; i < 300; i++) m.updateKeys(new long[] {key("k" + (i % 10))}, null, new float[] {i % 2}, 1f);
            assertEquals(0f, m.weightKey(0, old)); // not updated by the last 100 examples: expired
            Ftrl.Stats st = m.stats();
            assertTrue(st.expired() >= 1, st.toString());
            assertEquals(10, st.live(), st.toString());
            m.save(file.toString());
            try (Ftrl back = Ftrl.load(file.toString())) {
                long[] row = {key("k3"), key("k4"), key("never")};
                assertEquals(m.predictKeys(row, null)[0], back.predictKeys(row, null)[0]);
                assertEquals(10, back.stats().live());
            }
        }
        // a memory cap: the table stays under it while one-off keys stream through
        long cap = 4L << 20;
        try (Ftrl m = new Ftrl(Ftrl.options().table("exact").maxMemory(cap))) {
            for (int i = 0; i < 200_000; i++) m.updateKeys(new long[] {key("id" + i)}, null, new float[] {i % 2}, 1f);
            Ftrl.Stats st = m.stats();
            assertTrue(st.tableBytes() <= cap && st.evicted() > 0, st.toString());
            assertEquals(st.admitted() - st.evicted(), st.live(), st.toString());
        }
    }

    @Test
    void badInput() {
        try (Ftrl m = new Ftrl("table=exact")) {
            assertThrows(NullPointerException.class, () -> m.predictKeys(null, null));
            assertThrows(NullPointerException.class, () -> m.updateKeys(null, null, new float[] {1}, 1f));
            GrowthException e = assertThrows(GrowthException.class,
                    () -> m.predictKeys(new long[] {1, 2}, new float[] {1}));
            assertEquals(Status.EINVAL, e.code());
            assertThrows(GrowthException.class, () -> m.updateKeys(new long[] {1}, null, new float[] {1, 0}, 1f));
            assertThrows(GrowthException.class, () -> m.updateKeys(new long[] {1}, null, new float[] {0.5f}, 1f));
            assertThrows(GrowthException.class, () -> m.updateKeys(new long[] {1}, new float[] {Float.NaN},
                    new float[] {1}, 1f));
            assertThrows(GrowthException.class, () -> m.weightKey(1, 5));
            assertThrows(GrowthException.class, () -> m.weightKey(-1, 5));
            assertEquals(0, m.stats().examples()); // nothing was trained by the refused calls
        }
    }
}
