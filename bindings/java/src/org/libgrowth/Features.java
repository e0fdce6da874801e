package org.libgrowth;

/**
 * Feature hashing (features.h). A categorical feature (field, value) goes to slot
 * {@code hash(value, seed = hash(field, seed))} of a table of 2^bits slots; the same strings give
 * the same slots in C, Python and Java. Slots are uint32 values carried in Java {@code int}s as
 * raw bits: use {@link Integer#toUnsignedLong(int)} to read one as a number when bits = 32.
 */
public final class Features {
    private Features() {}

    /** Slot of categorical feature (field, value); bits in 1..32. Strings are hashed as UTF-8. */
    public static int hash(String field, String value, long seed, int bits) {
        return Native.featureHash(Native.cstr(field, "field"), Native.cstr(value, "value"), seed,
                bits);
    }

    /** Slot of the (ordered) cross of fields[i] = values[i]. */
    public static int hashCross(String[] fields, String[] values, long seed, int bits) {
        checkCross(fields, values);
        return Native.featureHashCross(Native.pack(fields, "fields"), Native.pack(values, "values"),
                fields.length, seed, bits);
    }

    static void checkCross(String[] fields, String[] values) {
        if (fields == null) throw new NullPointerException("fields must not be null");
        if (values == null) throw new NullPointerException("values must not be null");
        if (fields.length != values.length)
            throw new GrowthException(Status.EINVAL, "cross: " + fields.length + " fields but "
                    + values.length + " values");
    }
}
