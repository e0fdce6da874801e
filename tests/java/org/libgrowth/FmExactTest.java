package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * FM/FFM with table=exact from Java: the key calls (predictKeys, marginKeys, updateKeys,
 * predictUpdateKeys, weightKey, factorsKey) against a hashed model with unseen=zero and no
 * collisions (keys below 2^bits are its slots: bit for bit equal, docs/exact-tables.md), two keys
 * a hashed model would collide kept apart, admission, the table stats, a round trip that
 * continues admission exactly, bad input.
 */
class FmExactTest {
    private static final int NNZ = 3;

    /** Row i of a stream: NNZ keys (field j's ids in [j * 300, j * 300 + 300)), values, a label. */
    private static void row(Random r, long[] keys, int[] idx, byte[] fld, float[] val, float[] y) {
        double logit = -0.3;
        for (int j = 0; j < NNZ; j++) {
            double u = r.nextDouble();
            int id = j * 300 + (int) (u * u * 300);
            keys[j] = id;
            idx[j] = id;
            fld[j] = (byte) j;
            val[j] = 0.5f + r.nextFloat();
            logit += ((id * 2654435761L) >>> 28 & 15) / 8.0 - 1.0;
        }
        y[0] = r.nextDouble() < 1.0 / (1.0 + Math.exp(-logit)) ? 1.0f : 0.0f;
    }

    private static void checkEqualsHashed(String hashedCfg, String exactCfg, boolean ffm) {
        try (FactorizationMachine h = ffm ? new FFM(hashedCfg + " unseen=zero") : new FM(hashedCfg + " unseen=zero");
                FactorizationMachine x = ffm ? new FFM(exactCfg) : new FM(exactCfg)) {
            Random r = new Random(11);
            long[] keys = new long[NNZ];
            int[] idx = new int[NNZ];
            byte[] fld = new byte[NNZ];
            float[] val = new float[NNZ], y = new float[1];
            for (int i = 0; i < 2000; i++) {
                row(r, keys, idx, fld, val, y);
                float[] ph = h.predictUpdate(idx, fld, val, y, 1.0f);
                float[] px = x.predictUpdateKeys(keys, fld, val, y, 1.0f);
                assertArrayEquals(ph, px, 0.0f, "progressive prediction of row " + i);
            }
            for (int i = 0; i < 200; i++) {
                row(r, keys, idx, fld, val, y);
                assertArrayEquals(h.predict(idx, fld, val), x.predictKeys(keys, fld, val), 0.0f);
                assertArrayEquals(h.margin(idx, fld, val), x.marginKeys(keys, fld, val), 0.0f);
                assertEquals(h.weight(0, idx[1]), x.weightKey(0, keys[1]), 0.0f);
                assertArrayEquals(h.factors(idx[0], 0), x.factorsKey(keys[0], 0), 0.0f);
            }
            FactorizationMachine.Stats sx = x.stats();
            assertEquals(h.stats().examples(), sx.examples());
            assertEquals(h.stats().touched(), sx.touched());
            assertEquals(sx.live(), sx.admitted());
            assertEquals(0, sx.evicted());
            assertEquals(0, sx.expired());
            assertTrue(sx.tableBytes() > 0);
        }
    }

    @Test
    void keysEqualHashedWithoutCollisions() {
        checkEqualsHashed("fields=3 k=4 bits=12", "fields=3 k=4 bits=12 table=exact", true);
        checkEqualsHashed("model=fm k=4 bits=12", "model=fm k=4 bits=12 table=exact", false);
    }

    @Test
    void collidingKeysStayApart() {
        // two keys with the same low 10 bits: a hashed model at bits=10 has one slot for both
        long a = 0x1234_5678_0000_0155L, b = 0x7654_3210_0000_0155L;
        float[] one = {1.0f}, zero = {0.0f};
        try (FM x = new FM("k=4 bits=10 table=exact"); FM h = new FM("k=4 bits=10")) {
            for (int i = 0; i < 300; i++) {
                x.updateKeys(new long[] {a}, null, null, one, 1.0f);
                x.updateKeys(new long[] {b}, null, null, zero, 1.0f);
                h.updateKeys(new long[] {a}, null, null, one, 1.0f);
                h.updateKeys(new long[] {b}, null, null, zero, 1.0f);
            }
            assertEquals(2, x.stats().live());
            assertTrue(x.predictKeys(new long[] {a}, null, null)[0] > 0.7f);
            assertTrue(x.predictKeys(new long[] {b}, null, null)[0] < 0.3f);
            assertArrayEquals(h.predictKeys(new long[] {a}, null, null), h.predictKeys(new long[] {b}, null, null),
                    0.0f);
            assertNotEquals(x.weightKey(0, a), x.weightKey(0, b));
        }
    }

    @Test
    void admissionAndRoundTripContinueExactly() {
        String cfg = "fields=3 k=4 bits=12 table=exact admit=3 admit_sketch=65536";
        long key = 0x0fed_cba9_8765_4321L;
        byte[] f0 = {0};
        float[] one = {1.0f};
        try (FFM a = new FFM(cfg)) {
            a.updateKeys(new long[] {key}, f0, null, one, 1.0f);
            a.updateKeys(new long[] {key}, f0, null, one, 1.0f);
            assertEquals(0, a.stats().live()); // seen twice: no record yet
            assertArrayEquals(new float[4], a.factorsKey(key, 0), 0.0f);
            // the admission sketch travels with the model: the third occurrence admits it
            try (FFM b = FFM.deserialize(a.serialize())) {
                b.updateKeys(new long[] {key}, f0, null, one, 1.0f);
                assertEquals(1, b.stats().live());
                assertEquals(1, b.stats().admitted());
                a.updateKeys(new long[] {key}, f0, null, one, 1.0f);
                assertEquals(1, a.stats().live());
                assertEquals(a.weightKey(0, key), b.weightKey(0, key), 0.0f);
                assertArrayEquals(a.factorsKey(key, 1), b.factorsKey(key, 1), 0.0f);
            }
        }
    }

    @Test
    void badInput() {
        try (FFM x = new FFM("fields=3 k=4 bits=10 table=exact")) {
            float[] y = {1.0f};
            assertThrows(NullPointerException.class, () -> x.predictKeys(null, new byte[0], null));
            assertThrows(NullPointerException.class, () -> x.updateKeys(null, null, null, y, 1.0f));
            assertThrows(NullPointerException.class, () -> x.updateKeys(new long[] {1}, new byte[] {0}, null, null,
                    1.0f));
            assertThrows(InvalidArgumentException.class, () -> x.predictKeys(new long[] {1, 2}, new byte[] {0},
                    null));
            assertThrows(InvalidArgumentException.class, () -> x.updateKeys(new long[] {1}, new byte[] {0},
                    new float[] {1, 2}, y, 1.0f));
            assertThrows(InvalidArgumentException.class, () -> x.updateKeys(new long[] {1}, null, null, y, 1.0f));
            assertThrows(InvalidArgumentException.class, () -> x.updateKeys(new long[] {1}, new byte[] {7}, null, y,
                    1.0f));
            assertThrows(InvalidArgumentException.class, () -> x.updateKeys(new long[] {1}, new byte[] {0}, null,
                    new float[] {0.5f}, 1.0f));
            assertThrows(InvalidArgumentException.class, () -> x.updateKeys(new long[] {1}, new byte[] {0}, null,
                    new float[] {1, 0}, 1.0f));
            assertThrows(InvalidArgumentException.class, () -> x.updateKeys(new long[] {1}, new byte[] {0},
                    new float[] {Float.NaN}, y, 1.0f));
            assertThrows(InvalidArgumentException.class, () -> x.predictUpdateKeys(new long[] {1}, new byte[] {0},
                    null, y, -1.0f));
            assertThrows(InvalidArgumentException.class, () -> x.weightKey(1, 5));
            assertThrows(InvalidArgumentException.class, () -> x.weightKey(-1, 5));
            assertThrows(InvalidArgumentException.class, () -> x.factorsKey(5, 3));
            assertThrows(InvalidArgumentException.class, () -> x.factorsKey(5, -1));
            assertEquals(0, x.stats().examples()); // nothing trained by a refused call
            assertNull(null);
        }
    }
}
