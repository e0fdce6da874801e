package org.libgrowth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Placements with one fitted response curve per outcome (installs, logins, day-1 retained users),
 * and the multi-outcome budget allocation over them ({@code growth_channels_fit},
 * {@code growth_response_*}, budget.h).
 *
 * <p>{@link #fitCurve} fits one concave, non-decreasing curve through the origin to logged
 * (spend, outcome) pairs: {@code exp} a (1 - exp(-b x)), {@code log} a log(1 + b x), {@code pwl}
 * concave piecewise-linear, or {@code auto} (the lowest BIC). {@link #fit} fits every placement's
 * curves from spend-log rows. {@link #allocate} maximises a weighted sum of the outcomes under a
 * total budget, per-platform budgets, per-placement min/max spend and minimum ratios of outcome k
 * to outcome 0 (e.g. a login rate). Adding placements and curves must not race other calls;
 * allocations only read the model.
 */
public final class ResponseModel extends Handle {
    /** The outcomes of a model made by {@link #fit}, in order. */
    public static final String[] OUTCOMES = {"installs", "logins", "retained"};

    /** A fitted curve. */
    public static final class Fit {
        private final String family;
        private final double a, b, r2, rmse, spendLo, spendHi;
        private final long n;
        private final double[] knotX, knotY;

        Fit(double[] r) {
            int fam = (int) r[0];
            family = fam == Channels.CURVE_EXP ? "exp" : fam == Channels.CURVE_LOG ? "log" : "pwl";
            a = r[1];
            b = r[2];
            r2 = r[3];
            rmse = r[4];
            spendLo = r[5];
            spendHi = r[6];
            n = (long) r[7];
            int k = (int) r[8];
            knotX = java.util.Arrays.copyOfRange(r, 9, 9 + k);
            knotY = java.util.Arrays.copyOfRange(r, 9 + k, 9 + 2 * k);
        }

        /** "exp", "log" or "pwl". */
        public String family() {
            return family;
        }

        public double a() {
            return a;
        }

        public double b() {
            return b;
        }

        /** Weighted R^2. */
        public double r2() {
            return r2;
        }

        /** Weighted root mean squared error. */
        public double rmse() {
            return rmse;
        }

        /** Smallest logged spend. */
        public double spendLo() {
            return spendLo;
        }

        /** Largest logged spend. */
        public double spendHi() {
            return spendHi;
        }

        /** Observations used. */
        public long n() {
            return n;
        }

        /** Knot spends of a "pwl" fit (empty otherwise). */
        public double[] knotX() {
            return knotX.clone();
        }

        /** Knot outcomes of a "pwl" fit (empty otherwise). */
        public double[] knotY() {
            return knotY.clone();
        }

        /** The fitted outcome at spend x. */
        public double value(double x) {
            if (family.equals("exp")) return -a * Math.expm1(-b * x);
            if (family.equals("log")) return a * Math.log1p(b * x);
            if (x >= knotX[knotX.length - 1]) return knotY[knotY.length - 1];
            int i = 0;
            while (knotX[i + 1] <= x) i++;
            return knotY[i] + (x - knotX[i]) / (knotX[i + 1] - knotX[i]) * (knotY[i + 1] - knotY[i]);
        }
    }

    /** One budget's plan. */
    public static final class Plan {
        private final double[] spend, outcomes, totals;
        private final double objective, totalSpend, marginal, price, bound;
        private final double[] multipliers;
        private final long extrapolated;
        private final int nOutcomes;

        Plan(double[] spend, double[] outcomes, int nOutcomes, double[] r) {
            this.spend = spend;
            this.outcomes = outcomes;
            this.nOutcomes = nOutcomes;
            totals = new double[nOutcomes];
            for (int i = 0; i < spend.length; i++)
                for (int k = 0; k < nOutcomes; k++) totals[k] += outcomes[i * nOutcomes + k];
            objective = r[0];
            totalSpend = r[1];
            marginal = r[2];
            price = r[3];
            multipliers = new double[] {r[4], r[5]};
            extrapolated = (long) r[6];
            bound = r[7];
        }

        /** Spend per placement. */
        public double[] spend() {
            return spend.clone();
        }

        /** Predicted outcomes, placements x outcomes row-major. */
        public double[] outcomes() {
            return outcomes.clone();
        }

        /** Predicted outcome k of placement i. */
        public double outcome(int i, int k) {
            return outcomes[i * nOutcomes + k];
        }

        /** Total of each outcome. */
        public double[] totals() {
            return totals.clone();
        }

        /** Weighted sum of the totals. */
        public double objective() {
            return objective;
        }

        /** Total spend. */
        public double totalSpend() {
            return totalSpend;
        }

        /** Objective of one more unit of total budget. */
        public double marginal() {
            return marginal;
        }

        /** The total budget's Lagrange multiplier. */
        public double price() {
            return price;
        }

        /** Lagrange multipliers of the (at most two) ratio constraints, in outcome order. */
        public double[] multipliers() {
            return multipliers.clone();
        }

        /** Placements whose spend lies outside their logged spend range. */
        public long extrapolated() {
            return extrapolated;
        }

        /** No plan within the constraints has a larger objective. */
        public double bound() {
            return bound;
        }
    }

    private final int nOutcomes;
    private final List<String> placements = new ArrayList<>();
    private final List<String> platforms = new ArrayList<>();
    private final List<Fit[]> fits = new ArrayList<>();

    /** An empty model for {@code nOutcomes} outcomes (1..16); configuration "tol=..." or "". */
    public ResponseModel(int nOutcomes, String config) {
        super(Native.responseCreate(nOutcomes, Native.config(config)), Native::responseFree);
        this.nOutcomes = nOutcomes;
    }

    /**
     * Fits one curve: {@code family} "auto", "exp", "log" or "pwl"; {@code weight} may be null.
     */
    public static Fit fitCurve(double[] spend, double[] outcome, double[] weight, String family) {
        return new Fit(Native.channelsFit(spend, outcome, weight, Native.config("family=" + family)));
    }

    /**
     * Fits a model from spend-log rows (one per placement and day): each placement's installs,
     * logins and retained curves. {@code platform} may be null (no platform budgets then).
     */
    public static ResponseModel fit(String[] placement, String[] platform, double[] spend, double[] installs,
                                    double[] logins, double[] retained, String family) {
        int n = placement.length;
        if (spend.length != n || installs.length != n || logins.length != n || retained.length != n
                || (platform != null && platform.length != n))
            throw new InvalidArgumentException("ResponseModel.fit: the columns differ in length");
        Map<String, List<Integer>> rows = new LinkedHashMap<>();
        Map<String, String> plat = new LinkedHashMap<>();
        List<String> platNames = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            rows.computeIfAbsent(placement[r], k -> new ArrayList<>()).add(r);
            if (platform != null) {
                String prev = plat.putIfAbsent(placement[r], platform[r]);
                if (prev != null && !prev.equals(platform[r]))
                    throw new InvalidArgumentException("ResponseModel.fit: placement " + placement[r]
                            + " is on platforms " + prev + " and " + platform[r]);
                if (!platNames.contains(platform[r])) platNames.add(platform[r]);
            }
        }
        ResponseModel m = new ResponseModel(3, "");
        try {
            m.platforms.addAll(platNames);
            for (Map.Entry<String, List<Integer>> e : rows.entrySet()) {
                List<Integer> idx = e.getValue();
                double[] x = new double[idx.size()];
                double[][] ys = new double[3][idx.size()];
                for (int i = 0; i < x.length; i++) {
                    int r = idx.get(i);
                    x[i] = spend[r];
                    ys[0][i] = installs[r];
                    ys[1][i] = logins[r];
                    ys[2][i] = retained[r];
                }
                Fit[] f = new Fit[3];
                for (int k = 0; k < 3; k++) f[k] = fitCurve(x, ys[k], null, family);
                int group = platform == null ? -1 : platNames.indexOf(plat.get(e.getKey()));
                m.add(e.getKey(), group, f);
            }
            return m;
        } catch (RuntimeException ex) {
            m.close();
            throw ex;
        }
    }

    /**
     * Adds a placement with its fitted curves (one per outcome), in group (platform) {@code group}
     * (-1 for none). Returns its index.
     */
    public int add(String name, int group, Fit[] curves) {
        if (curves.length != nOutcomes)
            throw new InvalidArgumentException("ResponseModel.add: " + curves.length + " curves for "
                    + nOutcomes + " outcomes");
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (Fit f : curves) {
            lo = Math.min(lo, f.spendLo);
            hi = Math.max(hi, f.spendHi);
        }
        long h = acquire();
        try {
            int p = Native.responseAdd(h, group, lo, hi);
            for (int k = 0; k < nOutcomes; k++) {
                Fit f = curves[k];
                if (f.family.equals("pwl"))
                    Native.responseSetPoints(h, p, k, f.knotX, f.knotY);
                else
                    Native.responseSetCurve(h, p, k, f.family.equals("exp") ? Channels.CURVE_EXP
                            : Channels.CURVE_LOG, f.a, f.b);
            }
            placements.add(name);
            fits.add(curves.clone());
            return p;
        } finally {
            release();
        }
    }

    /** Placement names in order. */
    public String[] placements() {
        return placements.toArray(new String[0]);
    }

    /** Platform names (group g is platforms()[g]); empty without platforms. */
    public String[] platforms() {
        return platforms.toArray(new String[0]);
    }

    /** The fitted curve of outcome k of placement i. */
    public Fit fitOf(int i, int k) {
        return fits.get(i)[k];
    }

    /**
     * Optimal split: {@code budgets[0]} the total, {@code budgets[1 + g]} platform g's
     * ({@link Double#POSITIVE_INFINITY} for none); {@code weights} one per outcome;
     * {@code minRatio} null or one per outcome (entry 0 is 0; entry k: total outcome k >= ratio x
     * total outcome 0); {@code minSpend}/{@code maxSpend} null or one per placement.
     */
    public Plan allocate(double[] budgets, double[] weights, double[] minRatio, double[] minSpend,
                         double[] maxSpend) {
        if (weights == null) throw new NullPointerException("weights must not be null");
        if (weights.length != nOutcomes)
            throw new InvalidArgumentException("ResponseModel.allocate: weights has " + weights.length
                    + " entries for " + nOutcomes + " outcomes");
        if (minRatio != null && minRatio.length != nOutcomes)
            throw new InvalidArgumentException("ResponseModel.allocate: minRatio has " + minRatio.length
                    + " entries for " + nOutcomes + " outcomes");
        long h = acquire();
        try {
            int n = placements.size();
            double[] spend = new double[n], outcomes = new double[n * nOutcomes];
            double[] r = Native.responseAllocate(h, budgets, weights, minRatio, minSpend, maxSpend, spend,
                    outcomes);
            return new Plan(spend, outcomes, nOutcomes, r);
        } finally {
            release();
        }
    }

    /**
     * The plan of {@link #fit}'s three outcomes: maximise {@code weights} . (installs, logins,
     * retained) with logins / installs >= {@code minLoginRate} and retained / installs >=
     * {@code minRetentionRate} (0 for none), {@code platformBudgets} by platform name (may be null).
     */
    public Plan allocate(double budget, double[] weights, double minLoginRate, double minRetentionRate,
                         Map<String, Double> platformBudgets) {
        double[] b = new double[1 + platforms.size()];
        java.util.Arrays.fill(b, Double.POSITIVE_INFINITY);
        b[0] = budget;
        if (platformBudgets != null)
            for (Map.Entry<String, Double> e : platformBudgets.entrySet()) {
                int g = platforms.indexOf(e.getKey());
                if (g < 0) throw new InvalidArgumentException("ResponseModel.allocate: unknown platform " + e.getKey());
                b[1 + g] = e.getValue();
            }
        return allocate(b, weights, new double[] {0, minLoginRate, minRetentionRate}, null, null);
    }
}
