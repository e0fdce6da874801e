package org.libgrowth;

/**
 * A field-aware factorization machine (Juan et al. 2016, LIBFFM's model; {@code growth_fm} with
 * {@code model=ffm}, fm.h): every slot keeps one k-vector per field, a pair of features (i in
 * field f_i, j in field f_j) interacts through {@code <v[i, f_j], v[j, f_i]>}, and several heads
 * share the factors, each with its own FTRL bias and linear weights. Every row needs its field
 * ids ({@code fld}, unsigned bytes below {@code fields}): a {@link Row} with a field list gives
 * them ({@link Row#fields()}). The methods are those of {@link FactorizationMachine}.
 *
 * <p>Configuration keys: as {@link FM}, with {@code fields} (1..256) required.
 *
 * <pre>{@code
 * try (FFM m = new FFM("fields=3 k=4 bits=20");
 *      Row row = new Row("bits=20").setFields("user", "item", "price")) {
 *     row.addCat("user", "u42").addCat("item", "shoes").addNum("price", 2f);
 *     m.update(row, new float[] {1}, 1f);
 *     float p = m.predict(row)[0];
 * }
 * }</pre>
 */
public final class FFM extends FactorizationMachine {
    /**
     * A model from a configuration string, e.g. "fields=12 k=4 bits=22" ({@code model=ffm} is
     * implied; another {@code model} throws {@link InvalidArgumentException}).
     *
     * @param config "key=value ..." with {@code fields}
     * @throws InvalidArgumentException without {@code fields}, or for a bad key or value
     */
    public FFM(String config) {
        super(Native.fmCreate(withModel(config, "ffm", "FFM")));
    }

    /**
     * A model with {@code fields} fields and otherwise the configuration string's keys.
     *
     * @param fields the number of fields, 1..256
     * @param config further "key=value ..." (without {@code fields}), or null
     */
    public FFM(int fields, String config) {
        this("fields=" + fields + (config == null || config.isEmpty() ? "" : " " + config));
    }

    private FFM(long ptr) {
        super(ptr);
    }

    /**
     * Loads a model saved by {@link #save(String)} (from C, Python or Java).
     *
     * @param path the file
     * @return the model
     * @throws IOFailureException when the file cannot be read
     * @throws FormatException for a file of another kind, a newer version, or a damaged file
     * @throws InvalidArgumentException for an FM model (load it with {@link FM#load})
     */
    public static FFM load(String path) {
        return new FFM(expectModel(Native.fmLoad(Native.cstr(path, "path")), "ffm", "FFM"));
    }

    /**
     * Rebuilds a model from {@link #serialize()} bytes.
     *
     * @param buf the bytes
     * @return the model
     * @throws FormatException for bytes that are not a valid model
     * @throws InvalidArgumentException for an FM model (use {@link FM#deserialize})
     */
    public static FFM deserialize(byte[] buf) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new FFM(expectModel(Native.fmDeserialize(buf), "ffm", "FFM"));
    }

    /**
     * Imports a model file written by LIBFFM's {@code ffm-train}: a one-head FFM whose
     * predictions equal {@code ffm-predict}'s for rows whose features (slots) and fields are
     * inside the model; training continues with LIBFFM's AdaGrad state. Options: {@code align}
     * (4, the default: LIBFFM built with SSE; 1: without), {@code eta}, {@code lambda},
     * {@code precision}, {@code max_memory}, {@code seed}.
     *
     * @param path    the LIBFFM model file
     * @param options "key=value ...", or null
     * @return the model
     * @throws IOFailureException when the file cannot be read
     * @throws FormatException for an impossible header or a size that does not match it
     */
    public static FFM importLibffm(String path, String options) {
        return new FFM(Native.fmImportLibffm(Native.cstr(path, "path"), Native.config(options)));
    }
}
