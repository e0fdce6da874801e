package org.libgrowth;

/**
 * A set of advertising channels with concave response curves ({@code growth_channels},
 * budget.h): allocates a total budget over them and gives the marginal value of one more unit.
 * Curves: {@link #CURVE_EXP} a (1 - exp(-b x)), {@link #CURVE_LOG} a log(1 + b x), or
 * piecewise-linear through measured points; each with an outcome weight and min/max spend.
 *
 * <p>Configuration: {@code tol} (1e-12). Adding channels must not race other calls; allocations
 * only read the set.
 */
public final class Channels extends Handle {
    /** a * (1 - exp(-b * x)). */
    public static final int CURVE_EXP = 1;
    /** a * log(1 + b * x). */
    public static final int CURVE_LOG = 2;

    /** An optimal split of one budget. */
    public static final class Allocation {
        private final double[] spend, outcome;
        private final double total, marginal;

        Allocation(double[] spend, double[] outcome, double total, double marginal) {
            this.spend = spend;
            this.outcome = outcome;
            this.total = total;
            this.marginal = marginal;
        }

        /** Spend per channel. */
        public double[] spend() {
            return spend.clone();
        }

        /** Weighted outcome per channel. */
        public double[] outcome() {
            return outcome.clone();
        }

        /** Total weighted outcome. */
        public double total() {
            return total;
        }

        /** Weighted outcome of one more unit of budget at the optimum. */
        public double marginal() {
            return marginal;
        }
    }

    /** The budget -> outcome curve: per budget the optimal total, marginal value and split. */
    public static final class Curve {
        private final double[] total, marginal, spend;
        private final int channels;

        Curve(double[] total, double[] marginal, double[] spend, int channels) {
            this.total = total;
            this.marginal = marginal;
            this.spend = spend;
            this.channels = channels;
        }

        public double[] total() {
            return total.clone();
        }

        public double[] marginal() {
            return marginal.clone();
        }

        /** Splits, budgets x channels row-major. */
        public double[] spend() {
            return spend.clone();
        }

        /** Number of channels (the row length of {@link #spend()}). */
        public int channels() {
            return channels;
        }
    }

    /** An empty channel set with the default configuration. */
    public Channels() {
        this("");
    }

    /** An empty channel set from a configuration string, e.g. "tol=1e-9". */
    public Channels(String config) {
        super(Native.channelsCreate(Native.config(config)), Native::channelsFree);
    }

    /** Number of channels. */
    public int count() {
        long h = acquire();
        try {
            return Native.channelsCount(h);
        } finally {
            release();
        }
    }

    /**
     * Adds a parametric channel (kind {@link #CURVE_EXP} or {@link #CURVE_LOG}; a, b >= 0):
     * outcome weight x curve(x) for spend x in [minSpend, maxSpend] (maxSpend may be
     * {@link Double#POSITIVE_INFINITY}). Returns the channel's index.
     */
    public int add(int kind, double a, double b, double weight, double minSpend,
                   double maxSpend) {
        long h = acquire();
        try {
            return Native.channelsAdd(h, kind, a, b, weight, minSpend, maxSpend);
        } finally {
            release();
        }
    }

    /**
     * Adds a piecewise-linear channel through measured points (x[0] = 0 < x[1] < ...), concave and
     * non-decreasing, flat beyond the last point. Returns the channel's index.
     */
    public int addPoints(double[] x, double[] y, double weight, double minSpend, double maxSpend) {
        long h = acquire();
        try {
            return Native.channelsAddPoints(h, x, y, weight, minSpend, maxSpend);
        } finally {
            release();
        }
    }

    /** Optimal split of {@code budget} (extra spend that gains nothing is left unspent). */
    public Allocation allocate(double budget) {
        long p = acquire();
        try {
            int n = Native.channelsCount(p);
            double[] spend = new double[n], outcome = new double[n];
            double[] r = Native.channelsAllocate(p, budget, spend, outcome);
            return new Allocation(spend, outcome, r[0], r[1]);
        } finally {
            release();
        }
    }

    /** The optimal total outcome, marginal value and split for each of {@code budgets}. */
    public Curve curve(double[] budgets) {
        if (budgets == null) throw new NullPointerException("budgets must not be null");
        long p = acquire();
        try {
            int n = Native.channelsCount(p);
            long cells = (long) budgets.length * n;
            if (cells > Integer.MAX_VALUE - 8)
                throw new GrowthException(Status.ENOMEM,
                        "Channels.curve: budgets x channels exceeds a Java array");
            double[] total = new double[budgets.length], marginal = new double[budgets.length];
            double[] spend = new double[(int) cells];
            Native.channelsCurve(p, budgets, total, marginal, spend);
            return new Curve(total, marginal, spend, n);
        } finally {
            release();
        }
    }
}
