package org.libgrowth;

/**
 * A DSSM two-tower text model ({@code growth_dssm}, nets.h; Huang et al., CIKM 2013): texts
 * are word-hashed (letter trigrams, CJK characters and pairs; {@link #hashText}) into
 * {@link #buckets()} slots, then a query tower or an item tower maps them to an L2-normalised
 * vector of {@link #dim()} floats; the cosine of a query and an item is their dot product.
 * Loaded from a libgrowth model file of kind {@code dssm} (the Python package's
 * {@code growth.export}).
 *
 * <p>Each object holds the model and one inference workspace ({@code workspaceConfig} "batch=N",
 * default 256). Thread-safety as for {@link Net}: the object may be shared by threads; a call made
 * while another thread uses the workspace runs on a temporary workspace of its own.
 * {@link #close()} may be called while other threads are inside calls: the C object is freed when
 * the last of them returns.
 *
 * <pre>{@code
 * try (DSSM d = DSSM.load("search.dssm")) {
 *     float[] items = d.encodeItems(titles);            // titles.length x dim()
 *     float[] cos = d.score("red running shoes", titles);
 * }
 * }</pre>
 */
public final class DSSM extends Handle {
    /** Tower selector of {@link #encode}: the query tower. */
    public static final int QUERY = 0;
    /** Tower selector of {@link #encode}: the item tower. */
    public static final int ITEM = 1;

    /** Word hashing of one text: ascending distinct slots and their counts. */
    public static final class Hashed {
        private final int[] slots;
        private final int[] counts;

        Hashed(int[] packed) {
            int k = packed.length / 2;
            slots = new int[k];
            counts = new int[k];
            System.arraycopy(packed, 0, slots, 0, k);
            System.arraycopy(packed, k, counts, 0, k);
        }

        /** Ascending distinct slots (each &lt; buckets). */
        public int[] slots() {
            return slots.clone();
        }

        /** How many n-grams fell in each slot. */
        public int[] counts() {
            return counts.clone();
        }

        public int size() {
            return slots.length;
        }

        @Override
        public String toString() {
            return "Hashed{slots=" + slots.length + "}";
        }
    }

    private DSSM(long ptr) {
        super(ptr, Native::dssmFree);
    }

    /** Loads a {@code dssm} model file, with the default workspace. */
    public static DSSM load(String path) {
        return load(path, null);
    }

    /** Loads a {@code dssm} model file; {@code workspaceConfig} e.g. "batch=64" (null: defaults). */
    public static DSSM load(String path, String workspaceConfig) {
        return new DSSM(Native.dssmLoad(Native.cstr(path, "path"),
                Native.cstr(workspaceConfig == null ? "" : workspaceConfig, "workspaceConfig")));
    }

    /** Rebuilds a DSSM from model-file bytes ({@link #serialize()}), default workspace. */
    public static DSSM deserialize(byte[] buf) {
        return deserialize(buf, null);
    }

    /** Rebuilds a DSSM from model-file bytes with a workspace configuration (null: defaults). */
    public static DSSM deserialize(byte[] buf, String workspaceConfig) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new DSSM(Native.dssmDeserialize(buf,
                Native.cstr(workspaceConfig == null ? "" : workspaceConfig, "workspaceConfig")));
    }

    /** The word hashing of {@code text} into {@code buckets} slots (1..2^31-1) with {@code seed}. */
    public static Hashed hashText(String text, int buckets, long seed) {
        return new Hashed(Native.dssmHashText(Native.cstr(text, "text"), buckets, seed));
    }

    /** The model, e.g. "buckets=30000 seed=0 query=dense:30000x300,tanh,... item=...". */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.dssmConfig(h));
        } finally {
            release();
        }
    }

    private long dims(int i) {
        long h = acquire();
        try {
            return Native.dssmDims(h)[i];
        } finally {
            release();
        }
    }

    /** Embedding width. */
    public int dim() {
        return (int) dims(0);
    }

    /** Word-hashing slots. */
    public long buckets() {
        return dims(1);
    }

    /** Word-hashing seed. */
    public long seed() {
        return dims(2);
    }

    /**
     * L2-normalised embeddings of {@code texts} through one tower ({@link #QUERY} or
     * {@link #ITEM}): texts.length x dim() floats, row-major.
     */
    public float[] encode(int tower, String[] texts) {
        byte[] packed = Native.pack(texts, "texts");
        long h = acquire();
        try {
            return Native.dssmEncode(h, tower, packed, texts.length);
        } finally {
            release();
        }
    }

    /** Query-tower embeddings: texts.length x dim() floats, row-major. */
    public float[] encodeQueries(String[] texts) {
        return encode(QUERY, texts);
    }

    /** Item-tower embeddings: texts.length x dim() floats, row-major. */
    public float[] encodeItems(String[] texts) {
        return encode(ITEM, texts);
    }

    /** Cosine of the query (query tower) and each item (item tower): items.length scores. */
    public float[] score(String query, String[] items) {
        byte[] q = Native.cstr(query, "query");
        byte[] packed = Native.pack(items, "items");
        long h = acquire();
        try {
            return Native.dssmScore(h, q, packed, items.length);
        } finally {
            release();
        }
    }

    /** Saves the model atomically (a {@code dssm} model file). */
    public void save(String path) {
        byte[] p = Native.cstr(path, "path");
        long h = acquire();
        try {
            Native.dssmSave(h, p);
        } finally {
            release();
        }
    }

    /** The model-file bytes ({@link #deserialize(byte[])} rebuilds the model). */
    public byte[] serialize() {
        long h = acquire();
        try {
            return Native.dssmSerialize(h);
        } finally {
            release();
        }
    }
}
