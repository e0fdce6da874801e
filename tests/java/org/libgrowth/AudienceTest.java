package org.libgrowth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Audience (audience.h) through the binding, against brute-force references on small random
 * data as in tests/c/test_audience.c (TGI, interest, Jaccard, brand, rules, category, peer
 * exact and through an index, lost, union, select), the PU model's progress and cancellation, a
 * synthetic campaign where the pipeline beats random selection (tests/python/test_audience.py),
 * the EBUFS regrowth of long results, and bad input.
 */
class AudienceTest {
    /** A random user x column matrix: the truth and its CSR (rows shuffled, some duplicates). */
    private static final class Mat {
        final int nrows, ncols;
        final boolean[][] dense;
        final long[] ptr;
        final int[] idx;

        Mat(int nrows, int ncols, double pmax, long seed) {
            this.nrows = nrows;
            this.ncols = ncols;
            Random r = new Random(seed);
            double[] p = new double[ncols];
            for (int c = 0; c < ncols; c++) p[c] = pmax * r.nextDouble();
            dense = new boolean[nrows][ncols];
            ptr = new long[nrows + 1];
            List<Integer> ix = new ArrayList<>();
            for (int u = 0; u < nrows; u++) {
                int start = ix.size();
                for (int c = 0; c < ncols; c++)
                    if (r.nextDouble() < p[c]) {
                        dense[u][c] = true;
                        ix.add(c);
                        if (r.nextDouble() < 0.05) ix.add(c); // a duplicate counts once
                    }
                for (int i = ix.size(); i > start + 1; i--) {
                    int j = start + r.nextInt(i - start);
                    Integer t = ix.get(i - 1);
                    ix.set(i - 1, ix.get(j));
                    ix.set(j, t);
                }
                ptr[u + 1] = ix.size();
            }
            idx = new int[ix.size()];
            for (int i = 0; i < idx.length; i++) idx[i] = ix.get(i);
        }
    }

    private static int[] seedOf(int nusers, double p, long s) {
        Random r = new Random(s);
        int[] out = new int[nusers];
        int n = 0;
        for (int u = 0; u < nusers; u++)
            if (r.nextDouble() < p) out[n++] = u;
        if (n == 0) out[n++] = 0;
        return Arrays.copyOf(out, n);
    }

    private static boolean[] mask(int n, int[] ids) {
        boolean[] m = new boolean[n];
        for (int id : ids) m[id] = true;
        return m;
    }

    private static int[] toArray(List<Integer> l) {
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }

    private static void assertCode(int code, Executable call, String inMessage) {
        GrowthException e = assertThrows(GrowthException.class, call);
        assertEquals(code, e.code(), e.getMessage());
        if (inMessage != null)
            assertTrue(e.getMessage().contains(inMessage), "'" + inMessage + "' in: " + e.getMessage());
    }

    /* ---- interest ----------------------------------------------------------------------- */

    @Test
    void tgiAndInterestMatchBruteForce() {
        for (int trial = 0; trial < 5; trial++) {
            int nu = 300, na = 25;
            Mat m = new Mat(nu, na, 0.4, 100 + trial);
            int[] seed = seedOf(nu, 0.15, 200 + trial);
            int ns = seed.length;
            int[] seedDup = Arrays.copyOf(seed, ns + 1);
            seedDup[ns] = seed[0]; // a duplicate seed id counts once
            Audience.Tgi t = Audience.tgi(m.ptr, m.idx, na, seedDup);
            double[] tgi = t.tgi(), conc = t.concentration();
            long[] sc = t.seedCount(), pc = t.populationCount();
            assertEquals(na, tgi.length);
            boolean[] inseed = mask(nu, seed);
            for (int a = 0; a < na; a++) {
                long s = 0, p = 0;
                for (int u = 0; u < nu; u++) {
                    if (m.dense[u][a]) p++;
                    if (m.dense[u][a] && inseed[u]) s++;
                }
                assertEquals(s, sc[a]);
                assertEquals(p, pc[a]);
                double want = p > 0 ? ((double) s / ns) / ((double) p / nu) * 100.0 : 0.0;
                assertEquals(want, tgi[a], 1e-9 * (1 + want));
                assertEquals(p > 0 ? (double) s / p : 0.0, conc[a], 1e-12);
            }
            Audience.Interest in = Audience.interest(m.ptr, m.idx, na, seed,
                    "min_tgi=130 min_seed_count=3 min_match=2");
            boolean[] keep = new boolean[na];
            int wantAttrs = 0;
            for (int a = 0; a < na; a++)
                if (tgi[a] >= 130 && sc[a] >= 3) {
                    keep[a] = true;
                    wantAttrs++;
                }
            int[] attrs = in.attributes();
            assertEquals(wantAttrs, attrs.length);
            for (int i = 0; i < attrs.length; i++) {
                assertTrue(keep[attrs[i]]);
                if (i > 0)
                    assertTrue(tgi[attrs[i - 1]] > tgi[attrs[i]]
                            || (tgi[attrs[i - 1]] == tgi[attrs[i]] && attrs[i - 1] < attrs[i]));
            }
            List<Integer> want = new ArrayList<>();
            for (int u = 0; u < nu; u++) {
                int h = 0;
                for (int a = 0; a < na; a++)
                    if (keep[a] && m.dense[u][a]) h++;
                if (h >= 2 && !inseed[u]) want.add(u);
            }
            assertArrayEquals(toArray(want), in.users());
            // max_attrs keeps the best TGI; include_seed returns seed users too; null config
            Audience.Interest top3 = Audience.interest(m.ptr, m.idx, na, seed,
                    "min_tgi=0 max_attrs=3 include_seed=true");
            assertEquals(3, top3.attributes().length);
            assertTrue(top3.users().length > in.users().length);
            assertEquals(Audience.interest(m.ptr, m.idx, na, seed, "").users().length,
                    Audience.interest(m.ptr, m.idx, na, seed, null).users().length);
        }
    }

    /* ---- related brands ----------------------------------------------------------------- */

    @Test
    void jaccardAndBrandMatchBruteForce() {
        int nu = 400, nb = 30, k = 5;
        Mat m = new Mat(nu, nb, 0.2, 7);
        int[] q = {0, 7, 29};
        Audience.SimilarBrands sb = Audience.similarBrands(m.ptr, m.idx, nb, q, k);
        int[] ob = sb.brands();
        double[] oj = sb.jaccard();
        assertEquals(k, sb.k());
        assertEquals(q.length * k, ob.length);
        for (int qi = 0; qi < q.length; qi++) {
            double[] J = new double[nb];
            for (int c = 0; c < nb; c++) {
                int inter = 0, uni = 0;
                for (int u = 0; u < nu; u++) {
                    if (m.dense[u][q[qi]] && m.dense[u][c]) inter++;
                    if (m.dense[u][q[qi]] || m.dense[u][c]) uni++;
                }
                J[c] = (c == q[qi] || inter == 0) ? -1 : (double) inter / uni;
            }
            for (int i = 0; i < k; i++) {
                int best = -1;
                for (int c = 0; c < nb; c++)
                    if (J[c] >= 0 && (best < 0 || J[c] > J[best])) best = c;
                if (best < 0) {
                    assertEquals(-1, ob[qi * k + i]);
                    assertEquals(0.0, oj[qi * k + i]);
                    continue;
                }
                assertEquals(best, ob[qi * k + i]);
                assertEquals(J[best], oj[qi * k + i], 1e-15);
                J[best] = -1;
            }
        }
        // buyers of the k most similar brands of brand 0 (at least 2 of them), outside the seed
        List<Integer> seedL = new ArrayList<>();
        for (int u = 0; u < nu; u++)
            if (m.dense[u][0]) seedL.add(u);
        int[] users = Audience.brand(m.ptr, m.idx, nb, new int[] {0}, toArray(seedL),
                "k=5 min_brands=2");
        List<Integer> want = new ArrayList<>();
        for (int u = 0; u < nu; u++) {
            int h = 0;
            for (int i = 0; i < k; i++)
                if (ob[i] != -1 && m.dense[u][ob[i]]) h++;
            if (h >= 2 && !m.dense[u][0]) want.add(u);
        }
        assertTrue(want.size() > 0);
        assertArrayEquals(toArray(want), users);
    }

    /* ---- association rules -------------------------------------------------------------- */

    @Test
    void rulesAndCategoryMatchBruteForce() {
        int nu = 500, nc = 15;
        Mat m = new Mat(nu, nc, 0.35, 11);
        String cfg = "min_support=0.03 min_confidence=0.2 min_lift=1.05";
        Audience.Rules r = Audience.rules(m.ptr, m.idx, nc, null, cfg);
        int k = 0;
        int[] A = r.antecedent(), B = r.consequent();
        double[] S = r.support(), C = r.confidence(), L = r.lift();
        for (int a = 0; a < nc; a++)
            for (int b = 0; b < nc; b++) {
                if (a == b) continue;
                int na = 0, nb = 0, nab = 0;
                for (int u = 0; u < nu; u++) {
                    if (m.dense[u][a]) na++;
                    if (m.dense[u][b]) nb++;
                    if (m.dense[u][a] && m.dense[u][b]) nab++;
                }
                if (na == 0 || nb == 0 || nab == 0) continue;
                double s = (double) nab / nu, c = (double) nab / na, l = c / ((double) nb / nu);
                if (s < 0.03 || c < 0.2 || l < 1.05) continue;
                assertTrue(k < r.size());
                assertEquals(a, A[k]);
                assertEquals(b, B[k]);
                assertEquals(s, S[k], 1e-15);
                assertEquals(c, C[k], 1e-15);
                assertEquals(l, L[k], 1e-12);
                k++;
            }
        assertEquals(k, r.size());
        assertTrue(k > 0);
        // only rules into category 3; category expansion = holders of their antecedents
        Audience.Rules r3 = Audience.rules(m.ptr, m.idx, nc, new int[] {3}, cfg);
        int want3 = 0;
        for (int b : B)
            if (b == 3) want3++;
        assertEquals(want3, r3.size());
        List<Integer> seedL = new ArrayList<>();
        for (int u = 0; u < nu; u++)
            if (m.dense[u][3]) seedL.add(u);
        int[] users = Audience.category(m.ptr, m.idx, nc, new int[] {3}, toArray(seedL), cfg);
        List<Integer> want = new ArrayList<>();
        for (int u = 0; u < nu; u++) {
            int h = 0;
            for (int a : r3.antecedent())
                if (m.dense[u][a]) h++;
            if (h >= 1 && !m.dense[u][3]) want.add(u);
        }
        assertArrayEquals(toArray(want), users);
    }

    /* ---- peer --------------------------------------------------------------------------- */

    private static double cos(float[] E, int a, float[] B, int b, int d) {
        double s = 0, na = 0, nb = 0;
        for (int j = 0; j < d; j++) {
            s += (double) E[a * d + j] * B[b * d + j];
            na += (double) E[a * d + j] * E[a * d + j];
            nb += (double) B[b * d + j] * B[b * d + j];
        }
        return na > 0 && nb > 0 ? s / Math.sqrt(na * nb) : 0.0;
    }

    private static double[] peerRef(float[] E, int nu, int d, int[] seed, boolean centroid) {
        double[] ref = new double[nu];
        float[] cen = new float[d];
        if (centroid) {
            double[] c = new double[d];
            for (int s : seed) {
                double nn = 0;
                for (int j = 0; j < d; j++) nn += (double) E[s * d + j] * E[s * d + j];
                for (int j = 0; j < d; j++) c[j] += nn > 0 ? E[s * d + j] / Math.sqrt(nn) : 0;
            }
            for (int j = 0; j < d; j++) cen[j] = (float) c[j];
        }
        for (int u = 0; u < nu; u++) {
            if (centroid) {
                ref[u] = cos(E, u, cen, 0, d);
            } else {
                ref[u] = -2;
                for (int s : seed) ref[u] = Math.max(ref[u], cos(E, u, E, s, d));
            }
        }
        return ref;
    }

    /** The ranking is the reference's, swaps allowed within float rounding. */
    private static void assertRanked(Audience.Ranked r, double[] ref, boolean[] inseed,
                                     boolean includeSeed) {
        int[] out = r.users();
        float[] sim = r.scores();
        for (int i = 0; i < out.length; i++) {
            if (!includeSeed) assertTrue(!inseed[out[i]], "user " + out[i] + " is a seed user");
            assertEquals(ref[out[i]], sim[i], 2e-5);
            int better = 0;
            for (int u = 0; u < ref.length; u++)
                if ((includeSeed || !inseed[u]) && ref[u] > ref[out[i]] + 1e-5) better++;
            assertTrue(better <= i, "rank " + i);
        }
    }

    private static float[] embeddings(int nu, int d, long s, int zeroRow) {
        Random r = new Random(s);
        float[] E = new float[nu * d];
        for (int i = 0; i < E.length; i++) E[i] = (float) r.nextGaussian();
        for (int j = 0; j < d; j++) E[zeroRow * d + j] = 0; // a zero vector
        return E;
    }

    @Test
    void peerMatchesBruteForce() {
        int nu = 700, d = 12, n = 40;
        float[] E = embeddings(nu, d, 5, 3);
        int[] seed = seedOf(nu, 0.03, 9);
        boolean[] inseed = mask(nu, seed);
        for (boolean centroid : new boolean[] {false, true}) {
            Audience.Ranked r = Audience.peer(E, d, seed, n,
                    centroid ? "mode=centroid" : "mode=max");
            assertEquals(n, r.size());
            assertRanked(r, peerRef(E, nu, d, seed, centroid), inseed, false);
        }
        Audience.Ranked trimmed = Audience.peer(E, d, seed, 40, "min_similarity=0.9");
        assertTrue(trimmed.size() < 40);
    }

    @Test
    void peerThroughAnIndexMatchesBruteForce() {
        int nu = 700, d = 12, n = 40;
        float[] E = embeddings(nu, d, 15, 5);
        int[] seed = seedOf(nu, 0.03, 19);
        int[] seedDup = Arrays.copyOf(seed, seed.length + 1);
        seedDup[seed.length] = seed[0];
        boolean[] inseed = mask(nu, seed);
        try (Index ix = new Index("dim=12 metric=cosine kind=flat")) {
            ix.add(E); // ids 0 .. nu-1 = user ids
            for (boolean centroid : new boolean[] {false, true})
                for (boolean incl : new boolean[] {false, true}) {
                    String cfg = "mode=" + (centroid ? "centroid" : "max") + " include_seed="
                            + incl;
                    Audience.Ranked r = Audience.peerIndex(ix, seedDup, n, cfg);
                    assertEquals(n, r.size());
                    assertRanked(r, peerRef(E, nu, d, seed, centroid), inseed, incl);
                    Audience.Ranked exact = Audience.peer(E, d, seedDup, n, cfg);
                    assertEquals(exact.size(), r.size());
                    for (int i = 0; i < n; i++)
                        assertEquals(exact.scores()[i], r.scores()[i], 1e-5);
                    Set<Integer> a = new HashSet<>(), b = new HashSet<>();
                    for (int u : r.users()) a.add(u);
                    for (int u : exact.users()) b.add(u);
                    Set<Integer> diff = new HashSet<>(a);
                    diff.removeAll(b);
                    assertTrue(diff.size() <= 1, "the same users, ties aside");
                }
            assertCode(Status.EINVAL, () -> Audience.peerIndex(ix, new int[] {0, 7000}, 10, null),
                    "not in the index");
            assertCode(Status.EINVAL, () -> Audience.peerIndex(ix, seed, nu, null),
                    "larger than the pool");
            Index closed = Index.deserialize(ix.serialize());
            closed.close();
            assertThrows(IllegalStateException.class,
                    () -> Audience.peerIndex(closed, seed, 10, null));
        }
        try (Index l2 = new Index("dim=12 metric=l2")) {
            l2.add(E);
            assertCode(Status.EINVAL, () -> Audience.peerIndex(l2, seed, 10, null), "metric=l2");
        }
        try (Index empty = new Index("dim=12 metric=cosine kind=hnsw")) {
            assertCode(Status.ESTATE, () -> Audience.peerIndex(empty, seed, 1, null), null);
        }
        assertThrows(NullPointerException.class, () -> Audience.peerIndex(null, seed, 10, null));
    }

    /* ---- lost --------------------------------------------------------------------------- */

    @Test
    void lostMatchesBruteForce() {
        int nu = 200, ne = 1500;
        int[] u = new int[ne];
        long[] t = new long[ne];
        Random r = new Random(3);
        for (int i = 0; i < ne; i++) {
            u[i] = r.nextInt(nu - 10); // the last 10 users have no event
            t[i] = 1000 + r.nextInt(400);
        }
        Audience.Lost lost = Audience.lost(u, t, nu,
                "now=1350 inactive=30 window=200 min_events=6");
        List<Integer> wantU = new ArrayList<>();
        List<Long> wantT = new ArrayList<>();
        for (int v = 0; v < nu; v++) {
            long lt = Long.MIN_VALUE;
            int cnt = 0;
            for (int i = 0; i < ne; i++)
                if (u[i] == v && t[i] <= 1350) {
                    cnt++;
                    lt = Math.max(lt, t[i]);
                }
            if (cnt >= 6 && lt < 1350 - 30 && lt >= 1350 - 200) {
                wantU.add(v);
                wantT.add(lt);
            }
        }
        assertTrue(wantU.size() > 0);
        assertArrayEquals(toArray(wantU), lost.users());
        long[] last = lost.lastTimes();
        for (int i = 0; i < last.length; i++) assertEquals((long) wantT.get(i), last[i]);
        Audience.lost(u, t, nu, "inactive=10 window=100"); // default now = the latest event
        assertCode(Status.EINVAL, () -> Audience.lost(u, t, nu, "inactive=10 window=5"),
                "window");
    }

    /* ---- union and selection ------------------------------------------------------------ */

    @Test
    void unionAndSelect() {
        int[][] lists = {{5, 1, 9, 5}, {9, 2}, {7}};
        int[] dirs = {Audience.INTEREST, Audience.PEER, Audience.LOST};
        Audience.Union un = Audience.union(lists, dirs, 10);
        assertArrayEquals(new int[] {1, 2, 5, 7, 9}, un.users());
        assertArrayEquals(new int[] {Audience.INTEREST, Audience.PEER, Audience.INTEREST,
                Audience.LOST, Audience.INTEREST | Audience.PEER}, un.directions());
        assertCode(Status.EINVAL, () -> Audience.union(lists, dirs, 8), "out of range");
        assertArrayEquals(new int[0], Audience.union(new int[][] {{}}, new int[] {1}, 5).users());

        int[] pool = {10, 11, 12, 13, 14, 15};
        float[] s = {0.9f, 0.2f, 0.7f, 0.7f, 0.95f, 0.5f};
        Audience.Ranked top = Audience.select(pool, s, new int[] {14}, 0.5f, 3);
        assertArrayEquals(new int[] {10, 12, 13}, top.users());
        assertArrayEquals(new float[] {0.9f, 0.7f, 0.7f}, top.scores());
        // 0.5 and 0.2 fall below the threshold, 14 is excluded
        assertEquals(3, Audience.select(pool, s, new int[] {14}, 0.6f, 6).size());
        assertEquals(5, Audience.select(pool, s, null, 0.3f, 6).size());
        assertCode(Status.EINVAL, () -> Audience.select(pool, s, null, 0f, 7),
                "larger than the pool");
        int[] dup = pool.clone();
        dup[1] = 10;
        assertCode(Status.EINVAL, () -> Audience.select(dup, s, null, 0f, 2), "twice");
    }

    /** Results longer than the first capacity the binding tries come back whole (EBUFS). */
    @Test
    void longResultsAreRegrown() {
        int nu = 10_000;
        int[] evens = new int[nu / 2], all = new int[nu];
        for (int i = 0; i < nu; i++) all[i] = nu - 1 - i;
        for (int i = 0; i < evens.length; i++) evens[i] = 2 * i;
        Audience.Union un = Audience.union(new int[][] {evens, all},
                new int[] {Audience.BRAND, Audience.LOST}, nu);
        int[] users = un.users(), d = un.directions();
        assertEquals(nu, users.length);
        for (int u = 0; u < nu; u++) {
            assertEquals(u, users[u]);
            assertEquals(u % 2 == 0 ? Audience.BRAND | Audience.LOST : Audience.LOST, d[u]);
        }
        // lost: every user has an event in the window
        int[] ev = new int[nu];
        long[] t = new long[nu];
        for (int u = 0; u < nu; u++) {
            ev[u] = u;
            t[u] = 100 + (u % 50);
        }
        assertEquals(nu, Audience.lost(ev, t, nu, "now=1000 inactive=10 window=1000").users().length);
        // interest with every user: attribute 0 held by all
        long[] ptr = new long[nu + 1];
        int[] idx = new int[nu];
        for (int u = 0; u < nu; u++) ptr[u + 1] = u + 1;
        assertEquals(nu, Audience.interest(ptr, idx, 1, new int[] {0, 1}, "min_tgi=0 include_seed=true")
                .users().length);
        // rules over 100 categories held by everyone: 100 x 99 rules, more than the first try
        int nc = 100, n = 50;
        long[] rp = new long[n + 1];
        int[] ri = new int[n * nc];
        for (int u = 0; u < n; u++) {
            rp[u + 1] = (long) (u + 1) * nc;
            for (int c = 0; c < nc; c++) ri[u * nc + c] = c;
        }
        Audience.Rules r = Audience.rules(rp, ri, nc, null, "min_support=0 min_confidence=0 min_lift=0");
        assertEquals(nc * (nc - 1), r.size());
    }

    /* ---- PU model, the pipeline --------------------------------------------------------- */

    private static double sig(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** The synthetic campaign of tests/python/test_audience.py (direct_marketing). */
    private static final class Population {
        final int n;
        final long[] attrPtr, brandPtr, catPtr, featPtr;
        final int[] attrIdx, brandIdx, catIdx, featIdx;
        final float[] emb;
        final int[] seed, evUser;
        final long[] evTime;
        final boolean[] later;

        private static void csr(boolean[][] m, List<long[]> ptrs, List<int[]> idxs) {
            long[] p = new long[m.length + 1];
            List<Integer> ix = new ArrayList<>();
            for (int u = 0; u < m.length; u++) {
                for (int c = 0; c < m[u].length; c++)
                    if (m[u][c]) ix.add(c);
                p[u + 1] = ix.size();
            }
            ptrs.add(p);
            idxs.add(toArray(ix));
        }

        Population(int n, long s) {
            this.n = n;
            Random r = new Random(s);
            double[] z = new double[n];
            for (int i = 0; i < n; i++) z[i] = r.nextGaussian();
            boolean[][] attr = new boolean[n][60], brands = new boolean[n][40],
                    cats = new boolean[n][25], feats = new boolean[n][60 + 39 + 24];
            emb = new float[n * 16];
            boolean[] isSeed = new boolean[n], lapsed = new boolean[n];
            later = new boolean[n];
            List<Integer> sd = new ArrayList<>(), eu = new ArrayList<>();
            List<Long> et = new ArrayList<>();
            for (int u = 0; u < n; u++) {
                for (int a = 0; a < 60; a++)
                    attr[u][a] = r.nextDouble() < (a < 10 ? sig(-2 + 1.2 * z[u]) : 0.12);
                for (int b = 1; b < 40; b++)
                    brands[u][b] = r.nextDouble() < (b < 6 ? sig(-3 + 1.3 * z[u]) : 0.04);
                cats[u][0] = r.nextDouble() < 0.05;
                for (int c = 1; c < 25; c++)
                    cats[u][c] = r.nextDouble() < (c < 4 ? sig(-2.2 + z[u]) : 0.1);
                for (int j = 0; j < 16; j++)
                    emb[u * 16 + j] = (float) (r.nextGaussian() + (j < 4 ? 0.8 * z[u] : 0));
                isSeed[u] = r.nextDouble() < sig(-4.2 + 1.5 * z[u]);
                if (isSeed[u]) {
                    brands[u][0] = true;
                    cats[u][0] = true;
                    sd.add(u);
                }
                later[u] = !isSeed[u] && r.nextDouble() < sig(-4.6 + 1.5 * z[u]);
                lapsed[u] = !isSeed[u] && r.nextDouble() < sig(-3.5 + z[u]);
                for (int a = 0; a < 60; a++) feats[u][a] = attr[u][a];
                for (int b = 1; b < 40; b++) feats[u][59 + b] = brands[u][b];
                for (int c = 1; c < 25; c++) feats[u][98 + c] = cats[u][c];
            }
            for (int u = 0; u < n; u++)
                if (lapsed[u]) {
                    eu.add(u);
                    et.add(1000L - 40 - r.nextInt(150));
                }
            for (int u = 0; u < n; u++)
                if (isSeed[u]) {
                    eu.add(u);
                    et.add(1000L - r.nextInt(30));
                }
            seed = toArray(sd);
            evUser = toArray(eu);
            evTime = new long[et.size()];
            for (int i = 0; i < evTime.length; i++) evTime[i] = et.get(i);
            List<long[]> ptrs = new ArrayList<>();
            List<int[]> idxs = new ArrayList<>();
            csr(attr, ptrs, idxs);
            csr(brands, ptrs, idxs);
            csr(cats, ptrs, idxs);
            csr(feats, ptrs, idxs);
            attrPtr = ptrs.get(0);
            attrIdx = idxs.get(0);
            brandPtr = ptrs.get(1);
            brandIdx = idxs.get(1);
            catPtr = ptrs.get(2);
            catIdx = idxs.get(2);
            featPtr = ptrs.get(3);
            featIdx = idxs.get(3);
        }
    }

    @Test
    void pipelineBeatsRandomSelection() {
        Population d = new Population(20_000, 2024);
        int n = d.n;
        int[] seed = d.seed;
        int[] uInt = Audience.interest(d.attrPtr, d.attrIdx, 60, seed, "min_tgi=150 min_match=2")
                .users();
        int[] uBrand = Audience.brand(d.brandPtr, d.brandIdx, 40, new int[] {0}, seed, "k=5");
        int[] uCat = Audience.category(d.catPtr, d.catIdx, 25, new int[] {0}, seed,
                "min_support=0.01 min_confidence=0.05 min_lift=1.2");
        int[] uPeer = Audience.peer(d.emb, 16, seed, 3000, "mode=centroid").users();
        int[] uLost = Audience.lost(d.evUser, d.evTime, n, "now=1000 inactive=35 window=200")
                .users();
        for (int[] l : new int[][] {uInt, uBrand, uCat, uPeer, uLost})
            assertTrue(l.length > 0);
        Audience.Union pool = Audience.union(new int[][] {uInt, uBrand, uCat, uPeer, uLost},
                new int[] {Audience.INTEREST, Audience.BRAND, Audience.CATEGORY, Audience.PEER,
                           Audience.LOST}, n);
        int[] p = pool.users();
        for (String cfg : new String[] {"learner=ftrl method=naive epochs=3",
                                        "learner=forest method=spy rounds=60 max_depth=3"}) {
            float[] scores = Audience.puScore(d.featPtr, d.featIdx, null, 123, seed, p, cfg);
            assertEquals(p.length, scores.length);
            Audience.Ranked top = Audience.select(p, scores, seed, 0f, 500);
            assertEquals(500, top.size());
            int hits = 0;
            for (int u : top.users()) hits += d.later[u] ? 1 : 0;
            int laterN = 0;
            for (boolean b : d.later) laterN += b ? 1 : 0;
            double base = (double) laterN / (n - seed.length), prec = hits / 500.0;
            assertTrue(prec > 2.5 * base, cfg + ": precision " + prec + " vs base " + base);
        }
    }

    @Test
    void puProgressAndCancel() {
        Random r = new Random(12);
        int nu = 300, nf = 12;
        long[] ptr = new long[nu + 1];
        List<Integer> ix = new ArrayList<>();
        List<Float> vals = new ArrayList<>();
        for (int u = 0; u < nu; u++) {
            for (int f = 0; f < nf; f++)
                if (r.nextDouble() < 0.3) {
                    ix.add(f);
                    vals.add(0.5f + r.nextFloat());
                }
            ptr[u + 1] = ix.size();
        }
        int[] idx = toArray(ix);
        float[] val = new float[vals.size()];
        for (int i = 0; i < val.length; i++) val[i] = vals.get(i);
        List<Integer> sd = new ArrayList<>(), pl = new ArrayList<>();
        for (int u = 0; u < nu; u++) (u % 7 == 0 ? sd : pl).add(u);
        int[] seed = toArray(sd), pool = toArray(pl);
        List<String> stages = new ArrayList<>();
        List<Double> done = new ArrayList<>();
        String cfg = "learner=ftrl method=spy epochs=2";
        float[] s = Audience.puScore(ptr, idx, null, nf, seed, pool, cfg, (st, dn) -> {
            stages.add(st);
            done.add(dn);
            return true;
        });
        assertEquals(List.of("fit", "fit", "fit", "fit", "fit"), stages);
        assertEquals(1.0, done.get(done.size() - 1));
        assertArrayEquals(Audience.puScore(ptr, idx, null, nf, seed, pool, cfg), s);
        float[] withValues = Audience.puScore(ptr, idx, val, nf, seed, pool, cfg);
        assertEquals(pool.length, withValues.length);
        assertNotEquals(Arrays.toString(s), Arrays.toString(withValues));
        CanceledException c = assertThrows(CanceledException.class,
                () -> Audience.puScore(ptr, idx, null, nf, seed, pool, "learner=ftrl",
                        (st, dn) -> dn < 0.5));
        assertEquals(Status.ECANCELED, c.code());
        IllegalStateException mine = new IllegalStateException("stop from the listener");
        IllegalStateException got = assertThrows(IllegalStateException.class,
                () -> Audience.puScore(ptr, idx, null, nf, seed, pool, "learner=ftrl",
                        (st, dn) -> {
                            throw mine;
                        }));
        assertSame(mine, got);
        // Mckp's listener type is a Progress too
        Mckp.Progress mp = (st, dn) -> true;
        assertEquals(pool.length,
                Audience.puScore(ptr, idx, null, nf, seed, pool, "learner=ftrl", mp).length);
    }

    /* ---- bad input ---------------------------------------------------------------------- */

    @Test
    void badInputRaisesWithMessages() {
        long[] ip = {0, 2, 3, 5};
        int[] ix = {0, 1, 1, 0, 2};
        int[] seed = {0, 1};
        final int EINVAL = Status.EINVAL;
        assertCode(EINVAL, () -> Audience.tgi(ip, ix, 3, new int[0]), "seed is empty");
        assertCode(EINVAL, () -> Audience.tgi(ip, ix, 3, new int[] {3}), "seed[0] = 3 is out of range");
        assertCode(EINVAL, () -> Audience.tgi(ip, ix, 2, seed), "row 2 has column 2");
        assertCode(EINVAL, () -> Audience.tgi(new long[] {0, 2, 1, 5}, ix, 3, seed), "decreases");
        assertCode(EINVAL, () -> Audience.interest(ip, ix, 3, seed, "min_tgi=abc"), "min_tgi");
        assertCode(EINVAL, () -> Audience.interest(ip, ix, 3, seed, "colour=blue"), "colour");
        assertCode(EINVAL, () -> Audience.similarBrands(ip, ix, 3, new int[] {9}, 2), "brands[0] = 9");
        assertCode(EINVAL, () -> Audience.similarBrands(ip, ix, 3, new int[] {0}, 0), null);
        assertCode(EINVAL, () -> Audience.brand(ip, ix, 3, new int[] {0}, new int[0], null),
                "seed is empty");
        assertCode(EINVAL, () -> Audience.category(ip, ix, 3, new int[] {9}, seed, null),
                "target category list[0] = 9");
        float[] E = {1, 0, 0, 1, 1, 1};
        assertCode(EINVAL, () -> Audience.peer(E, 2, seed, 2, null),
                "N = 2 is larger than the pool (1 users outside the seed)");
        assertCode(EINVAL, () -> Audience.peer(E, 2, new int[0], 1, null), "seed is empty");
        assertCode(EINVAL, () -> Audience.peer(new float[] {1, 0, 0, 1, Float.NaN, 1}, 2, seed, 1, null),
                "user 2");
        assertCode(EINVAL, () -> Audience.peer(E, 2, seed, 1, "mode=median"), "mode");
        assertCode(EINVAL, () -> Audience.lost(new int[] {0, 5}, new long[] {1, 2}, 3, null),
                "users[1] = 5");
        assertCode(EINVAL, () -> Audience.puScore(ip, ix, null, 3, seed, new int[] {2, 7}, null),
                "pool[1] = 7");
        assertCode(EINVAL, () -> Audience.puScore(ip, ix, null, 3, new int[0], new int[] {2}, null),
                "seed is empty");
        assertCode(EINVAL, () -> Audience.puScore(ip, ix, null, 3, new int[] {0, 1, 2},
                new int[] {2}, null), "no user outside the seed");
        assertCode(EINVAL, () -> Audience.puScore(ip, ix, null, 3, seed, new int[] {2},
                "learner=svm"), "learner");
        assertCode(EINVAL, () -> Audience.puScore(ip, ix, new float[] {1, 1, Float.NaN, 1, 1}, 3,
                seed, new int[] {2}, null), "NaN");
        // what the binding checks: offsets within indices, lengths, counts
        assertCode(EINVAL, () -> Audience.tgi(new long[] {0, 2, 3, 6}, ix, 3, seed),
                "indptr[3] = 6 is outside the 5 entries of indices");
        assertCode(EINVAL, () -> Audience.tgi(new long[] {0, -1, 3, 5}, ix, 3, seed), "indptr[1]");
        assertCode(EINVAL, () -> Audience.tgi(new long[0], ix, 3, seed), "indptr");
        assertCode(EINVAL, () -> Audience.tgi(ip, ix, -1, seed), "nattrs = -1");
        assertCode(EINVAL, () -> Audience.similarBrands(ip, ix, 3, new int[] {0}, -2), "k = -2");
        assertCode(EINVAL, () -> Audience.peer(E, 4, seed, 1, null), "not a multiple of dim");
        assertCode(EINVAL, () -> Audience.peer(E, 0, seed, 1, null), "dim = 0");
        assertCode(EINVAL, () -> Audience.peer(E, 2, seed, -1, null), "n = -1");
        assertCode(EINVAL, () -> Audience.lost(new int[] {0, 1}, new long[] {1}, 3, null), "times");
        assertCode(EINVAL, () -> Audience.union(new int[][] {{1}}, new int[] {1, 2}, 3),
                "directions");
        assertCode(EINVAL, () -> Audience.union(new int[][] {{1}}, new int[] {0}, 3), null);
        assertCode(EINVAL, () -> Audience.select(new int[] {1, 2}, new float[] {1}, null, 0f, 1),
                "scores");
        assertCode(EINVAL, () -> Audience.puScore(ip, ix, new float[] {1, 1}, 3, seed,
                new int[] {2}, null), "values");
        // required arrays: NullPointerException (the binding's convention, as elsewhere)
        assertThrows(NullPointerException.class, () -> Audience.tgi(null, ix, 3, seed));
        assertThrows(NullPointerException.class, () -> Audience.tgi(ip, null, 3, seed));
        assertThrows(NullPointerException.class, () -> Audience.tgi(ip, ix, 3, null));
        assertThrows(NullPointerException.class, () -> Audience.interest(ip, ix, 3, null, null));
        assertThrows(NullPointerException.class, () -> Audience.similarBrands(ip, ix, 3, null, 2));
        assertThrows(NullPointerException.class,
                () -> Audience.brand(ip, ix, 3, null, seed, null));
        assertThrows(NullPointerException.class,
                () -> Audience.category(ip, ix, 3, new int[] {0}, null, null));
        assertThrows(NullPointerException.class, () -> Audience.peer(null, 2, seed, 1, null));
        assertThrows(NullPointerException.class, () -> Audience.lost(null, new long[0], 3, null));
        assertThrows(NullPointerException.class, () -> Audience.union(null, new int[0], 3));
        assertThrows(NullPointerException.class,
                () -> Audience.union(new int[][] {{1}, null}, new int[] {1, 2}, 3));
        assertThrows(NullPointerException.class,
                () -> Audience.puScore(ip, ix, null, 3, seed, null, null));
        assertThrows(NullPointerException.class,
                () -> Audience.select(null, new float[0], null, 0f, 1));
        // optional arrays may be null: consequents, exclude, values
        assertEquals(0, Audience.rules(ip, ix, 3, null, "min_support=0.9").size());
    }
}
