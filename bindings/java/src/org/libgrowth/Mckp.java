package org.libgrowth;

/**
 * A multiple-choice knapsack solver ({@code growth_mckp}, budget.h): user i picks at most one of
 * its options j (values[j] >= 0, costs[j * K + k] >= 0 in K budgets) so that the total value is
 * largest with every budget respected. Users and options come in CSR form: user i owns options
 * indptr[i] .. indptr[i+1] (indptr[0] may be > 0). Solved by Lagrangian duality: exact LP with
 * one budget, a certified gap with several.
 *
 * <p>Configuration keys: {@code threads} (1), {@code max_iter} (200), {@code tol} (1e-10),
 * {@code fill} (true). Bad input throws {@link GrowthException} EINVAL naming the problem.
 *
 * <p>Thread-safety: a solver is used by one thread at a time, except {@link #cancel()}, which
 * may be called from any thread while a solve runs (not while the solver is being closed).
 */
public final class Mckp extends Handle {
    /** Progress of a long solve, called in the solving thread between passes. */
    @FunctionalInterface
    public interface Progress extends org.libgrowth.Progress {
        /**
         * @param stage short name of the stage ("hull", "select", "assign", ...)
         * @param done  fraction done in [0, 1]
         * @return true to continue, false to cancel (the solve throws CanceledException, code ECANCELED); an exception
         *         thrown here cancels the solve and propagates from it
         */
        @Override
        boolean onProgress(String stage, double done);
    }

    /** Result of {@link #shardEval}: per price point the spend (K each), value and dual part. */
    public static final class ShardEval {
        private final double[] spend, value, dual;

        ShardEval(double[] spend, double[] value, double[] dual) {
            this.spend = spend;
            this.value = value;
            this.dual = dual;
        }

        /** Spend, points x K row-major. */
        public double[] spend() {
            return spend.clone();
        }

        /** Value of the choices per point. */
        public double[] value() {
            return value.clone();
        }

        /** sum_i max(0, max_j v_ij - lambda . c_ij) per point. */
        public double[] dual() {
            return dual.clone();
        }
    }

    /** Result of {@link #shardAssign}: choices, spend per budget and value of one shard. */
    public static final class ShardAssignment {
        private final int[] choice;
        private final double[] spend;
        private final double value;

        ShardAssignment(int[] choice, double[] spend, double value) {
            this.choice = choice;
            this.spend = spend;
            this.value = value;
        }

        public int[] choice() {
            return choice.clone();
        }

        public double[] spend() {
            return spend.clone();
        }

        public double value() {
            return value;
        }
    }

    /** A solver with the default configuration. */
    public Mckp() {
        this("");
    }

    /** A solver from a configuration string, e.g. "threads=2 max_iter=100". */
    public Mckp(String config) {
        super(Native.mckpCreate(Native.config(config)), Native::mckpFree);
    }

    /** Effective configuration ("threads=1 max_iter=200 ..."). */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.mckpConfig(h));
        } finally {
            release();
        }
    }

    /** Asks a running solve to stop (it throws CanceledException, code ECANCELED); safe from any thread. */
    public void cancel() {
        long h = acquire();
        try {
            Native.mckpCancel(h);
        } finally {
            release();
        }
    }

    /** Solves with K = budgets.length budgets (1..64); costs has values.length x K entries. */
    public MckpResult solve(long[] indptr, double[] values, double[] costs, double[] budgets) {
        return solve(indptr, values, costs, budgets, null);
    }

    /** Like {@link #solve(long[], double[], double[], double[])} reporting progress. */
    public MckpResult solve(long[] indptr, double[] values, double[] costs, double[] budgets,
                            Progress progress) {
        long p = acquire();
        try {
            int[] choice = Native.mckpSolve(p, indptr, values, costs, budgets, progress);
            double[] r = Native.mckpResult(p);
            double[] duals = Native.mckpDuals(p, (int) r[9]);
            return new MckpResult(choice, r, duals);
        } finally {
            release();
        }
    }

    /**
     * Evaluates one shard of users at several price vectors ({@code lambda}: points x K,
     * row-major, each >= 0), for a distributed price search.
     */
    public ShardEval shardEval(long[] indptr, double[] values, double[] costs, int nBudgets,
                               double[] lambda) {
        if (lambda == null) throw new NullPointerException("lambda must not be null");
        if (nBudgets < 1)
            throw new GrowthException(Status.EINVAL, "Mckp.shardEval: nBudgets = " + nBudgets
                    + " must be >= 1");
        int points = lambda.length / nBudgets;
        double[] spend = new double[lambda.length], value = new double[points],
                dual = new double[points];
        long h = acquire();
        try {
            Native.mckpShardEval(h, indptr, values, costs, nBudgets, lambda, spend, value,
                    dual);
        } finally {
            release();
        }
        return new ShardEval(spend, value, dual);
    }

    /** Assigns one shard's users at final prices {@code lambda} (K entries). */
    public ShardAssignment shardAssign(long[] indptr, double[] values, double[] costs,
                                       double[] lambda) {
        if (indptr == null) throw new NullPointerException("indptr must not be null");
        if (lambda == null) throw new NullPointerException("lambda must not be null");
        int[] choice = new int[Math.max(indptr.length - 1, 0)];
        double[] spend = new double[lambda.length];
        long h = acquire();
        try {
            double v = Native.mckpShardAssign(h, indptr, values, costs, lambda, choice, spend);
            return new ShardAssignment(choice, spend, v);
        } finally {
            release();
        }
    }

    /**
     * One request of a coordinated solve ({@link MckpCoordinator}) on one shard of users: the
     * shard's side of the protocol ({@code growth_mckp_shard_step}, unstable). {@code plan}
     * (one entry per user) is the shard's share of the plan, updated in place; keep it for the
     * whole solve. Returns the reply to feed to the coordinator.
     */
    public double[] shardStep(long[] indptr, double[] values, double[] costs, int nBudgets,
                              double[] request, int[] plan) {
        long h = acquire();
        try {
            return Native.mckpShardStep(h, indptr, values, costs, nBudgets, request, plan);
        } finally {
            release();
        }
    }
}
