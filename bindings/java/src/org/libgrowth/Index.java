package org.libgrowth;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * A top-K vector index over float32 embeddings with int64 ids ({@code growth_index},
 * recall.h): exact ({@code kind=flat}), HNSW ({@code kind=hnsw}) or IVF-flat ({@code kind=ivf}).
 * Scores: {@code metric=ip} the inner product and {@code cosine} the cosine similarity, both
 * best first (descending); {@code l2} the squared Euclidean distance, best first (ascending).
 *
 * <p>Configuration keys (see recall.h): dim (required), metric, kind, M, ef_construction, ef,
 * nlist, nprobe, iters, threads, quantize, rescore, seed. Bad keys or values, a vector whose
 * length is not dim, NaN or Inf, a duplicate id and k = 0 throw {@link GrowthException} EINVAL;
 * searching an index without a live vector ESTATE; another kind of file or corrupted bytes
 * EFORMAT. Search filters (allow-lists, bitmaps, callbacks) are not exposed.
 *
 * <p>Thread-safety: searches, {@link #stats()}, {@link #config()} and saves may run from any number
 * of threads at once, also beside the mutating calls (add, remove, compact, set, train), which
 * serialise inside the library. {@link #close()} may be called while other threads are inside
 * calls: the C object is freed when the last of them returns.
 *
 * <pre>{@code
 * try (Index ix = new Index("dim=128 metric=cosine kind=hnsw")) {
 *     ix.add(itemVectors, itemIds);                 // n x 128 floats, row-major
 *     SearchResult r = ix.search(userVector, 10);   // any thread
 *     long[] best = r.ids();
 * }
 * }</pre>
 */
public final class Index extends Handle {
    /** An empty index from a configuration string, e.g. "dim=128 metric=cosine kind=hnsw". */
    public Index(String config) {
        super(Native.indexCreate(Native.config(config)), Native::indexFree);
    }

    private Index(long ptr) {
        super(ptr, Native::indexFree);
    }

    /** Loads an index saved by {@link #save(String)}; another kind of file is EFORMAT. */
    public static Index load(String path) {
        return new Index(Native.indexLoad(Native.cstr(path, "path")));
    }

    /** Rebuilds an index from {@link #serialize()} bytes. */
    public static Index deserialize(byte[] buf) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new Index(Native.indexDeserialize(buf));
    }

    /** Effective configuration ("dim=128 metric=cosine kind=hnsw ..."). */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.indexConfig(h));
        } finally {
            release();
        }
    }

    /** Changes search-time settings: any of ef, nprobe, threads, rescore (e.g. "ef=128"). */
    public void set(String config) {
        byte[] c = Native.cstr(config, "config");
        long h = acquire();
        try {
            Native.indexSet(h, c);
        } finally {
            release();
        }
    }

    /**
     * Trains the IVF coarse quantiser on n &gt;= nlist sample vectors ({@code x}: n x dim floats,
     * row-major); only for kind=ivf while the index is empty (else ESTATE).
     */
    public void train(float[] x) {
        long h = acquire();
        try {
            Native.indexTrain(h, x);
        } finally {
            release();
        }
    }

    /**
     * Adds n vectors ({@code x}: n x dim floats, row-major) with ids &gt;= 0 unique among
     * themselves and the live vectors; {@code ids} null assigns 1 + the largest id seen (0 for
     * the first). Validation precedes any change.
     */
    public void add(float[] x, long[] ids) {
        long h = acquire();
        try {
            Native.indexAdd(h, x, ids);
        } finally {
            release();
        }
    }

    /** {@code add(x, null)}: ids assigned in sequence. */
    public void add(float[] x) {
        add(x, null);
    }

    /** Deletes vectors by id; returns how many were present (absent ids are not an error). */
    public long remove(long[] ids) {
        long h = acquire();
        try {
            return Native.indexRemove(h, ids);
        } finally {
            release();
        }
    }

    /** Drops removed vectors and frees their memory; HNSW rebuilds its graph. */
    public void compact() {
        long h = acquire();
        try {
            Native.indexCompact(h);
        } finally {
            release();
        }
    }

    private static void checkK(String who, int k) {
        if (k < 0) throw new GrowthException(Status.EINVAL, who + ": k=" + k + " is negative");
    }

    /**
     * The {@code k} (&gt;= 1) best items for one query of dim floats; fewer when fewer items
     * are live.
     */
    public SearchResult search(float[] q, int k) {
        checkK("Index.search", k);
        long[] ids = new long[k];
        float[] scores = new float[k];
        long h = acquire();
        try {
            int found = Native.indexSearch(h, q, k, ids, scores);
            return new SearchResult(ids, scores, found);
        } finally {
            release();
        }
    }

    /**
     * The {@code k} (&gt;= 1) best items for one query, read from and written to direct buffers
     * without copies: {@code q} holds dim floats; ids and scores, best first, are written at the
     * positions of {@code ids} and {@code scores} (at least k must remain in each, else
     * {@link BufferTooSmallException}). Returns the number found (fewer than k when fewer items
     * are live); the same results as {@link #search(float[], int)}. Buffers must be direct (e.g.
     * {@code ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder())} or a view of one) and in
     * native byte order, else IllegalArgumentException; their elements between position and
     * limit are used in place, without copies, and positions are not changed.
     */
    public int search(FloatBuffer q, int k, LongBuffer ids, FloatBuffer scores) {
        checkK("Index.search", k);
        Buffers.in(q, "q");
        Buffers.out(ids, "ids");
        Buffers.out(scores, "scores");
        long h = acquire();
        try {
            return Native.indexSearchBuf(h, q, q.position(), q.remaining(), k, ids,
                    ids.position(), scores, scores.position(),
                    Math.min(ids.remaining(), scores.remaining()));
        } finally {
            release();
        }
    }

    /**
     * The {@code k} best items for each of {@code nq} queries ({@code q}: nq x dim floats,
     * row-major), run on the configured number of threads; one result per query.
     */
    public SearchResult[] searchBatch(float[] q, int nq, int k) {
        checkK("Index.searchBatch", k);
        if (nq < 0)
            throw new GrowthException(Status.EINVAL, "Index.searchBatch: nq=" + nq + " is negative");
        long total = (long) nq * k;
        if (total > Integer.MAX_VALUE)
            throw new GrowthException(Status.EINVAL, "Index.searchBatch: nq * k exceeds a Java array");
        long[] ids = new long[(int) total];
        float[] scores = new float[(int) total];
        long h = acquire();
        try {
            Native.indexSearchBatch(h, q, nq, k, ids, scores);
        } finally {
            release();
        }
        SearchResult[] out = new SearchResult[nq];
        for (int i = 0; i < nq; i++) out[i] = SearchResult.row(ids, scores, i, k);
        return out;
    }

    private long[] statsArray() {
        long h = acquire();
        try {
            return Native.indexStats(h);
        } finally {
            release();
        }
    }

    /** Live vectors. */
    public long size() {
        return statsArray()[0];
    }

    /** Removed vectors not yet dropped by {@link #compact()}. */
    public long deleted() {
        return statsArray()[1];
    }

    /** Vector dimension. */
    public int dim() {
        return (int) statsArray()[2];
    }

    /** Bytes of memory held. */
    public long memoryBytes() {
        return statsArray()[3];
    }

    /** Bytes of a vector's scanned form: 4 dim (float), 2 dim (storage=fp16), pq_m (storage=pq). */
    public long codeBytes() {
        return statsArray()[4];
    }

    /** memoryBytes / size rounded up (everything the index holds, per live vector); 0 when empty. */
    public long bytesPerVector() {
        return statsArray()[5];
    }

    /** {size, deleted, dim, memoryBytes, codeBytes, bytesPerVector} read at once. */
    public long[] stats() {
        return statsArray();
    }

    /** Saves atomically (model kind "index"). */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.indexSave(h, p);
        } finally {
            release();
        }
    }

    /** The index as bytes ({@link #deserialize(byte[])} rebuilds it). */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.indexSerialize(h);
        } finally {
            release();
        }
    }
}
