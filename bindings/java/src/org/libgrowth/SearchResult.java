package org.libgrowth;

/**
 * The best items of one search ({@link Index#search}, {@link Index#searchBatch},
 * {@link TextIndex#search}, {@link TextIndex#fuse}): ids and scores best first, {@link #found()}
 * entries each (fewer than k when fewer items match).
 */
public final class SearchResult {
    private final long[] ids;
    private final float[] scores;

    /** Keeps the first {@code found} entries of {@code ids} and {@code scores}. */
    SearchResult(long[] ids, float[] scores, int found) {
        if (found == ids.length) {
            this.ids = ids;
            this.scores = scores;
        } else {
            this.ids = new long[found];
            this.scores = new float[found];
            System.arraycopy(ids, 0, this.ids, 0, found);
            System.arraycopy(scores, 0, this.scores, 0, found);
        }
    }

    /** Row {@code row} of a batch of k results per query: entries up to the first id -1. */
    static SearchResult row(long[] ids, float[] scores, int row, int k) {
        int off = row * k, found = 0;
        while (found < k && ids[off + found] != -1) found++;
        long[] i = new long[found];
        float[] s = new float[found];
        System.arraycopy(ids, off, i, 0, found);
        System.arraycopy(scores, off, s, 0, found);
        return new SearchResult(i, s, found);
    }

    /** Ids, best first ({@link #found()} entries). */
    public long[] ids() {
        return ids.clone();
    }

    /** Scores in the same order ({@link #found()} entries). */
    public float[] scores() {
        return scores.clone();
    }

    /** Number of results. */
    public int found() {
        return ids.length;
    }

    @Override
    public String toString() {
        return "SearchResult{found=" + found() + "}";
    }
}
