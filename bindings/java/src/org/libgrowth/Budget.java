package org.libgrowth;

/**
 * Budget solving (budget.h): one-call multiple-choice knapsack and push allocation. For repeated
 * solves, cancellation, progress or the shard API use {@link Mckp}; for channel budgets on
 * response curves, {@link Channels}.
 */
public final class Budget {
    private Budget() {}

    /**
     * Solves an MCKP with one budget: user i picks at most one of options indptr[i] ..
     * indptr[i+1] (values >= 0, costs >= 0, one per option) with total cost <= budget.
     * {@code config} as for {@link Mckp#Mckp(String)} (null for defaults).
     */
    public static MckpResult solveMckp(long[] indptr, double[] values, double[] costs,
                                       double budget, String config) {
        return solveMckp(indptr, values, costs, new double[] {budget}, config);
    }

    /**
     * Solves an MCKP with K = budgets.length budgets; costs[j * K + k] is option j's cost in
     * budget k.
     */
    public static MckpResult solveMckp(long[] indptr, double[] values, double[] costs,
                                       double[] budgets, String config) {
        try (Mckp s = new Mckp(config)) {
            return s.solve(indptr, values, costs, budgets);
        }
    }

    /**
     * Push allocation: chooses (user, message) pairs maximising the sum of values under per-user
     * caps, per-category count quotas and a global volume limit.
     *
     * @param config       "max_iter=300 tol=1e-12 cap=1" keys, or null for defaults
     * @param userPtr      n_users + 1 offsets: user u's pairs are userPtr[u] .. userPtr[u+1]
     * @param values       value per pair (finite, >= 0), indexed like userPtr
     * @param category     category per pair in [0, nCategories)
     * @param caps         per-user cap (>= 0), or null for the configured {@code cap}
     * @param catMin       per-category minimum pushes, or null (0)
     * @param catMax       per-category maximum pushes, or null (unlimited)
     * @param volume       global limit ({@link Double#POSITIVE_INFINITY} for none)
     * @param hours        null, or n_users x 24 open-rate profile: each sent push of a user gets
     *                     a distinct hour
     */
    public static PushResult push(String config, long[] userPtr, double[] values, int[] category,
                                  int[] caps, int nCategories, double[] catMin, double[] catMax,
                                  double volume, double[] hours) {
        if (userPtr == null) throw new NullPointerException("userPtr must not be null");
        int pairs = 0;
        if (userPtr.length >= 2) {
            long np = userPtr[userPtr.length - 1] - userPtr[0];
            // a bad range is reported by the library call below (EINVAL)
            if (np > 0 && np <= Integer.MAX_VALUE - 8) pairs = (int) np;
        }
        boolean[] send = new boolean[pairs];
        byte[] hour = hours != null ? new byte[pairs] : null;
        double[] r = Native.pushAllocate(Native.config(config), userPtr, values, category, caps,
                nCategories, catMin, catMax, volume, hours, send, hour);
        return new PushResult(send, hour, r);
    }

    /** Push allocation with the configured per-user cap, no quotas and no hours. */
    public static PushResult push(String config, long[] userPtr, double[] values, int[] category,
                                  int nCategories, double volume) {
        return push(config, userPtr, values, category, null, nCategories, null, null, volume,
                null);
    }
}
