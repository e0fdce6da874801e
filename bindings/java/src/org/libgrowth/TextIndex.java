package org.libgrowth;

/**
 * An inverted index of item texts with BM25 scoring ({@code growth_text_index}, text.h). Texts
 * are cut into words (ASCII letters lower-cased with {@code lowercase=true}) and character
 * n-grams of CJK runs; results are ordered by score (descending), then by id ascending, and only
 * documents sharing a term with the query are returned.
 *
 * <p>Configuration keys (see text.h): k1, b, ngram, lowercase. Bad keys or values, a bad or
 * duplicate id, and a query without any token (empty, or only separators) throw
 * {@link GrowthException} EINVAL; scoring an id that is not live ENOTFOUND; another kind of file
 * or corrupted bytes EFORMAT. A failed call leaves the index unchanged. Search filters are not
 * exposed.
 *
 * <p>Thread-safety: {@link #search}, {@link #score}, {@link #count()}, {@link #config()} and saves
 * may run from any number of threads at once, also beside add, delete, compact and set, which take
 * the library's writer lock. {@link #close()} may be called while other threads are inside calls:
 * the C object is freed when the last of them returns.
 *
 * <pre>{@code
 * try (TextIndex ix = new TextIndex("k1=1.2 b=0.75")) {
 *     ix.add(new long[] {101, 102}, new String[] {"red summer dress", "running shoes"});
 *     SearchResult r = ix.search("summer dress", 10);
 * }
 * }</pre>
 */
public final class TextIndex extends Handle {
    /** An empty index with every default (k1=1.2 b=0.75 ngram=2 lowercase=true search=wand). */
    public TextIndex() {
        this("");
    }

    /** An empty index from a configuration string, e.g. "k1=1.2 b=0.75 ngram=2". */
    public TextIndex(String config) {
        super(Native.textCreate(Native.config(config)), Native::textFree);
    }

    private TextIndex(long ptr) {
        super(ptr, Native::textFree);
    }

    /** Loads an index saved by {@link #save(String)}; another kind of file is EFORMAT. */
    public static TextIndex load(String path) {
        return new TextIndex(Native.textLoad(Native.cstr(path, "path")));
    }

    /** Rebuilds an index from {@link #serialize()} bytes. */
    public static TextIndex deserialize(byte[] buf) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new TextIndex(Native.textDeserialize(buf));
    }

    /** Effective configuration ("k1=1.2 b=0.75 ngram=2 lowercase=true search=wand max_memory=0"). */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.textConfig(h));
        } finally {
            release();
        }
    }

    /** Changes the query-time BM25 parameters k1 and/or b, or the top-k algorithm (e.g. "k1=1.5", "search=exhaustive"). */
    public void set(String config) {
        byte[] c = Native.cstr(config, "config");
        long h = acquire();
        try {
            Native.textSet(h, c);
        } finally {
            release();
        }
    }

    /**
     * Adds documents: {@code ids[i]} (&gt;= 0, unique among themselves and the live documents; a
     * deleted id may be added again) has text {@code texts[i]}. All or nothing.
     */
    public void add(long[] ids, String[] texts) {
        byte[] packed = Native.pack(texts, "texts");
        long h = acquire();
        try {
            Native.textAdd(h, ids, packed, texts.length);
        } finally {
            release();
        }
    }

    /**
     * Removes documents by id ({@code growth_text_remove}): ids that are not live are skipped,
     * an id listed twice is removed once. Returns how many documents were removed.
     */
    public long delete(long[] ids) {
        long h = acquire();
        try {
            return Native.textDelete(h, ids);
        } finally {
            release();
        }
    }

    /** Drops the postings of deleted documents and frees their memory. */
    public void compact() {
        long h = acquire();
        try {
            Native.textCompact(h);
        } finally {
            release();
        }
    }

    /** The {@code k} (&gt;= 1) best documents for {@code query} by BM25. */
    public SearchResult search(String query, int k) {
        byte[] q = Native.cstr(query, "query");
        if (k < 0)
            throw new GrowthException(Status.EINVAL, "TextIndex.search: k=" + k + " is negative");
        long[] ids = new long[k];
        float[] scores = new float[k];
        long h = acquire();
        try {
            int found = Native.textSearch(h, q, k, ids, scores);
            return new SearchResult(ids, scores, found);
        } finally {
            release();
        }
    }

    /** BM25 scores of the given live documents for {@code query} (0 without query terms). */
    public float[] score(String query, long[] ids) {
        byte[] q = Native.cstr(query, "query");
        long h = acquire();
        try {
            return Native.textScore(h, q, ids);
        } finally {
            release();
        }
    }

    private long[] countArray() {
        long h = acquire();
        try {
            return Native.textCount(h);
        } finally {
            release();
        }
    }

    /** Live documents. */
    public long size() {
        return countArray()[0];
    }

    /** {docs, terms, postings}: live documents, distinct live terms, stored postings. */
    public long[] count() {
        return countArray();
    }

    /** Saves atomically (model kind "text_index"); deleted documents are not written. */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.textSave(h, p);
        } finally {
            release();
        }
    }

    /** The index as bytes ({@link #deserialize(byte[])} rebuilds it). */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.textSerialize(h);
        } finally {
            release();
        }
    }

    /**
     * Fuses ranked candidate lists (best first) into one de-duplicated top-k list: configuration
     * keys method ({@code rrf} or {@code weighted}), rrf_k, norm (null for the defaults).
     * {@code scores} may be null (or hold null rows) for rrf; {@code weights} null means all 1.
     */
    public static SearchResult fuse(String config, long[][] ids, float[][] scores,
                                    double[] weights, int k) {
        byte[] c = Native.config(config);
        if (k < 0)
            throw new GrowthException(Status.EINVAL, "TextIndex.fuse: k=" + k + " is negative");
        long[] outIds = new long[k];
        float[] outScores = new float[k];
        int found = Native.textFuse(c, ids, scores, weights, k, outIds, outScores);
        return new SearchResult(outIds, outScores, found);
    }
}
