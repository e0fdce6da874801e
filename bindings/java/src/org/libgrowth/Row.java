package org.libgrowth;

/**
 * A reusable sparse-row builder ({@code growth_row}): clear it per request, add hashed features,
 * pass {@link #indices()} and {@link #values()} to a scorer. Used by one thread at a time.
 *
 * <p>Configuration keys: {@code bits} (1..32, default 24), {@code seed} (default 0),
 * {@code capacity}, {@code dedup}.
 */
public final class Row extends Handle {
    /** A row builder with the default configuration ("bits=24 seed=0"). */
    public Row() {
        this("");
    }

    /** A row builder configured by a key=value string; bad keys throw GrowthException EINVAL. */
    public Row(String config) {
        super(Native.rowCreate(Native.config(config)), Native::rowFree);
    }

    /** Empties the row, keeping its memory. */
    public Row clear() {
        long h = acquire();
        try {
            Native.rowClear(h);
            return this;
        } finally {
            release();
        }
    }

    /** Adds categorical feature (field, value) with value 1. */
    public Row addCat(String field, String value) {
        byte[] f = Native.cstr(field, "field"), v = Native.cstr(value, "value");
        long h = acquire();
        try {
            Native.rowAddCat(h, f, v);
            return this;
        } finally {
            release();
        }
    }

    /** Adds numeric feature {@code field} with value {@code x} (finite). */
    public Row addNum(String field, float x) {
        byte[] f = Native.cstr(field, "field");
        long h = acquire();
        try {
            Native.rowAddNum(h, f, x);
            return this;
        } finally {
            release();
        }
    }

    /** Adds the cross of fields[i] = values[i] (at least 2) with value 1. */
    public Row addCross(String[] fields, String[] values) {
        Features.checkCross(fields, values);
        byte[] f = Native.pack(fields, "fields"), v = Native.pack(values, "values");
        long h = acquire();
        try {
            Native.rowAddCross(h, f, v, fields.length);
            return this;
        } finally {
            release();
        }
    }

    /** Adds an already-hashed slot (uint32 bits, below 2^bits) with a finite value. */
    public Row addIndex(int index, float x) {
        long h = acquire();
        try {
            Native.rowAddIndex(h, index, x);
            return this;
        } finally {
            release();
        }
    }

    /** Number of entries. */
    public int size() {
        long h = acquire();
        try {
            return Native.rowSize(h);
        } finally {
            release();
        }
    }

    /** A copy of the row's slots (uint32 bits in ints). */
    public int[] indices() {
        long h = acquire();
        try {
            return Native.rowIndices(h);
        } finally {
            release();
        }
    }

    /** A copy of the row's values, parallel to {@link #indices()}. */
    public float[] values() {
        long h = acquire();
        try {
            return Native.rowValues(h);
        } finally {
            release();
        }
    }

    /** Effective configuration ("bits=24 seed=0 ..."). */
    public String config() {
        long h = acquire();
        try {
            return Native.str(Native.rowConfig(h));
        } finally {
            release();
        }
    }
}
