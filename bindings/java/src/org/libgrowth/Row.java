package org.libgrowth;

/**
 * A reusable sparse-row builder ({@code growth_row}): clear it per request, add hashed features,
 * pass {@link #indices()} and {@link #values()} to a scorer. Used by one thread at a time.
 *
 * <p>Configuration keys: {@code bits} (1..32, default 24), {@code seed} (default 0),
 * {@code capacity}, {@code dedup}.
 *
 * <p>Fields: field-aware models ({@link FFM}, and {@link FM} when it checks fields) need each
 * entry's field. {@link #setFields(String...)} gives the row an ordered list of up to 256 field
 * names; from then on every entry records the index of its field in that list
 * ({@link #fields()}, parallel to {@link #indices()}): {@link #addCat} and {@link #addNum} that of
 * their field, {@link #addCross} that of its first member, and a field not in the list throws
 * {@link InvalidArgumentException}. Slots do not depend on the field list, and the same list gives
 * the same field ids in C, Python and Java.
 *
 * <pre>{@code
 * try (Row row = new Row("bits=20").setFields("user", "item", "price")) {
 *     row.addCat("item", "shoes").addNum("price", 2.0f).addCat("user", "u42");
 *     float[] p = ffm.predict(row);   // row.fields() is {1, 2, 0}
 * }
 * }</pre>
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

    /**
     * Gives the row an ordered list of field names (distinct, non-empty, at most 256): their
     * positions are the field ids its entries record from now on. No names removes the list.
     * Clears the row. A bad list (an empty or repeated name, more than 256 names) throws
     * {@link InvalidArgumentException} and leaves the row as it was.
     *
     * @param names the field names in field-id order
     * @return this row
     */
    public Row setFields(String... names) {
        if (names == null) throw new NullPointerException("names must not be null");
        byte[] packed = Native.pack(names, "names");
        long h = acquire();
        try {
            Native.rowSetFields(h, packed, names.length);
            return this;
        } finally {
            release();
        }
    }

    /**
     * Index of field {@code name} in the row's field list.
     *
     * @param name a field name
     * @return its field id, below the number of fields
     * @throws NotFoundException when the row has no field list or no field of that name
     */
    public int fieldIndex(String name) {
        byte[] n = Native.cstr(name, "name");
        long h = acquire();
        try {
            return Native.rowFieldIndex(h, n);
        } finally {
            release();
        }
    }

    /**
     * Adds an already-hashed slot with a finite value in field {@code field} (a row with a field
     * list; {@link #addIndex(int, float)} is for rows without one).
     *
     * @param field a field id below the number of fields
     * @param index a slot below 2^bits (uint32 bits in an int)
     * @param x     the value (finite)
     * @return this row
     * @throws InvalidArgumentException for a row without a field list, a field or slot out of
     *         range or a non-finite value (the row is then unchanged)
     */
    public Row addFieldIndex(int field, int index, float x) {
        long h = acquire();
        try {
            Native.rowAddFieldIndex(h, field, index, x);
            return this;
        } finally {
            release();
        }
    }

    /**
     * A copy of the field ids of the row's entries, parallel to {@link #indices()}: unsigned
     * bytes (read one as {@code Byte.toUnsignedInt(b)}), the form {@link FFM#predict(int[],
     * byte[], float[])} takes.
     *
     * @return the field ids, or null for a row without a field list
     */
    public byte[] fields() {
        long h = acquire();
        try {
            return Native.rowFields(h);
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

    /**
     * A copy of the row's 64-bit feature keys (uint64 bits in longs), parallel to
     * {@link #indices()}: each hashed feature's full hash, whose top {@code bits} bits are its
     * slot, or the slot itself for {@link #addIndex} entries. They address collision-free
     * models ({@code table=exact}).
     */
    public long[] keys() {
        long h = acquire();
        try {
            return Native.rowKeys(h);
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
