package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class TextIndexTest {
    private static final long[] IDS = {1, 2, 3, 4, 5};
    private static final String[] TEXTS = {
        "red summer dress",
        "blue running shoes",
        "summer beach hat",
        "Red red SHOES for running in the rain",
        "红色 连衣裙 夏季",
    };

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

    private static void assertDescending(float[] s) {
        for (int i = 1; i < s.length; i++) assertTrue(s[i - 1] >= s[i], "scores not descending");
    }

    @Test
    void bm25TopDocumentAndDescendingScores() {
        try (TextIndex ix = new TextIndex("k1=1.2 b=0.75")) {
            ix.add(IDS, TEXTS);
            assertEquals(5, ix.size());
            assertTrue(ix.config().contains("k1=1.2"), ix.config());
            SearchResult r = ix.search("summer dress", 10);
            assertEquals(2, r.found());                  // only documents sharing a term
            assertArrayEquals(new long[] {1, 3}, r.ids());
            assertDescending(r.scores());
            assertTrue(r.scores()[0] > 0f);
            assertArrayEquals(r.scores(), ix.score("summer dress", r.ids()), 1e-6f);

            SearchResult s = ix.search("RUNNING shoes", 10);   // lower-cased words
            assertEquals(2, s.ids()[0]);                 // the shorter of the two matches
            assertEquals(2, s.found());
            assertDescending(s.scores());
            assertEquals(1, ix.search("running shoes", 1).found());

            assertEquals(5, ix.search("连衣裙", 3).ids()[0]);
            assertEquals(0, ix.search("nothing matches", 3).found());

            // Hand-computed BM25 of a single term held by one document ("hat", doc 3, |D| = 3).
            double n = 5, df = 1, avgdl = (3 + 3 + 3 + 8 + 4) / 5.0;   // 红色 连衣 衣裙 夏季
            double idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
            double want = idf * 1 * 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * 3 / avgdl));
            SearchResult h = ix.search("hat", 5);
            assertEquals(3, h.ids()[0]);
            assertEquals(want, h.scores()[0], 1e-5);
        }
    }

    @Test
    void deleteCompactAndCounts() {
        try (TextIndex ix = new TextIndex()) {
            ix.add(IDS, TEXTS);
            long[] c = ix.count();
            assertEquals(5, c[0]);
            assertTrue(c[1] > 0 && c[2] > 0);
            assertEquals(1, ix.delete(new long[] {1}));
            assertEquals(4, ix.size());
            assertArrayEquals(new long[] {3}, ix.search("summer dress", 5).ids());
            assertEquals(0, ix.delete(new long[] {1}));     // absent ids are skipped
            assertEquals(1, ix.delete(new long[] {2, 42, 2})); // 42 absent, 2 listed twice
            assertEquals(3, ix.size());
            ix.add(new long[] {2}, new String[] {TEXTS[1]});
            ix.compact();
            assertTrue(ix.count()[2] < c[2]);
            ix.add(new long[] {1}, new String[] {"green dress"});   // a deleted id again
            assertEquals(1, ix.search("dress", 5).ids()[0]);
            ix.set("k1=2 b=0.5");
            assertTrue(ix.config().contains("b=0.5"), ix.config());
        }
    }

    @Test
    void badInput() {
        assertCode(Status.EINVAL, () -> new TextIndex("k1=-1"));
        assertCode(Status.EINVAL, () -> new TextIndex("ngram=9"));
        assertCode(Status.EINVAL, () -> new TextIndex("no_such_key=1"));
        try (TextIndex ix = new TextIndex()) {
            ix.add(IDS, TEXTS);
            assertCode(Status.EINVAL, () -> ix.search("", 5));          // no token
            assertCode(Status.EINVAL, () -> ix.search("  ,.!  ", 5));   // separators only
            assertCode(Status.EINVAL, () -> ix.search("dress", 0));     // k = 0
            assertCode(Status.EINVAL, () -> ix.search("dress", -1));
            assertCode(Status.EINVAL, () -> ix.add(new long[] {1}, new String[] {"again"}));
            assertCode(Status.EINVAL,
                    () -> ix.add(new long[] {8, 8}, new String[] {"a", "b"}));
            assertCode(Status.EINVAL, () -> ix.add(new long[] {-1}, new String[] {"a"}));
            assertCode(Status.EINVAL, () -> ix.add(new long[] {9, 10}, new String[] {"a"}));
            assertCode(Status.EINVAL, () -> ix.set("ngram=3"));
            assertCode(Status.ENOTFOUND, () -> ix.score("dress", new long[] {77}));
            assertThrows(NullPointerException.class, () -> ix.search(null, 1));
            assertThrows(NullPointerException.class,
                    () -> ix.add(new long[] {9}, new String[] {null}));
            assertThrows(NullPointerException.class, () -> ix.add(null, new String[] {"a"}));
            assertThrows(IllegalArgumentException.class, () -> ix.search("a\0b", 1));
            assertEquals(5, ix.size());                  // failed calls change nothing
        }
    }

    @Test
    void saveLoadSerializeAndWrongKind() {
        String path = dir.resolve("items.tix").toString();
        try (TextIndex ix = new TextIndex("k1=1.5 b=0.6 ngram=3")) {
            ix.add(IDS, TEXTS);
            ix.delete(new long[] {4});
            SearchResult want = ix.search("red shoes summer", 5);
            ix.save(path);
            byte[] buf = ix.serialize();
            try (TextIndex a = TextIndex.load(path); TextIndex b = TextIndex.deserialize(buf)) {
                for (TextIndex c : new TextIndex[] {a, b}) {
                    assertEquals(ix.config(), c.config());
                    assertEquals(4, c.size());
                    SearchResult got = c.search("red shoes summer", 5);
                    assertArrayEquals(want.ids(), got.ids());
                    assertArrayEquals(want.scores(), got.scores(), 0f);
                }
            }
        }
        String idx = dir.resolve("v.index").toString();
        try (Index v = new Index("dim=2")) {
            v.add(new float[] {1, 2});
            v.save(idx);
            assertCode(Status.EFORMAT, () -> TextIndex.load(idx));
            assertCode(Status.EFORMAT, () -> TextIndex.deserialize(v.serialize()));
        }
        assertCode(Status.EFORMAT, () -> TextIndex.deserialize(new byte[] {9, 9, 9, 9}));
        assertCode(Status.EIO, () -> TextIndex.load(dir.resolve("missing").toString()));
        assertThrows(NullPointerException.class, () -> TextIndex.deserialize(null));
    }

    @Test
    void fuseReciprocalRankAndWeighted() {
        SearchResult r = TextIndex.fuse(null, new long[][] {{1, 2, 3}, {3, 1}}, null, null, 10);
        assertArrayEquals(new long[] {1, 3, 2}, r.ids());
        assertArrayEquals(new float[] {(float) (1.0 / 61 + 1.0 / 62),
            (float) (1.0 / 63 + 1.0 / 61), (float) (1.0 / 62)}, r.scores(), 1e-6f);
        SearchResult top = TextIndex.fuse("method=rrf rrf_k=1", new long[][] {{5, 6}, {6}},
                new float[][] {null, null}, new double[] {1, 3}, 1);
        assertArrayEquals(new long[] {6}, top.ids());
        SearchResult w = TextIndex.fuse("method=weighted normalize=max",
                new long[][] {{1, 2}, {2}}, new float[][] {{4f, 2f}, {10f}}, null, 5);
        assertArrayEquals(new long[] {2, 1}, w.ids());
        assertArrayEquals(new float[] {1.5f, 1f}, w.scores(), 1e-6f);
        assertCode(Status.EINVAL, () -> TextIndex.fuse(null, new long[][] {{1}}, null, null, 0));
        assertCode(Status.EINVAL, () -> TextIndex.fuse("method=weighted",
                new long[][] {{1, 2}}, new float[][] {{1f}}, null, 3));
        assertCode(Status.EINVAL, () -> TextIndex.fuse(null, new long[][] {{1}}, null,
                new double[] {1, 2}, 3));
        assertThrows(NullPointerException.class,
                () -> TextIndex.fuse(null, new long[][] {null}, null, null, 3));
    }

    @Test
    void closeTwiceAndUseAfterClose() {
        TextIndex ix = new TextIndex();
        ix.add(new long[] {1}, new String[] {"a b c"});
        ix.close();
        ix.close();
        assertTrue(ix.isClosed());
        assertThrows(IllegalStateException.class, () -> ix.search("a", 1));
        assertThrows(IllegalStateException.class, ix::size);
        assertThrows(IllegalStateException.class, () -> ix.delete(new long[] {1}));
    }
}
