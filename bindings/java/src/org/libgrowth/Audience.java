package org.libgrowth;

/**
 * Audience selection (audience.h): a brand campaign's seed audience (its buyers) is expanded in
 * several directions, the pool is scored by a target model trained by PU learning (positives =
 * the seed, no known negatives) and the best N users are kept. (The top-N metrics of metrics.h
 * that judge the result, and the score fusion of rank.h, are not bound in Java yet.)
 *
 * <p>Users, attributes, brands and categories are uint32 ids carried in Java {@code int}s; users
 * are row numbers {@code 0 .. nusers-1}. A user x column matrix (attributes, brands, categories,
 * features) is CSR: {@code indptr} has nusers + 1 non-decreasing offsets starting at 0 into
 * {@code indices}, row {@code u} holds the columns {@code indices[indptr[u] .. indptr[u+1])} (a
 * column repeated in a row counts once), and nusers is {@code indptr.length - 1}. Seeds are
 * lists of user ids (duplicates count once). Options are {@code key=value} strings (null for
 * the defaults), with the keys of audience.h, e.g. {@code "min_tgi=150 min_match=2"}.
 *
 * <p>Errors: a required array that is null throws {@link NullPointerException}; arrays of
 * mismatched lengths, an offset outside {@code indices}, a negative count, and everything the
 * library refuses (an empty seed, an id out of range, a bad key or value, n larger than the
 * pool, NaN) throw {@link GrowthException} ({@link Status#EINVAL} and its message; ESTATE for an
 * empty index, EDEP when the learner fails, ECANCELED when a {@link Progress} stops the PU
 * model). Every function is pure (no handle, no global state) and thread-safe.
 *
 * <pre>{@code
 * Audience.Interest in = Audience.interest(attrPtr, attrIdx, nattrs, seed, "min_tgi=150");
 * Audience.Ranked peers = Audience.peerIndex(userIndex, seed, 3000, "mode=centroid");
 * Audience.Union pool = Audience.union(new int[][] {in.users(), peers.users()},
 *         new int[] {Audience.INTEREST, Audience.PEER}, nusers);
 * float[] s = Audience.puScore(featPtr, featIdx, null, nfeat, seed, pool.users(),
 *         "learner=forest method=spy");
 * Audience.Ranked top = Audience.select(pool.users(), s, seed, 0f, 1000);
 * }</pre>
 */
public final class Audience {
    /** Direction flag GROWTH_AUDIENCE_INTEREST: attributes with a high TGI / TA concentration. */
    public static final int INTEREST = 0x01;
    /** Direction flag GROWTH_AUDIENCE_BRAND: buyers of brands similar by Jaccard. */
    public static final int BRAND = 0x02;
    /** Direction flag GROWTH_AUDIENCE_CATEGORY: antecedents of category association rules. */
    public static final int CATEGORY = 0x04;
    /** Direction flag GROWTH_AUDIENCE_PEER: nearest users in embedding space. */
    public static final int PEER = 0x08;
    /** Direction flag GROWTH_AUDIENCE_LOST: users who left a state within a window. */
    public static final int LOST = 0x10;

    private Audience() {}

    /** TGI and TA concentration of every attribute ({@link #tgi}): nattrs values each. */
    public static final class Tgi {
        private final double[] tgi, concentration;
        private final long[] seedCount, populationCount;

        Tgi(Object[] r) {
            tgi = (double[]) r[0];
            concentration = (double[]) r[1];
            seedCount = (long[]) r[2];
            populationCount = (long[]) r[3];
        }

        /** 100 x (share of seed users with the attribute) / (share of all users with it). */
        public double[] tgi() {
            return tgi.clone();
        }

        /** Share of the attribute's users that are seed users. */
        public double[] concentration() {
            return concentration.clone();
        }

        /** Seed users holding each attribute. */
        public long[] seedCount() {
            return seedCount.clone();
        }

        /** Users holding each attribute. */
        public long[] populationCount() {
            return populationCount.clone();
        }
    }

    /** Result of {@link #interest}: the kept attributes and the users holding them. */
    public static final class Interest {
        private final int[] attributes, users;

        Interest(Object[] r) {
            attributes = (int[]) r[0];
            users = (int[]) r[1];
        }

        /** Kept attributes, best TGI first (ties: smaller id). */
        public int[] attributes() {
            return attributes.clone();
        }

        /** Users found, ascending. */
        public int[] users() {
            return users.clone();
        }
    }

    /** Result of {@link #similarBrands}: nquery x k brands and similarities, row-major. */
    public static final class SimilarBrands {
        private final int[] brands;
        private final double[] jaccard;
        private final int k;

        SimilarBrands(Object[] r, int k) {
            brands = (int[]) r[0];
            jaccard = (double[]) r[1];
            this.k = k;
        }

        /** Similar brands per query, best first; -1 pads a row (UINT32_MAX in C). */
        public int[] brands() {
            return brands.clone();
        }

        /** Their Jaccard similarities (0 where padded). */
        public double[] jaccard() {
            return jaccard.clone();
        }

        /** Entries per query brand. */
        public int k() {
            return k;
        }
    }

    /** Result of {@link #rules}: association rules {@code A -> B}, in (A, B) order. */
    public static final class Rules {
        private final int[] antecedent, consequent;
        private final double[] support, confidence, lift;

        Rules(Object[] r) {
            antecedent = (int[]) r[0];
            consequent = (int[]) r[1];
            support = (double[]) r[2];
            confidence = (double[]) r[3];
            lift = (double[]) r[4];
        }

        public int size() {
            return antecedent.length;
        }

        public int[] antecedent() {
            return antecedent.clone();
        }

        public int[] consequent() {
            return consequent.clone();
        }

        /** n_AB / nusers. */
        public double[] support() {
            return support.clone();
        }

        /** n_AB / n_A. */
        public double[] confidence() {
            return confidence.clone();
        }

        /** confidence / (n_B / nusers). */
        public double[] lift() {
            return lift.clone();
        }
    }

    /** Users with a score, best first: {@link #peer}, {@link #peerIndex}, {@link #select}. */
    public static final class Ranked {
        private final int[] users;
        private final float[] scores;

        Ranked(Object[] r) {
            users = (int[]) r[0];
            scores = (float[]) r[1];
        }

        /** Users, best first (ties: smaller id). */
        public int[] users() {
            return users.clone();
        }

        /** Their scores (cosine similarities for the peer directions). */
        public float[] scores() {
            return scores.clone();
        }

        public int size() {
            return users.length;
        }
    }

    /** Result of {@link #lost}: users and the time of their last event. */
    public static final class Lost {
        private final int[] users;
        private final long[] lastTimes;

        Lost(Object[] r) {
            users = (int[]) r[0];
            lastTimes = (long[]) r[1];
        }

        /** Users, ascending. */
        public int[] users() {
            return users.clone();
        }

        /** Their last event time. */
        public long[] lastTimes() {
            return lastTimes.clone();
        }
    }

    /** Result of {@link #union}: users and the directions that found each. */
    public static final class Union {
        private final int[] users, directions;

        Union(Object[] r) {
            users = (int[]) r[0];
            directions = (int[]) r[1];
        }

        /** Users, ascending, each once. */
        public int[] users() {
            return users.clone();
        }

        /** OR of the direction flags of the lists holding each user. */
        public int[] directions() {
            return directions.clone();
        }
    }

    /* ---- interest ----------------------------------------------------------------------- */

    /**
     * TGI and TA concentration of every attribute of a user x attribute CSR ({@code nattrs}
     * columns) for a seed against the population ({@code growth_audience_tgi}).
     */
    public static Tgi tgi(long[] indptr, int[] indices, int nattrs, int[] seed) {
        return new Tgi(Native.audienceTgi(indptr, indices, nattrs, seed));
    }

    /**
     * Interest expansion ({@code growth_audience_interest}): the attributes passing the
     * thresholds and the users holding at least {@code min_match} of them. Keys: min_tgi,
     * min_concentration, min_seed_count, max_attrs, min_match, include_seed.
     */
    public static Interest interest(long[] indptr, int[] indices, int nattrs, int[] seed,
                                    String config) {
        return new Interest(Native.audienceInterest(indptr, indices, nattrs, seed,
                Native.config(config)));
    }

    /* ---- related brands ----------------------------------------------------------------- */

    /**
     * The {@code k} brands most similar to each of {@code brands} by the Jaccard similarity of
     * their buyer sets, from a user x brand CSR ({@code growth_audience_similar_brands}).
     */
    public static SimilarBrands similarBrands(long[] indptr, int[] indices, int nbrands,
                                              int[] brands, int k) {
        return new SimilarBrands(Native.audienceSimilarBrands(indptr, indices, nbrands, brands, k),
                k);
    }

    /**
     * Related-brand expansion ({@code growth_audience_brand}): buyers of the brands most similar
     * to {@code brands}, outside the seed; users ascending. Keys: k, min_jaccard, min_brands,
     * include_seed.
     */
    public static int[] brand(long[] indptr, int[] indices, int nbrands, int[] brands,
                              int[] seed, String config) {
        return Native.audienceBrand(indptr, indices, nbrands, brands, seed,
                Native.config(config));
    }

    /* ---- association rules -------------------------------------------------------------- */

    /**
     * Association rules {@code A -> B} between single categories of a user x category CSR
     * ({@code growth_audience_rules}); {@code consequents} null for rules into any category.
     * Keys: min_support, min_confidence, min_lift.
     */
    public static Rules rules(long[] indptr, int[] indices, int ncats, int[] consequents,
                              String config) {
        return new Rules(Native.audienceRules(indptr, indices, ncats, consequents,
                Native.config(config)));
    }

    /**
     * Category expansion ({@code growth_audience_category}): users holding the antecedent of
     * rules into the {@code targets} categories, outside the seed; users ascending. Keys:
     * min_support, min_confidence, min_lift, min_rules, include_seed.
     */
    public static int[] category(long[] indptr, int[] indices, int ncats, int[] targets,
                                 int[] seed, String config) {
        return Native.audienceCategory(indptr, indices, ncats, targets, seed,
                Native.config(config));
    }

    /* ---- peer --------------------------------------------------------------------------- */

    /**
     * Peer expansion ({@code growth_audience_peer}): the {@code n} users most similar to the
     * seed by cosine similarity of their embeddings ({@code embeddings}: nusers x dim floats,
     * row-major), exact. Keys: mode (max, centroid), min_similarity, include_seed.
     */
    public static Ranked peer(float[] embeddings, int dim, int[] seed, int n, String config) {
        return new Ranked(Native.audiencePeer(embeddings, dim, seed, n, Native.config(config)));
    }

    /**
     * Peer expansion through a vector index ({@code growth_audience_peer_index}): {@code index}
     * holds the users' embeddings under their user ids (metric cosine, or ip over unit-length
     * vectors); a flat index gives {@link #peer}'s users, HNSW / IVF approximate them. Same keys
     * as {@link #peer}. Safe beside other searches of the index; the index is held for the call.
     */
    public static Ranked peerIndex(Index index, int[] seed, int n, String config) {
        if (index == null) throw new NullPointerException("index must not be null");
        byte[] c = Native.config(config);
        long h = index.acquire();
        try {
            return new Ranked(Native.audiencePeerIndex(h, seed, n, c));
        } finally {
            index.release();
        }
    }

    /* ---- lost --------------------------------------------------------------------------- */

    /**
     * Lost audience ({@code growth_audience_lost}) from events ({@code users[i]},
     * {@code times[i]}): users whose last event lies in [now - window, now - inactive). Keys:
     * now, inactive, window, min_events.
     */
    public static Lost lost(int[] users, long[] times, int nusers, String config) {
        return new Lost(Native.audienceLost(users, times, nusers, Native.config(config)));
    }

    /* ---- union -------------------------------------------------------------------------- */

    /**
     * Union of several directions' user lists with de-duplication
     * ({@code growth_audience_union}): {@code lists[i]} was found by {@code directions[i]} (any
     * non-zero flags, e.g. {@link #INTEREST} | {@link #PEER}).
     */
    public static Union union(int[][] lists, int[] directions, int nusers) {
        return new Union(Native.audienceUnion(lists, directions, nusers));
    }

    /* ---- PU target model and selection -------------------------------------------------- */

    /**
     * Trains a target model by PU learning (positives = {@code seed}) on a user x feature CSR
     * ({@code values} null for all ones, else one per index) and scores {@code pool}: one float
     * per pool user ({@code growth_audience_pu_score}). Keys: learner (forest, ftrl), method
     * (spy, prior, naive), unlabeled, negatives, spy_fraction, spy_quantile, rounds, max_depth,
     * eta, epochs, alpha, l1, l2, threads, seed.
     */
    public static float[] puScore(long[] indptr, int[] indices, float[] values, int nfeat,
                                  int[] seed, int[] pool, String config) {
        return puScore(indptr, indices, values, nfeat, seed, pool, config, null);
    }

    /**
     * {@link #puScore(long[], int[], float[], int, int[], int[], String)} reporting progress
     * (stage "fit" before each learner fit and once with done = 1); returning false cancels the
     * call ({@link CanceledException}).
     */
    public static float[] puScore(long[] indptr, int[] indices, float[] values, int nfeat,
                                  int[] seed, int[] pool, String config, Progress progress) {
        return Native.audiencePuScore(indptr, indices, values, nfeat, seed, pool,
                Native.config(config), progress);
    }

    /**
     * The best {@code n} users of a scored pool ({@code growth_audience_select}): drops scores
     * below {@code threshold} and the {@code exclude} users (null for none), best first (ties:
     * smaller id), at most n.
     */
    public static Ranked select(int[] users, float[] scores, int[] exclude, float threshold,
                                int n) {
        return new Ranked(Native.audienceSelect(users, scores, exclude, threshold, n));
    }
}
