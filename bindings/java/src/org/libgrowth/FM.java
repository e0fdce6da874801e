package org.libgrowth;

/**
 * A factorization machine (Rendle 2010; {@code growth_fm} with {@code model=fm}, fm.h): every
 * slot keeps one k-vector, a pair of features interacts through {@code <v[i], v[j]>} (O(nnz k)
 * per row), and several heads share the factors, each with its own FTRL bias and linear weights.
 * Field ids are optional: with the {@code fields} key they are checked against it (the model
 * itself ignores them), and {@code fld} may always be null. The methods are those of
 * {@link FactorizationMachine}; {@link FFM} is the field-aware model.
 *
 * <p>Configuration keys (fm.h): {@code k} (4, 1..64), {@code fields} (0: not checked),
 * {@code bits} (20), {@code heads} (1..16), {@code head_names} ("click|buy"), {@code eta} (0.2),
 * {@code lambda} (2e-5), {@code init_scale} (1), {@code normalize} (true), {@code linear} (true),
 * {@code bias} (true), {@code alpha beta l1 l2} (the FTRL linear part, as {@link Ftrl}),
 * {@code precision} (float or compact), {@code seed} (0), {@code max_memory} (0), {@code unseen}
 * (seeded or zero: what a slot training has not seen yet adds to predictions). An unknown key
 * or a value out of range throws {@link InvalidArgumentException} naming the key.
 *
 * <pre>{@code
 * try (FM m = new FM("k=8 bits=20 heads=2 head_names=click|buy");
 *      Row row = new Row("bits=20")) {
 *     row.clear().addCat("user", "u42").addCat("item", "shoes");
 *     float[] p = m.predictUpdate(row.indices(), null, row.values(),
 *                                 new float[] {1, FM.LABEL_MISSING}, 1f);
 * }
 * }</pre>
 */
public final class FM extends FactorizationMachine {
    /** A model with the default configuration ("model=fm k=4 bits=20 ..."). */
    public FM() {
        this("");
    }

    /**
     * A model from a configuration string, e.g. "k=8 bits=22 heads=2" ({@code model=fm} is
     * implied; another {@code model} throws {@link InvalidArgumentException}).
     *
     * @param config "key=value ...", or null / "" for the defaults
     */
    public FM(String config) {
        super(Native.fmCreate(withModel(config, "fm", "FM")));
    }

    private FM(long ptr) {
        super(ptr);
    }

    /**
     * Loads a model saved by {@link #save(String)} (from C, Python or Java).
     *
     * @param path the file
     * @return the model
     * @throws IOFailureException when the file cannot be read
     * @throws FormatException for a file of another kind, a newer version, or a damaged file
     * @throws InvalidArgumentException for an FFM model (load it with {@link FFM#load})
     */
    public static FM load(String path) {
        return new FM(expectModel(Native.fmLoad(Native.cstr(path, "path")), "fm", "FM"));
    }

    /**
     * Rebuilds a model from {@link #serialize()} bytes.
     *
     * @param buf the bytes
     * @return the model
     * @throws FormatException for bytes that are not a valid model
     * @throws InvalidArgumentException for an FFM model (use {@link FFM#deserialize})
     */
    public static FM deserialize(byte[] buf) {
        if (buf == null) throw new NullPointerException("buf must not be null");
        return new FM(expectModel(Native.fmDeserialize(buf), "fm", "FM"));
    }
}
