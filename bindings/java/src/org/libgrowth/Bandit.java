package org.libgrowth;

/**
 * A bandit over a set of arms with one policy ({@code growth_bandit}, bandit.h): every request
 * {@link #select}s an arm and gets a decision id; the reward for a decision arrives later,
 * possibly much later and in any order, through {@link #reward}.
 *
 * <p>Policies ({@code policy=}): {@code thompson} (default), {@code egreedy}, {@code ucb1},
 * {@code klucb}, {@code lints}, {@code linucb} (the linear ones need {@code dim} and a context of
 * dim floats per select). Other keys: seed, stream, streams, prior_alpha, prior_beta, epsilon,
 * epsilon_decay, epsilon_min, ucb_c, klucb_c, lambda, alpha, v, refresh, ts_scale, ts_max_count,
 * propensity_draws, ttl, ttl_seconds, decay, window, max_arms (see bandit.h).
 *
 * <p>Arm ids are 64-bit values below 2^63 (or ids of named arms, {@link #nameId}, which have the
 * top bit set: negative as a Java {@code long}). A reward for a decision that is unknown,
 * expired, already rewarded or whose arm was removed throws {@link GrowthException} with code
 * {@link Status#ENOTFOUND} (and is counted in {@link #stats()}), never applied twice.
 *
 * <p>Thread-safety: selects, probabilities and the getters may run from any number of threads at
 * once; rewards, arm changes and saves serialise inside the library. A single-threaded sequence of
 * calls is fully determined by the seed; a bandit restored from {@link #serialize()} makes exactly
 * the same future decisions. {@link #close()} may be called while other threads are inside calls:
 * the C object is freed when the last of them returns.
 *
 * <pre>{@code
 * try (Bandit b = new Bandit("thompson", new long[] {1, 2, 3}, 7)) {
 *     Bandit.Decision d = b.select(null, new long[] {2, 3});
 *     // ... show arm d.arm(); later:
 *     b.reward(d.decisionId(), 1.0);
 * }
 * }</pre>
 */
public final class Bandit extends Handle {
    /** Offline estimators of {@link #ope}: Li et al.'s replay. */
    public static final int OPE_REPLAY = 0;
    /** Inverse propensity scoring. */
    public static final int OPE_IPS = 1;
    /** Self-normalised IPS. */
    public static final int OPE_SNIPS = 2;
    /** Doubly robust. */
    public static final int OPE_DR = 3;

    /** One decision: the id to reward, the chosen arm and the probability of the choice. */
    public static final class Decision {
        private final long decisionId, arm;
        private final double propensity;

        Decision(long decisionId, long arm, double propensity) {
            this.decisionId = decisionId;
            this.arm = arm;
            this.propensity = propensity;
        }

        /** Id to pass to {@link Bandit#reward} (>= 1, increasing). */
        public long decisionId() {
            return decisionId;
        }

        /** The chosen arm id. */
        public long arm() {
            return arm;
        }

        /**
         * Probability that the policy makes this choice in this state (for a slate: that the arm
         * is in it); NaN for Thompson Sampling when propensity_draws = 0.
         */
        public double propensity() {
            return propensity;
        }

        @Override
        public String toString() {
            return "Decision{id=" + decisionId + ", arm=" + arm + ", propensity=" + propensity
                    + "}";
        }
    }

    /** Statistics of one arm. */
    public static final class ArmStats {
        private final double alpha, beta, count, mean;

        ArmStats(double[] v) {
            alpha = v[0];
            beta = v[1];
            count = v[2];
            mean = v[3];
        }

        /** Posterior alpha (Beta policies; 0 for the linear ones). */
        public double alpha() {
            return alpha;
        }

        /** Posterior beta (Beta policies; 0 for the linear ones). */
        public double beta() {
            return beta;
        }

        /** Evidence: sum of applied rewards' weights after forgetting (updates for linear). */
        public double count() {
            return count;
        }

        /** Posterior mean (NaN for the linear policies). */
        public double mean() {
            return mean;
        }

        @Override
        public String toString() {
            return "ArmStats{alpha=" + alpha + ", beta=" + beta + ", count=" + count + ", mean="
                    + mean + "}";
        }
    }

    /** Counters of a bandit. */
    public static final class Stats {
        private final long[] v;

        Stats(long[] v) {
            this.v = v;
        }

        /** Decisions made. */
        public long decisions() {
            return v[0];
        }

        /** Rewards applied. */
        public long applied() {
            return v[1];
        }

        /** Rewards for ids never issued. */
        public long unknown() {
            return v[2];
        }

        /** Rewards for decisions past ttl / ttl_seconds. */
        public long expired() {
            return v[3];
        }

        /** Second rewards for a decision. */
        public long duplicate() {
            return v[4];
        }

        /** Rewards for decisions whose arm was removed. */
        public long retired() {
            return v[5];
        }

        /** Decisions within ttl and not yet rewarded. */
        public long pending() {
            return v[6];
        }

        /** Current number of arms (the same as {@link Bandit#armCount()} at that moment). */
        public long arms() {
            return v[7];
        }

        @Override
        public String toString() {
            return "Stats{decisions=" + v[0] + ", applied=" + v[1] + ", unknown=" + v[2]
                    + ", expired=" + v[3] + ", duplicate=" + v[4] + ", retired=" + v[5]
                    + ", pending=" + v[6] + ", arms=" + v[7] + "}";
        }
    }

    /** An estimate and its standard error. */
    public static final class Estimate {
        private final double value, stderr;

        Estimate(double value, double stderr) {
            this.value = value;
            this.stderr = stderr;
        }

        public double value() {
            return value;
        }

        public double stderr() {
            return stderr;
        }

        @Override
        public String toString() {
            return "Estimate{value=" + value + ", stderr=" + stderr + "}";
        }
    }

    /** Result of {@link #replay}: mean reward over the matched events, and their number. */
    /** A choice among candidate rows (the logistic policies): decision id, row index, propensity. */
    public static final class Choice {
        private final long decisionId;
        private final int candidate;
        private final double propensity;

        Choice(long decisionId, int candidate, double propensity) {
            this.decisionId = decisionId;
            this.candidate = candidate;
            this.propensity = propensity;
        }

        /** Id to pass to {@link Bandit#reward(long, double)}. */
        public long decisionId() {
            return decisionId;
        }

        /** Index of the chosen candidate row. */
        public int candidate() {
            return candidate;
        }

        /**
         * Probability of this choice (exact for logistic_ucb/greedy; a Monte Carlo estimate for
         * logistic_ts with propensity_draws &gt; 0, else NaN).
         */
        public double propensity() {
            return propensity;
        }

        @Override
        public String toString() {
            return "Choice(" + Long.toUnsignedString(decisionId) + ", " + candidate + ", " + propensity + ")";
        }
    }

    /** Posterior means and precisions of slots of the shared logistic model. */
    public static final class Weights {
        private final double[] mean, precision;

        Weights(double[] mean, double[] precision) {
            this.mean = mean;
            this.precision = precision;
        }

        public double[] mean() {
            return mean.clone();
        }

        public double[] precision() {
            return precision.clone();
        }
    }

    /** A bootstrap interval of an offline estimate. */
    public static final class Interval {
        private final double value, lower, upper;

        Interval(double[] r) {
            value = r[0];
            lower = r[1];
            upper = r[2];
        }

        public double value() {
            return value;
        }

        public double lower() {
            return lower;
        }

        public double upper() {
            return upper;
        }

        @Override
        public String toString() {
            return "Interval(" + value + " [" + lower + ", " + upper + "])";
        }
    }

    public static final class Replay {
        private final double value;
        private final long matched;

        Replay(double value, long matched) {
            this.value = value;
            this.matched = matched;
        }

        /** Mean reward over matched events (NaN if none). */
        public double value() {
            return value;
        }

        public long matched() {
            return matched;
        }
    }

    /** A bandit without arms from a configuration string, e.g. "policy=ucb1 seed=3". */
    public Bandit(String config) {
        super(Native.banditCreate(Native.config(config)), Native::banditFree);
    }

    /** A bandit with policy {@code policy}, the given arms (default prior) and PRNG seed. */
    public Bandit(String policy, long[] arms, long seed) {
        super(createWithArms(policy, arms, seed), Native::banditFree);
    }

    private Bandit(long ptr) {
        super(ptr, Native::banditFree);
    }

    private static long createWithArms(String policy, long[] arms, long seed) {
        if (policy == null) throw new NullPointerException("policy must not be null");
        if (arms == null) throw new NullPointerException("arms must not be null");
        long b = Native.banditCreate(
                Native.config("policy=" + policy + " seed=" + Long.toUnsignedString(seed)));
        try {
            for (long id : arms) Native.banditAddArm(b, id, 0.5, 0.0);
        } catch (RuntimeException | Error e) {
            Native.banditFree(b);
            throw e;
        }
        return b;
    }

    /** Loads a bandit saved by {@link #save(String)}; another kind of file is EFORMAT. */
    public static Bandit load(String path) {
        return new Bandit(Native.banditLoad(Native.cstr(path, "path")));
    }

    /** Rebuilds a bandit from {@link #serialize()} bytes. */
    public static Bandit deserialize(byte[] buf) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new Bandit(Native.banditDeserialize(buf));
    }

    /** Stable id of a named arm (the library's hash of the name with the top bit set). */
    public static long nameId(String name) {
        return Native.banditNameId(Native.cstr(name, "name"));
    }

    /** Effective configuration ("policy=thompson dim=0 ..."). */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.banditConfig(h));
        } finally {
            release();
        }
    }

    /** Adds arm {@code id} (below 2^63, not present) with the configured default prior. */
    public void addArm(long id) {
        addArm(id, 0.5, 0.0);
    }

    /**
     * Adds arm {@code id} with a cold-start prior: rate in (0, 1) (e.g. a model's pCTR) and
     * pseudo-count strength (>= 0; 0 = the configured default prior).
     */
    public void addArm(long id, double priorRate, double priorStrength) {
        long h = acquire();
        try {
            Native.banditAddArm(h, id, priorRate, priorStrength);
        } finally {
            release();
        }
    }

    /** Adds an arm known by a name; returns its id ({@link #nameId(String)}). */
    public long addArmNamed(String name, double priorRate, double priorStrength) {
        byte[] n = Native.cstr(name, "name");
        long h = acquire();
        try {
            return Native.banditAddArmNamed(h, n, priorRate, priorStrength);
        } finally {
            release();
        }
    }

    /** Name of a named arm; ENOTFOUND for an unknown arm or one without a name. */
    public String armName(long id) {
        long h = acquire();
        try {
            return Native.str(Native.banditArmName(h, id));
        } finally {
            release();
        }
    }

    /** Retires an arm (ENOTFOUND if absent); rewards for its pending decisions are refused. */
    public void removeArm(long id) {
        long h = acquire();
        try {
            Native.banditRemoveArm(h, id);
        } finally {
            release();
        }
    }

    /** Replaces arm {@code oldId} by a fresh arm {@code newId} with the default prior. */
    public void replaceArm(long oldId, long newId) {
        replaceArm(oldId, newId, 0.5, 0.0);
    }

    /** Replaces arm {@code oldId} by a fresh arm {@code newId} (same dense index, new prior). */
    public void replaceArm(long oldId, long newId, double priorRate, double priorStrength) {
        long h = acquire();
        try {
            Native.banditReplaceArm(h, oldId, newId, priorRate, priorStrength);
        } finally {
            release();
        }
    }

    /** Number of arms. */
    public int armCount() {
        long h = acquire();
        try {
            return Native.banditArmCount(h);
        } finally {
            release();
        }
    }

    /** Ids of all arms in dense-index order (the order of {@link #selectKMask} masks). */
    public long[] arms() {
        long h = acquire();
        try {
            return Native.banditArms(h);
        } finally {
            release();
        }
    }

    /** Statistics of arm {@code id} (ENOTFOUND if absent). */
    public ArmStats armStats(long id) {
        long h = acquire();
        try {
            return new ArmStats(Native.banditArmStats(h, id));
        } finally {
            release();
        }
    }

    /**
     * Chooses one arm. {@code context}: dim floats for the linear policies, else null;
     * {@code eligible}: the arms allowed for this request, or null for all (an empty array is
     * ENOTFOUND, as is an id that is not an arm).
     */
    public Decision select(float[] context, long[] eligible) {
        long[] out = new long[2];
        double[] prop = new double[1];
        long h = acquire();
        try {
            Native.banditSelect(h, context, eligible, out, prop);
        } finally {
            release();
        }
        return new Decision(out[0], out[1], prop[0]);
    }

    /** Chooses one of all arms without a context. */
    public Decision select() {
        return select(null, null);
    }

    /**
     * Chooses a slate of k distinct arms, best first (1 <= k <= eligible arms); each has its own
     * decision id and is rewarded separately.
     */
    public Decision[] selectK(float[] context, long[] eligible, int k) {
        return selectK(context, eligible, null, k);
    }

    /** Like {@link #selectK(float[], long[], int)} with a mask over the dense arm index. */
    public Decision[] selectKMask(float[] context, boolean[] mask, int k) {
        if (mask == null) throw new NullPointerException("mask must not be null");
        return selectK(context, null, mask, k);
    }

    private Decision[] selectK(float[] context, long[] eligible, boolean[] mask, int k) {
        int cap = Math.max(k, 0);
        long[] d = new long[cap], a = new long[cap];
        double[] p = new double[cap];
        long h = acquire();
        try {
            Native.banditSelectK(h, context, eligible, mask, k, d, a, p);
        } finally {
            release();
        }
        return decisions(d, a, p);
    }

    /**
     * {@code n} independent single-arm decisions (one eligibility for all); {@code contexts} is
     * n x dim floats row-major, or null when the policy takes no context.
     */
    public Decision[] selectBatch(float[] contexts, int n, long[] eligible) {
        int cap = Math.max(n, 0);
        long[] d = new long[cap], a = new long[cap];
        double[] p = new double[cap];
        long h = acquire();
        try {
            Native.banditSelectBatch(h, contexts, n, eligible, d, a, p);
        } finally {
            release();
        }
        return decisions(d, a, p);
    }

    private static Decision[] decisions(long[] d, long[] a, double[] p) {
        Decision[] out = new Decision[d.length];
        for (int i = 0; i < d.length; i++) out[i] = new Decision(d[i], a[i], p[i]);
        return out;
    }

    /**
     * Probability that a single-arm select in the current state picks each eligible arm (out[i]
     * for eligible[i], or for dense index i when eligible is null); Monte Carlo with
     * {@code draws} re-draws from {@code seed} for Thompson Sampling. Does not change future
     * decisions.
     */
    public double[] probabilities(float[] context, long[] eligible, long draws, long seed) {
        long h = acquire();
        try {
            return Native.banditProbabilities(h, context, eligible, draws, seed);
        } finally {
            release();
        }
    }

    /**
     * Chooses one of the candidate rows with a shared-model contextual policy
     * ({@code policy=logistic_ts|logistic_ucb|logistic_greedy}). The candidates are CSR rows:
     * {@code indptr} has n + 1 non-decreasing offsets into {@code indices} (slots below 2^bits)
     * and {@code values} (null: all ones); {@code candidateIds} (or null) and
     * {@code priorRates} (or null; 0 = no prior, else a model's predicted rate in (0, 1)) give
     * the cold-start priors. No registration: any row can be scored.
     */
    public Choice selectCsr(long[] indptr, int[] indices, float[] values, long[] candidateIds,
                            double[] priorRates) {
        long[] out = new long[2];
        double[] prop = new double[1];
        long h = acquire();
        try {
            Native.banditSelectCsr(h, indptr, indices, values, candidateIds, priorRates, out, prop);
        } finally {
            release();
        }
        return new Choice(out[0], (int) out[1], prop[0]);
    }

    /** {@link #selectCsr} without priors. */
    public Choice selectCsr(long[] indptr, int[] indices, float[] values) {
        return selectCsr(indptr, indices, values, null, null);
    }

    /**
     * {@link #selectCsr} over candidate rows given as arrays: {@code rows[j]} holds the slots of
     * candidate j and {@code values[j]} its values (null: all ones; else values[j].length ==
     * rows[j].length).
     */
    public Choice select(int[][] rows, float[][] values, long[] candidateIds, double[] priorRates) {
        if (rows == null) throw new NullPointerException("rows");
        if (values != null && values.length != rows.length)
            throw new GrowthException(Status.EINVAL,
                    "Bandit.select: values has " + values.length + " rows, rows " + rows.length);
        long[] indptr = new long[rows.length + 1];
        for (int j = 0; j < rows.length; j++) {
            if (rows[j] == null) throw new NullPointerException("rows[" + j + "]");
            if (values != null && (values[j] == null || values[j].length != rows[j].length))
                throw new GrowthException(Status.EINVAL,
                        "Bandit.select: values[" + j + "] does not match rows[" + j + "] in length");
            indptr[j + 1] = indptr[j] + rows[j].length;
        }
        int[] idx = new int[(int) indptr[rows.length]];
        float[] val = values == null ? null : new float[idx.length];
        for (int j = 0; j < rows.length; j++) {
            System.arraycopy(rows[j], 0, idx, (int) indptr[j], rows[j].length);
            if (val != null) System.arraycopy(values[j], 0, val, (int) indptr[j], rows[j].length);
        }
        return selectCsr(indptr, idx, val, candidateIds, priorRates);
    }

    /** Posterior mean and precision of each slot of the shared logistic model. */
    public Weights weights(int[] slots) {
        if (slots == null) throw new NullPointerException("slots");
        double[] m = new double[slots.length], q = new double[slots.length];
        long h = acquire();
        try {
            Native.banditWeights(h, slots, m, q);
        } finally {
            release();
        }
        return new Weights(m, q);
    }

    /**
     * Applies the reward of a decision (in [0, 1] for the Beta policies). ENOTFOUND when the
     * decision is unknown, expired, already rewarded or its arm was removed.
     */
    public void reward(long decisionId, double value) {
        long h = acquire();
        try {
            Native.banditReward(h, decisionId, value);
        } finally {
            release();
        }
    }

    /**
     * Applies many rewards in order under one lock. All values are validated first (one bad
     * value: EINVAL, nothing applied). Returns a status per reward: {@link Status#OK} or
     * {@link Status#ENOTFOUND} (unknown/expired decisions are counted, not errors).
     */
    public int[] rewardBatch(long[] decisionIds, double[] values) {
        long h = acquire();
        try {
            return Native.banditRewardBatch(h, decisionIds, values);
        } finally {
            release();
        }
    }

    /** Decision and reward counters. */
    public Stats stats() {
        long h = acquire();
        try {
            return new Stats(Native.banditStats(h));
        } finally {
            release();
        }
    }

    /**
     * Replay evaluation on a log collected by a uniformly random policy: for each event the
     * bandit selects among {@code eligible} (null: all arms) and learns from the events where it
     * picks the logged arm. {@code contexts} is n x dim (null without context).
     */
    public Replay replay(float[] contexts, long[] arms, double[] rewards, long[] eligible) {
        long h = acquire();
        try {
            double[] r = Native.banditReplay(h, contexts, arms, rewards, eligible);
            return new Replay(r[0], (long) r[1]);
        } finally {
            release();
        }
    }

    /** Saves the complete state (arms, statistics, PRNG streams, pending decisions) atomically. */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.banditSave(h, p);
        } finally {
            release();
        }
    }

    /** The complete state as bytes ({@link #deserialize(byte[])} rebuilds it). */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.banditSerialize(h);
        } finally {
            release();
        }
    }

    /** Beta(a[i], b[i]) draws from a PRNG seeded with {@code seed} (Thompson's sampler). */
    public static double[] sampleBeta(long seed, double[] a, double[] b) {
        return Native.sampleBeta(seed, a, b);
    }

    /**
     * Offline value of a target policy from a log: {@code actions[i] < nActions},
     * {@code rewards} and logging {@code propensities} (in (0, 1]) per event, {@code target}
     * n x nActions probabilities (rows sum to 1), {@code qHat} n x nActions reward predictions
     * (DR only; may be null). {@code estimator} is one of the OPE_* constants.
     */
    public static Estimate ope(int estimator, int nActions, int[] actions, double[] rewards,
                               double[] propensities, double[] target, double[] qHat) {
        String name;
        switch (estimator) {
            case OPE_REPLAY: name = "replay"; break;
            case OPE_IPS: name = "ips"; break;
            case OPE_SNIPS: name = "snips"; break;
            case OPE_DR: name = "dr"; break;
            default:
                throw new GrowthException(Status.EINVAL,
                        "Bandit.ope: estimator " + estimator + " is not one of the OPE_* constants");
        }
        return ope(name, nActions, actions, rewards, propensities, target, qHat);
    }

    /**
     * {@link #ope(int, int, int[], double[], double[], double[], double[])} with the estimator
     * by name: "replay", "ips", "snips" or "dr" (the C config key {@code estimator=}).
     */
    public static Estimate ope(String estimator, int nActions, int[] actions, double[] rewards,
                               double[] propensities, double[] target, double[] qHat) {
        if (estimator == null) throw new NullPointerException("estimator");
        double[] r = Native.banditOpe(Native.config("estimator=" + estimator), nActions, actions,
                rewards, propensities, target, qHat);
        return new Estimate(r[0], r[1]);
    }

    /**
     * {@link #ope(String, int, int[], double[], double[], double[], double[])} with Open Bandit
     * Pipeline's hyperparameter {@code lambda} (clipping for ips/snips/dr, the switch threshold
     * for switch_dr, the shrinkage for dros; {@code Double.POSITIVE_INFINITY} = none). The
     * estimators: replay, dm (needs qHat, no propensities), ips, snips, dr, switch_dr, dros.
     */
    public static Estimate ope(String estimator, double lambda, int nActions, int[] actions, double[] rewards,
                               double[] propensities, double[] target, double[] qHat) {
        if (estimator == null) throw new NullPointerException("estimator");
        String cfg = "estimator=" + estimator;
        if (lambda != Double.POSITIVE_INFINITY) cfg += " lambda=" + Double.toString(lambda);
        double[] r = Native.banditOpe(Native.config(cfg), nActions, actions, rewards, propensities, target, qHat);
        return new Estimate(r[0], r[1]);
    }

    /**
     * Offline estimate with a seeded bootstrap percentile interval (growth_bandit_ope_interval);
     * {@code config} is the C configuration, e.g.
     * {@code "estimator=dr resamples=1000 confidence=0.95 seed=7"} (plus {@code lambda=}).
     */
    public static Interval opeInterval(String config, int nActions, int[] actions, double[] rewards,
                                       double[] propensities, double[] target, double[] qHat) {
        return new Interval(Native.banditOpeInterval(Native.config(config), nActions, actions, rewards,
                propensities, target, qHat));
    }
}
