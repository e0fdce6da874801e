package org.libgrowth;

/**
 * An oCPX bidder with budget pacing and first-price bid shading ({@code growth_bidder},
 * bidding.h). A bid is the value of an impression — target_cpa x pCTR x pCVR (oCPM), target_cpa x
 * pCVR (oCPC), or with {@code mode=roi} the order value / target_roi in place of target_cpa —
 * times the pacing multiplier, shaded in first-price auctions, capped at {@code bid_cap}, and 0
 * ("do not bid") below {@code bid_floor}, when throttled, or when the day's budget is spent.
 *
 * <p>Configuration keys (see bidding.h): mode, billing, target_cpa, target_roi, bid_floor,
 * bid_cap, auction, shading, shade_buckets, shade_min_price, shade_max_price, shade_min_obs,
 * shade_floor, budget, plan, curve, day_seconds, controller, interval, catchup, kp, ki, kd,
 * initial_multiplier, min_multiplier, max_multiplier, initial_rate, min_rate, max_step. Bad keys
 * or values, and NaN or out-of-range inputs, throw {@link GrowthException} EINVAL (a failed call
 * leaves the bidder unchanged); another kind of file or corrupted bytes EFORMAT.
 *
 * <p>Thread-safety: {@link #bid}, {@link #bidBatch}, {@link #multiplier}, {@link #rate},
 * {@link #winRate}, {@link #plannedSpend} and {@link #spent} take no lock in the library and may
 * run from any number of threads, also while another thread reports spend or auction results;
 * the mutating and persistence calls serialise inside the library. {@link #close()} must not
 * race other calls.
 *
 * <pre>{@code
 * try (Bidder b = new Bidder("target_cpa=80 budget=50000 controller=pid")) {
 *     double bid = b.bid(pctr, pcvr, 0, requestId);     // hot path, any thread
 *     if (won) b.record(secondsSinceMidnight, price);   // feedback thread
 * }
 * }</pre>
 */
public final class Bidder extends Handle {
    /** A bidder with every default (target_cpa=1 budget=1000, PID pacing, second price). */
    public Bidder() {
        this("");
    }

    /** A bidder from a configuration string, e.g. "target_cpa=80 budget=50000". */
    public Bidder(String config) {
        super(Native.bidderCreate(Native.config(config)), Native::bidderFree);
    }

    private Bidder(long ptr) {
        super(ptr, Native::bidderFree);
    }

    /** Loads a bidder saved by {@link #save(String)}; another kind of file is EFORMAT. */
    public static Bidder load(String path) {
        return new Bidder(Native.bidderLoad(Native.cstr(path, "path")));
    }

    /** Rebuilds a bidder from {@link #serialize()} bytes. */
    public static Bidder deserialize(byte[] buf) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new Bidder(Native.bidderDeserialize(buf));
    }

    /** Effective configuration ("mode=cpa billing=cpm ..."). */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.bidderConfig(h));
        } finally {
            release();
        }
    }

    /**
     * The bid for one impression (0 = do not bid): calibrated {@code pctr} and {@code pcvr} in
     * [0, 1], {@code orderValue} (mode=roi: finite, &gt;= 0; ignored with mode=cpa), and any
     * {@code requestId} (the throttle controller hashes it).
     */
    public double bid(double pctr, double pcvr, double orderValue, long requestId) {
        long h = acquire();
        try {
            return Native.bidderBid(h, pctr, pcvr, orderValue, requestId);
        } finally {
            release();
        }
    }

    /** {@code bid(pctr, pcvr, 0, requestId)}. */
    public double bid(double pctr, double pcvr, long requestId) {
        return bid(pctr, pcvr, 0.0, requestId);
    }

    /**
     * Bids for n impressions; {@code orderValue} may be null (all 0; mode=roi needs it) and
     * {@code requestIds} null (ids 0 .. n-1). The first bad entry is named in the EINVAL message.
     */
    public double[] bidBatch(double[] pctr, double[] pcvr, double[] orderValue,
                             long[] requestIds) {
        long h = acquire();
        try {
            return Native.bidderBidBatch(h, pctr, pcvr, orderValue, requestIds);
        } finally {
            release();
        }
    }

    /**
     * Reports spend: {@code cost} (finite, &gt;= 0) paid at time {@code t} (seconds since the
     * start of the day, in [0, day_seconds]), then runs the controller steps due up to t.
     */
    public void record(double t, double cost) {
        long h = acquire();
        try {
            Native.bidderRecord(h, t, cost);
        } finally {
            release();
        }
    }

    /** Runs the controller steps due up to time {@code t} without new spend. */
    public void tick(double t) {
        long h = acquire();
        try {
            Native.bidderTick(h, t);
        } finally {
            release();
        }
    }

    /**
     * Win/loss feedback of one first-price auction for the shading curve: the price bid
     * (finite, &gt; 0), whether it won, and the highest other bid if the exchange revealed it
     * (else {@code Double.NaN}).
     */
    public void auctionResult(double bid, boolean won, double marketPrice) {
        long h = acquire();
        try {
            Native.bidderAuctionResult(h, bid, won, marketPrice);
        } finally {
            release();
        }
    }

    /** Feedback without the market price: {@code auctionResult(bid, won, Double.NaN)}. */
    public void auctionResult(double bid, boolean won) {
        auctionResult(bid, won, Double.NaN);
    }

    private double[] pacing() {
        long h = acquire();
        try {
            return Native.bidderStats(h);
        } finally {
            release();
        }
    }

    /** The current pacing multiplier of the bid. */
    public double multiplier() {
        return pacing()[0];
    }

    /** The current participation rate (controller=throttle; 1 otherwise unless configured). */
    public double rate() {
        return pacing()[1];
    }

    /** Learnt probability of winning at {@code price}, in [0, 1]. */
    public double winRate(double price) {
        long h = acquire();
        try {
            return Native.bidderWinRate(h, price);
        } finally {
            release();
        }
    }

    /** Number of auction results seen by the shading curve. */
    public long auctionResults() {
        return (long) pacing()[3];
    }

    /** Planned cumulative spend at time {@code t}. */
    public double plannedSpend(double t) {
        long h = acquire();
        try {
            return Native.bidderPlan(h, t);
        } finally {
            release();
        }
    }

    /** Spend reported so far today. */
    public double spent() {
        return pacing()[2];
    }

    /**
     * Starts a new day: spend and controller clock back to 0; the multiplier, rate and shading
     * curve carry over.
     */
    public void newDay() {
        long h = acquire();
        try {
            Native.bidderNewDay(h);
        } finally {
            release();
        }
    }

    /** Saves the full state atomically (model kind "bidder"). */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.bidderSave(h, p);
        } finally {
            release();
        }
    }

    /** The full state as bytes ({@link #deserialize(byte[])} rebuilds it). */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.bidderSerialize(h);
        } finally {
            release();
        }
    }
}
