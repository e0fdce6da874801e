package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class IndexTest {
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

    private static float[] randomRows(Random rnd, int n, int dim) {
        float[] x = new float[n * dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    private static float[] row(float[] x, int r, int dim) {
        return Arrays.copyOfRange(x, r * dim, (r + 1) * dim);
    }

    @Test
    void compressedStorageThroughTheConfigString() {
        int dim = 16, n = 2000, k = 10;
        Random rnd = new Random(5);
        float[] x = randomRows(rnd, n, dim);
        float[] q = row(x, 3, dim);
        try (Index pq = new Index("dim=16 metric=l2 kind=ivf nlist=8 nprobe=8 storage=pq pq_m=4 rerank=50");
             Index f16 = new Index("dim=16 metric=l2 storage=fp16")) {
            pq.add(x);
            f16.add(x);
            assertEquals(4, pq.codeBytes());
            assertEquals(32, f16.codeBytes());
            assertTrue(pq.bytesPerVector() > 0 && pq.stats().length == 6);
            assertEquals(3, pq.search(q, k).ids()[0]);   // re-ranked exactly: the vector itself first
            assertEquals(3, f16.search(q, k).ids()[0]);
            assertTrue(pq.config().contains("storage=pq") && pq.config().contains("rerank=50"), pq.config());
            pq.set("rerank=100");
            Path p = dir.resolve("pq.index");
            pq.save(p.toString());
            try (Index back = Index.load(p.toString())) {
                assertArrayEquals(pq.search(q, k).ids(), back.search(q, k).ids());
            }
        }
        assertCode(-1, () -> new Index("dim=16 storage=pq pq_m=5").close());   // 5 does not divide 16
        try (Index small = new Index("dim=16 storage=pq pq_m=4")) {
            assertCode(-1, () -> small.train(Arrays.copyOf(x, 100 * dim)));    // fewer than 256
        }
    }

    @Test
    void flatSearchEqualsBruteForceInnerProduct() {
        int dim = 8, n = 300, k = 10;
        Random rnd = new Random(11);
        float[] x = randomRows(rnd, n, dim);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = 1000 + 3L * i;
        float[] qs = randomRows(rnd, 6, dim);
        try (Index ix = new Index("dim=8 metric=ip kind=flat")) {
            ix.add(x, ids);
            assertEquals(n, ix.size());
            assertEquals(dim, ix.dim());
            assertEquals(0, ix.deleted());
            assertTrue(ix.memoryBytes() > 0);
            assertTrue(ix.config().contains("dim=8"), ix.config());
            SearchResult[] batch = ix.searchBatch(qs, 6, k);
            assertEquals(6, batch.length);
            for (int qi = 0; qi < 6; qi++) {
                float[] q = row(qs, qi, dim);
                double[] dot = new double[n];
                Integer[] order = new Integer[n];
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < dim; j++) s += (double) q[j] * x[i * dim + j];
                    dot[i] = s;
                    order[i] = i;
                }
                Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -dot[i]));
                SearchResult r = ix.search(q, k);
                assertEquals(k, r.found());
                long[] got = r.ids();
                float[] sc = r.scores();
                for (int t = 0; t < k; t++) {
                    assertEquals(ids[order[t]], got[t], "rank " + t);
                    assertEquals(dot[order[t]], sc[t], 1e-4);
                }
                assertArrayEquals(got, batch[qi].ids());
                assertArrayEquals(sc, batch[qi].scores(), 1e-4f);
            }
        }
        try (Index ix = new Index("dim=8")) {   // ids assigned 0, 1, ... then continued
            ix.add(Arrays.copyOf(x, 2 * dim));
            ix.add(Arrays.copyOfRange(x, 2 * dim, 3 * dim), null);
            assertEquals(3, ix.size());
            for (int i = 0; i < 3; i++) {
                float[] q = row(x, i, dim);
                SearchResult r = ix.search(q, 3);
                double self = 0;
                for (float v : q) self += (double) v * v;
                float[] s = r.scores();
                long[] id = r.ids();
                for (int t = 0; t < 3; t++)
                    if (id[t] == i) assertEquals(self, s[t], 1e-4);
            }
        }
    }

    @Test
    void cosineAndL2Basics() {
        float[] x = {1, 0, 0, 1, 3, 3, -1, 0};
        long[] ids = {10, 20, 30, 40};
        try (Index ix = new Index("dim=2 metric=cosine")) {
            ix.add(x, ids);
            SearchResult r = ix.search(new float[] {2, 0}, 4);
            assertEquals(4, r.found());
            assertArrayEquals(new long[] {10, 30, 20, 40}, r.ids());
            assertArrayEquals(new float[] {1f, (float) Math.sqrt(0.5), 0f, -1f}, r.scores(),
                    1e-5f);
        }
        try (Index ix = new Index("dim=2 metric=l2")) {
            ix.add(x, ids);
            SearchResult r = ix.search(new float[] {3, 2.5f}, 2);
            assertArrayEquals(new long[] {30, 10}, r.ids());
            assertArrayEquals(new float[] {0.25f, 4f + 6.25f}, r.scores(), 1e-5f);
            SearchResult all = ix.search(new float[] {0, 0}, 4);
            float[] s = all.scores();
            for (int i = 1; i < s.length; i++) assertTrue(s[i - 1] <= s[i]);   // ascending
        }
        try (Index ix = new Index("dim=2 metric=cosine kind=hnsw M=4 ef=16")) {
            ix.add(x, ids);
            ix.set("ef=32");
            assertTrue(ix.config().contains("ef=32"), ix.config());
            assertEquals(10, ix.search(new float[] {1, 0.01f}, 1).ids()[0]);
        }
    }

    @Test
    void removeCompactAndFewerThanK() {
        float[] x = {1, 0, 0, 1, 3, 3, -1, 0};
        try (Index ix = new Index("dim=2")) {
            ix.add(x, new long[] {1, 2, 3, 4});
            assertEquals(1, ix.remove(new long[] {3, 99}));
            assertEquals(3, ix.size());
            assertEquals(1, ix.deleted());
            SearchResult r = ix.search(new float[] {1, 1}, 10);
            assertEquals(3, r.found());
            assertEquals(3, r.ids().length);
            assertTrue(Arrays.stream(r.ids()).noneMatch(id -> id == 3));
            SearchResult[] b = ix.searchBatch(new float[] {1, 1, 0, 1}, 2, 5);
            assertEquals(3, b[0].found());
            assertEquals(2, b[1].ids()[0]);
            ix.compact();
            assertEquals(0, ix.deleted());
            assertEquals(3, ix.size());
            ix.add(new float[] {5, 5}, new long[] {3});   // a removed id may come back
            assertEquals(3, ix.search(new float[] {1, 1}, 1).ids()[0]);
            assertEquals(4, ix.remove(new long[] {1, 2, 3, 4}));
            assertCode(Status.ESTATE, () -> ix.search(new float[] {1, 1}, 1));
        }
    }

    @Test
    void badInput() {
        assertCode(Status.EINVAL, () -> new Index(""));            // dim is required
        assertCode(Status.EINVAL, () -> new Index("dim=0"));
        assertCode(Status.EINVAL, () -> new Index("dim=4 metric=dot"));
        assertCode(Status.EINVAL, () -> new Index("dim=4 no_such_key=1"));
        try (Index ix = new Index("dim=3")) {
            assertCode(Status.EINVAL, () -> ix.add(new float[] {1, 2, 3, 4}, null));
            assertCode(Status.EINVAL, () -> ix.add(new float[] {1, 2, 3}, new long[] {1, 2}));
            assertCode(Status.EINVAL, () -> ix.add(new float[] {1, Float.NaN, 3}, null));
            assertCode(Status.EINVAL, () -> ix.add(new float[] {1, 2, 3}, new long[] {-5}));
            assertCode(Status.EINVAL,
                    () -> ix.add(new float[] {1, 2, 3, 4, 5, 6}, new long[] {7, 7}));
            assertEquals(0, ix.size());   // validation precedes any change
            ix.add(new float[] {1, 2, 3}, new long[] {7});
            assertCode(Status.EINVAL, () -> ix.add(new float[] {1, 2, 3}, new long[] {7}));
            assertCode(Status.EINVAL, () -> ix.search(new float[] {1, 2}, 1));      // wrong dim
            assertCode(Status.EINVAL, () -> ix.search(new float[] {1, 2, 3, 4}, 1));
            assertCode(Status.EINVAL, () -> ix.search(new float[] {1, 2, 3}, 0));   // k = 0
            assertCode(Status.EINVAL, () -> ix.search(new float[] {1, 2, 3}, -1));
            assertCode(Status.EINVAL, () -> ix.search(new float[] {1, Float.NaN, 3}, 1));
            assertCode(Status.EINVAL, () -> ix.searchBatch(new float[] {1, 2, 3}, 2, 1));
            assertCode(Status.EINVAL, () -> ix.searchBatch(new float[] {1, 2, 3}, 1, 0));
            assertCode(Status.EINVAL, () -> ix.set("dim=4"));
            assertCode(Status.ESTATE, () -> ix.train(new float[] {1, 2, 3}));   // not ivf
            assertThrows(NullPointerException.class, () -> ix.search(null, 1));
            assertThrows(NullPointerException.class, () -> ix.add(null, null));
            assertThrows(NullPointerException.class, () -> ix.remove(null));
            assertEquals(1, ix.size());
        }
    }

    @Test
    void ivfTrainAndSearch() {
        int dim = 4, n = 200;
        float[] x = randomRows(new Random(5), n, dim);
        try (Index ix = new Index("dim=4 kind=ivf nlist=4 nprobe=4 seed=1")) {
            ix.train(x);
            ix.add(x);
            assertEquals(n, ix.size());
            try (Index flat = new Index("dim=4")) {
                flat.add(x);
                float[] q = row(x, 17, dim);
                assertArrayEquals(flat.search(q, 5).ids(), ix.search(q, 5).ids());   // all lists
            }
        }
    }

    @Test
    void saveLoadSerializeAndWrongKind() throws IOException {
        int dim = 6, n = 100;
        float[] x = randomRows(new Random(2), n, dim);
        float[] q = randomRows(new Random(3), 1, dim);
        String path = dir.resolve("items.index").toString();
        try (Index ix = new Index("dim=6 metric=cosine kind=hnsw M=8 seed=4")) {
            ix.add(x);
            ix.remove(new long[] {5});
            SearchResult want = ix.search(q, 7);
            ix.save(path);
            byte[] buf = ix.serialize();
            try (Index a = Index.load(path); Index b = Index.deserialize(buf)) {
                for (Index c : new Index[] {a, b}) {
                    assertEquals(ix.config(), c.config());
                    assertEquals(n - 1, c.size());
                    SearchResult got = c.search(q, 7);
                    assertArrayEquals(want.ids(), got.ids());
                    assertArrayEquals(want.scores(), got.scores(), 0f);
                }
            }
        }
        String tix = dir.resolve("t.tix").toString();
        try (TextIndex t = new TextIndex()) {
            t.add(new long[] {1}, new String[] {"hello world"});
            t.save(tix);
            assertCode(Status.EFORMAT, () -> Index.load(tix));
            assertCode(Status.EFORMAT, () -> Index.deserialize(t.serialize()));
        }
        assertCode(Status.EFORMAT, () -> Index.deserialize(new byte[] {1, 2, 3}));
        assertCode(Status.EIO, () -> Index.load(dir.resolve("missing").toString()));
        assertThrows(NullPointerException.class, () -> Index.load(null));
        assertThrows(NullPointerException.class, () -> Index.deserialize(null));
    }

    @Test
    void closeTwiceAndUseAfterClose() {
        Index ix = new Index("dim=2");
        ix.add(new float[] {1, 2});
        ix.close();
        ix.close();
        assertTrue(ix.isClosed());
        assertThrows(IllegalStateException.class, () -> ix.search(new float[] {1, 2}, 1));
        assertThrows(IllegalStateException.class, ix::size);
        assertThrows(IllegalStateException.class, () -> ix.add(new float[] {1, 2}));
        assertThrows(IllegalStateException.class, ix::serialize);
    }
}
