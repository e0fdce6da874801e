package org.libgrowth;

/**
 * Solution of a multiple-choice knapsack ({@link Mckp#solve}, {@link Budget#solveMckp}): the
 * integer plan, its value and spend, the LP optimum / dual bound and the certified gap.
 */
public final class MckpResult {
    private final int[] choice;
    private final double[] r;
    private final double[] lambda, spend;

    MckpResult(int[] choice, double[] r, double[] duals) {
        this.choice = choice;
        this.r = r;
        int k = duals.length / 2;
        this.lambda = new double[k];
        this.spend = new double[k];
        System.arraycopy(duals, 0, lambda, 0, k);
        System.arraycopy(duals, k, spend, 0, k);
    }

    /**
     * Per user, the chosen option as an offset within the user's options
     * (0 .. indptr[i+1] - indptr[i] - 1), or -1 for none.
     */
    public int[] choice() {
        return choice.clone();
    }

    /** Total value of the integer plan. */
    public double value() {
        return r[0];
    }

    /** LP optimum (one budget: exact; several: the best dual bound). */
    public double lpValue() {
        return r[1];
    }

    /** Certified upper bound on the integer optimum. */
    public double dualBound() {
        return r[2];
    }

    /** dualBound - value (>= 0 up to rounding). */
    public double gap() {
        return r[3];
    }

    /** gap / dualBound. */
    public double relGap() {
        return r[4];
    }

    /** Users in the instance. */
    public long users() {
        return (long) r[5];
    }

    /** Users with an option in the integer plan. */
    public long chosen() {
        return (long) r[6];
    }

    /** Coordinate-descent rounds (1 with one budget). */
    public int iterations() {
        return (int) r[7];
    }

    /** Users split between two options in the LP solution. */
    public int fractional() {
        return (int) r[8];
    }

    /** Number of budgets K. */
    public int budgets() {
        return (int) r[9];
    }

    /** Dual price per budget. */
    public double[] lambda() {
        return lambda.clone();
    }

    /** Spend of the integer plan per budget. */
    public double[] spend() {
        return spend.clone();
    }

    @Override
    public String toString() {
        return "MckpResult{value=" + value() + ", lpValue=" + lpValue() + ", gap=" + gap()
                + ", users=" + users() + ", chosen=" + chosen() + "}";
    }
}
