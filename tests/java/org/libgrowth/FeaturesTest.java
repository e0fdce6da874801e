package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FeaturesTest {
    /** The documented derivation: slot = high bits of hash64(value, hash64(field, seed)). */
    private static int reference(String field, String value, long seed, int bits) {
        long fh = Growth.hash64(field.getBytes(StandardCharsets.UTF_8), seed);
        long h = Growth.hash64(value.getBytes(StandardCharsets.UTF_8), fh);
        return (int) (h >>> (64 - bits));
    }

    @Test
    void hashEqualsTheRowIndexForTheSamePair() {
        try (Row row = new Row("bits=24 seed=0")) {
            row.addCat("user_city", "hangzhou");
            assertEquals(1, row.size());
            assertEquals(Features.hash("user_city", "hangzhou", 0, 24), row.indices()[0]);
            assertArrayEquals(new float[] {1f}, row.values());
        }
        try (Row row = new Row("bits=20 seed=7")) {
            row.addCat("item_cat", "shoes");
            assertEquals(Features.hash("item_cat", "shoes", 7, 20), row.indices()[0]);
        }
    }

    @Test
    void rowKeysAreTheFullHashesWhoseTopBitsAreTheSlots() {
        try (Row row = new Row("bits=12 seed=3")) {
            row.addCat("城市", "杭州").addCat("user_city", "hangzhou").addIndex(77, 1f);
            long[] keys = row.keys();
            int[] slots = row.indices();
            assertEquals(3, keys.length);
            for (int i = 0; i < 2; i++) assertEquals(slots[i], (int) (keys[i] >>> 52));
            long fh = Growth.hash64("城市".getBytes(StandardCharsets.UTF_8), 3);
            assertEquals(Growth.hash64("杭州".getBytes(StandardCharsets.UTF_8), fh), keys[0]);
            assertEquals(77L, keys[2]);
        }
    }

    @Test
    void hashFollowsTheDocumentedDerivationOnUtf8() {
        // non-ASCII, including a supplementary character (where JNI's modified UTF-8 differs)
        String[][] pairs = {{"user_city", "hangzhou"}, {"城市", "杭州"}, {"emoji", "\uD83D\uDE00"},
                            {"", ""}};
        for (String[] p : pairs) {
            for (int bits : new int[] {1, 18, 24, 32}) {
                int got = Features.hash(p[0], p[1], 0, bits);
                assertEquals(reference(p[0], p[1], 0, bits), got, p[0] + "=" + p[1] + " bits=" + bits);
                if (bits < 32) assertTrue(Integer.toUnsignedLong(got) < (1L << bits));
            }
        }
        try (Row row = new Row("bits=24")) {
            row.addCat("emoji", "\uD83D\uDE00");
            assertEquals(reference("emoji", "\uD83D\uDE00", 0, 24), row.indices()[0]);
        }
        assertNotEquals(Features.hash("a", "b", 0, 32), Features.hash("a", "c", 0, 32));
    }

    @Test
    void rowBuildsNumericsCrossesAndIndices() {
        String[] fields = {"user_city", "item_cat"};
        String[] values = {"hangzhou", "shoes"};
        try (Row row = new Row("bits=24 seed=0")) {
            row.addCat("user_city", "hangzhou").addNum("price_log", 3.25f).addCross(fields, values)
               .addIndex(12345, 0.5f);
            assertEquals(4, row.size());
            int[] idx = row.indices();
            float[] val = row.values();
            assertEquals(Features.hash("user_city", "hangzhou", 0, 24), idx[0]);
            assertEquals(3.25f, val[1]);
            assertEquals(Features.hashCross(fields, values, 0, 24), idx[2]);
            assertEquals(1f, val[2]);
            assertEquals(12345, idx[3]);
            assertEquals(0.5f, val[3]);
            // a cross is ordered
            assertNotEquals(Features.hashCross(new String[] {"item_cat", "user_city"},
                                               new String[] {"shoes", "hangzhou"}, 0, 24), idx[2]);
            assertTrue(row.config().contains("bits=24"), row.config());

            row.clear();
            assertEquals(0, row.size());
            assertEquals(0, row.indices().length);
            assertEquals(0, row.values().length);
        }
    }

    @Test
    void dedupMergesEqualSlots() {
        try (Row row = new Row("bits=16 dedup=true")) {
            row.addCat("a", "x").addCat("a", "x").addNum("n", 2f);
            assertEquals(2, row.size());
            assertEquals(row.size(), row.indices().length);
            float sum = 0;
            for (float v : row.values()) sum += v;
            assertEquals(4f, sum, 1e-6f);
        }
    }

    @Test
    void badInputThrows() {
        GrowthException e = assertThrows(GrowthException.class, () -> Features.hash("a", "b", 0, 0));
        assertEquals(Status.EINVAL, e.code());
        e = assertThrows(GrowthException.class, () -> Features.hash("a", "b", 0, 33));
        assertEquals(Status.EINVAL, e.code());
        e = assertThrows(GrowthException.class,
            () -> Features.hashCross(new String[] {"a"}, new String[] {"b"}, 0, 24));
        assertEquals(Status.EINVAL, e.code());
        e = assertThrows(GrowthException.class,
            () -> Features.hashCross(new String[] {"a", "b"}, new String[] {"c"}, 0, 24));
        assertEquals(Status.EINVAL, e.code());
        assertThrows(NullPointerException.class, () -> Features.hash(null, "b", 0, 24));

        e = assertThrows(GrowthException.class, () -> new Row("bits=24 no_such_key=1"));
        assertEquals(Status.EINVAL, e.code());
        assertTrue(e.getMessage().contains("no_such_key"), e.getMessage());
        try (Row row = new Row("bits=8")) {
            e = assertThrows(GrowthException.class, () -> row.addNum("x", Float.NaN));
            assertEquals(Status.EINVAL, e.code());
            e = assertThrows(GrowthException.class, () -> row.addIndex(256, 1f));
            assertEquals(Status.EINVAL, e.code());
            assertThrows(IllegalArgumentException.class, () -> row.addCat("a\0", "b"));
            assertEquals(0, row.size(), "failed calls leave the row as it was");
        }
    }

    @Test
    void rowFieldsRecordFieldIdsAndKeepTheSlots() {
        // The pinned case shared with tests/c/test_features.c and tests/python/test_features.py.
        String[] cf = {"user", "item"}, cv = {"u42", "shoes"};
        try (Row r = new Row("bits=20 seed=3").setFields("user", "item", "price");
             Row plain = new Row("bits=20 seed=3")) {
            assertNull(plain.fields(), "no field list: no field ids");
            assertEquals(0, r.fields().length);
            assertEquals(1, r.fieldIndex("item"));
            assertEquals(2, r.fieldIndex("price"));
            r.addCat("item", "shoes").addNum("price", 2.0f).addCat("user", "u42");
            plain.addCat("item", "shoes").addNum("price", 2.0f).addCat("user", "u42");
            assertArrayEquals(new byte[] {1, 2, 0}, r.fields());
            assertArrayEquals(plain.indices(), r.indices(), "the same slots as a row without fields");
            assertArrayEquals(plain.values(), r.values());
            assertEquals(Features.hash("item", "shoes", 3, 20), r.indices()[0]);
            r.addCross(cf, cv).addFieldIndex(2, 77, 0.5f);
            plain.addCross(cf, cv).addIndex(77, 0.5f);
            assertArrayEquals(new byte[] {1, 2, 0, 0, 2}, r.fields(), "a cross is in its first field");
            assertArrayEquals(plain.indices(), r.indices());
            assertArrayEquals(plain.values(), r.values());
            assertEquals(5, r.fields().length);
            r.clear();
            assertEquals(0, r.fields().length, "clear keeps the field list");
            assertEquals(0, r.fieldIndex("user"));
        }
    }

    @Test
    void fieldIdsAreUnsignedBytesUpTo255() {
        String[] names = new String[256];
        for (int i = 0; i < names.length; i++) names[i] = "f" + i;
        try (Row r = new Row("bits=16").setFields(names)) {
            for (String n : names) r.addCat(n, "v");
            byte[] f = r.fields();
            assertEquals(256, f.length);
            for (int i = 0; i < 256; i++) assertEquals(i, Byte.toUnsignedInt(f[i]));
            assertEquals(255, r.fieldIndex("f255"));
            r.addFieldIndex(255, 3, 1f);
            assertEquals(255, Byte.toUnsignedInt(r.fields()[256]));
            // no names removes the list
            r.setFields();
            assertNull(r.fields());
            assertEquals(0, r.size());
            r.addCat("anything", "v").addIndex(5, 1f);
            assertEquals(2, r.size());
            assertThrows(NotFoundException.class, () -> r.fieldIndex("f0"));
        }
    }

    @Test
    void dedupMergesEqualSlotsInTheSameFieldOnly() {
        try (Row r = new Row("bits=20 seed=3 dedup=true").setFields("user", "item")) {
            r.addCat("item", "shoes").addCat("item", "shoes");
            int slot = r.indices()[0];
            r.addFieldIndex(0, slot, 1f); // same slot, other field: kept apart
            assertEquals(2, r.size());
            assertArrayEquals(new byte[] {1, 0}, r.fields());
            assertArrayEquals(new float[] {2f, 1f}, r.values());
        }
    }

    @Test
    void badFieldInputThrowsAndLeavesTheRowUnchanged() {
        try (Row r = new Row("bits=20 seed=3").setFields("user", "item", "price");
             Row plain = new Row("bits=20")) {
            r.addCat("item", "shoes").addNum("price", 2f);
            int[] idx = r.indices();
            float[] val = r.values();
            byte[] fld = r.fields();
            Runnable unchanged = () -> {
                assertArrayEquals(idx, r.indices());
                assertArrayEquals(val, r.values());
                assertArrayEquals(fld, r.fields());
                assertEquals(1, r.fieldIndex("item"));
            };
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> r.addCat("city", "x"));
            assertEquals(Status.EINVAL, e.code());
            assertTrue(e.getMessage().contains("'city'"), e.getMessage());
            unchanged.run();
            assertThrows(InvalidArgumentException.class, () -> r.addNum("city", 1f));
            assertThrows(InvalidArgumentException.class,
                () -> r.addCross(new String[] {"city", "item"}, new String[] {"x", "shoes"}));
            assertThrows(InvalidArgumentException.class, () -> r.addIndex(5, 1f),
                "a row with fields needs addFieldIndex");
            assertThrows(InvalidArgumentException.class, () -> r.addFieldIndex(3, 5, 1f));
            assertThrows(InvalidArgumentException.class, () -> r.addFieldIndex(-1, 5, 1f));
            assertThrows(InvalidArgumentException.class, () -> r.addFieldIndex(0, 1 << 20, 1f));
            assertThrows(InvalidArgumentException.class, () -> r.addFieldIndex(0, 5, Float.NaN));
            assertThrows(InvalidArgumentException.class, () -> plain.addFieldIndex(0, 5, 1f),
                "a row without fields has no field 0");
            unchanged.run();
            NotFoundException nf = assertThrows(NotFoundException.class, () -> r.fieldIndex("city"));
            assertEquals(Status.ENOTFOUND, nf.code());
            assertTrue(nf.getMessage().contains("city"), nf.getMessage());
            assertThrows(NotFoundException.class, () -> plain.fieldIndex("user"));
            // bad lists are refused whole
            e = assertThrows(InvalidArgumentException.class, () -> r.setFields("a", "b", "a"));
            assertTrue(e.getMessage().contains("twice"), e.getMessage());
            unchanged.run();
            String[] many = new String[257];
            for (int i = 0; i < many.length; i++) many[i] = "f" + i;
            e = assertThrows(InvalidArgumentException.class, () -> r.setFields(many));
            assertTrue(e.getMessage().contains("257"), e.getMessage());
            unchanged.run();
            assertThrows(InvalidArgumentException.class, () -> r.setFields("a", ""));
            assertThrows(NullPointerException.class, () -> r.setFields("a", null));
            assertThrows(NullPointerException.class, () -> r.setFields((String[]) null));
            assertThrows(IllegalArgumentException.class, () -> r.setFields("a\0b"));
            assertThrows(NullPointerException.class, () -> r.fieldIndex(null));
            unchanged.run();
        }
    }

    @Test
    void closeIsIdempotentAndAClosedRowThrows() {
        Row row = new Row();
        row.addCat("a", "b");
        row.close();
        assertTrue(row.isClosed());
        assertDoesNotThrow(row::close);
        assertThrows(IllegalStateException.class, row::size);
        assertThrows(IllegalStateException.class, () -> row.addCat("a", "b"));
    }
}
