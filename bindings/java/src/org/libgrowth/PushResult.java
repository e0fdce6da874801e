package org.libgrowth;

/** Result of a push allocation ({@link Budget#push}): the plan per pair and its summary. */
public final class PushResult {
    private final boolean[] send;
    private final byte[] hour;
    private final double[] r;

    PushResult(boolean[] send, byte[] hour, double[] r) {
        this.send = send;
        this.hour = hour;
        this.r = r;
    }

    /** Per candidate pair (userPtr[0] .. userPtr[n_users], offset by userPtr[0]): send it? */
    public boolean[] send() {
        return send.clone();
    }

    /** Per pair, the send hour 0..23 or -1; null unless an hours profile was given. */
    public byte[] hour() {
        return hour == null ? null : hour.clone();
    }

    /** Coordinate-descent rounds. */
    public int iterations() {
        return (int) r[0];
    }

    /** Expected opens of the integer plan (sum of chosen values). */
    public double value() {
        return r[1];
    }

    /** Best dual bound found (the LP optimum at convergence). */
    public double lpValue() {
        return r[2];
    }

    /** lpValue - value. */
    public double gap() {
        return r[3];
    }

    /** Pushes in the integer plan. */
    public long sent() {
        return (long) r[4];
    }

    @Override
    public String toString() {
        return "PushResult{value=" + value() + ", lpValue=" + lpValue() + ", sent=" + sent() + "}";
    }
}
