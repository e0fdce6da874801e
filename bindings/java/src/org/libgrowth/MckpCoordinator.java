package org.libgrowth;

/**
 * The coordinator of a sharded MCKP solve ({@code growth_mckp_coord}, the unstable
 * growth/sys/budget.h): the single-machine solver's search as a state machine over the replies
 * of shards, so that any engine (Spark executors, actors, threads) can drive the same solve.
 *
 * <pre>{@code
 * try (MckpCoordinator co = new MckpCoordinator(shards, nUsers, nOptions, budgets, "")) {
 *     while (!co.next())
 *         for (int w = 0; w < shards; w++) {                  // in parallel, where shard w lives
 *             double[] rq = co.request(w);
 *             if (rq != null) co.feed(w, solver[w].shardStep(ip[w], v[w], c[w], k, rq, plan[w]));
 *         }
 *     MckpResult r = co.result();                             // choice() is empty: plans stay on the shards
 * }
 * }</pre>
 *
 * <p>With the shards in user order the plan (the shards' {@code plan} arrays) and prices equal
 * {@link Mckp#solve} on the whole problem. A shard that fails is reported with
 * {@link #fail}; the next {@link #next} then throws its code and message, and the plans are void.
 * Thread-safety: one thread at a time, except {@link #cancel()}.
 */
public final class MckpCoordinator extends Handle {
    private final int k;

    /**
     * A coordinator for nUsers users and nOptions options in total over nShards shards (in user
     * order), with K = budgets.length budgets; config "max_iter=200 tol=1e-10 fill=true".
     */
    public MckpCoordinator(int nShards, long nUsers, long nOptions, double[] budgets, String config) {
        super(Native.mckpCoordCreate(nShards, nUsers, nOptions, budgets, Native.config(config)),
                Native::mckpCoordFree);
        this.k = budgets.length;
    }

    /** Consumes the last round's replies and writes the next requests; true when finished. */
    public boolean next() {
        long h = acquire();
        try {
            return Native.mckpCoordNext(h);
        } finally {
            release();
        }
    }

    /** This round's request for a shard, or null when it has nothing to do. */
    public double[] request(int shard) {
        long h = acquire();
        try {
            return Native.mckpCoordRequest(h, shard);
        } finally {
            release();
        }
    }

    /** Feeds a shard's reply ({@link Mckp#shardStep}). */
    public void feed(int shard, double[] reply) {
        long h = acquire();
        try {
            Native.mckpCoordFeed(h, shard, reply);
        } finally {
            release();
        }
    }

    /** Reports that a shard failed with a status code (&lt; 0) and message (may be null). */
    public void fail(int shard, int code, String message) {
        long h = acquire();
        try {
            Native.mckpCoordFail(h, shard, code, message == null ? null : Native.config(message));
        } finally {
            release();
        }
    }

    /** Asks the solve to stop; the next {@link #next} throws CanceledException. Any thread. */
    public void cancel() {
        long h = acquire();
        try {
            Native.mckpCoordCancel(h);
        } finally {
            release();
        }
    }

    /** The finished solve's summary and prices (its choice() is empty: the plan is the shards'). */
    public MckpResult result() {
        long h = acquire();
        try {
            double[] r = Native.mckpCoordResult(h);
            double[] duals = Native.mckpCoordDuals(h, k);
            return new MckpResult(new int[0], r, duals);
        } finally {
            release();
        }
    }

    /** Counters: rounds, requests, shard passes, doubles to shards, doubles from shards. */
    public long[] stats() {
        long h = acquire();
        try {
            return Native.mckpCoordStats(h);
        } finally {
            release();
        }
    }
}
