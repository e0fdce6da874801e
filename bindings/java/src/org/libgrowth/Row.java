package org.libgrowth;

import java.lang.ref.Reference;

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
        try {
            Native.rowClear(ptr());
            return this;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Adds categorical feature (field, value) with value 1. */
    public Row addCat(String field, String value) {
        byte[] f = Native.cstr(field, "field"), v = Native.cstr(value, "value");
        try {
            Native.rowAddCat(ptr(), f, v);
            return this;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Adds numeric feature {@code field} with value {@code x} (finite). */
    public Row addNum(String field, float x) {
        byte[] f = Native.cstr(field, "field");
        try {
            Native.rowAddNum(ptr(), f, x);
            return this;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Adds the cross of fields[i] = values[i] (at least 2) with value 1. */
    public Row addCross(String[] fields, String[] values) {
        Features.checkCross(fields, values);
        byte[] f = Native.pack(fields, "fields"), v = Native.pack(values, "values");
        try {
            Native.rowAddCross(ptr(), f, v, fields.length);
            return this;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Adds an already-hashed slot (uint32 bits, below 2^bits) with a finite value. */
    public Row addIndex(int index, float x) {
        try {
            Native.rowAddIndex(ptr(), index, x);
            return this;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Number of entries. */
    public int size() {
        try {
            return Native.rowSize(ptr());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A copy of the row's slots (uint32 bits in ints). */
    public int[] indices() {
        try {
            return Native.rowIndices(ptr());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A copy of the row's values, parallel to {@link #indices()}. */
    public float[] values() {
        try {
            return Native.rowValues(ptr());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Effective configuration ("bits=24 seed=0 ..."). */
    public String config() {
        try {
            return Native.str(Native.rowConfig(ptr()));
        } finally {
            Reference.reachabilityFence(this);
        }
    }
}
