package org.libgrowth;

/**
 * libgrowth status codes (common.h). They are part of the ABI and never renumbered;
 * {@link GrowthException#code()} holds one of the negative values.
 */
public final class Status {
    /** Success. */
    public static final int OK = 0;
    /** Invalid argument: null, wrong size, NaN, bad configuration. */
    public static final int EINVAL = -1;
    /** Out of memory, or a size limit would be exceeded. */
    public static final int ENOMEM = -2;
    /** Reading or writing a file failed. */
    public static final int EIO = -3;
    /** A file or buffer is corrupted, truncated, or of another kind/version. */
    public static final int EFORMAT = -4;
    /** The caller's output buffer is too small. */
    public static final int EBUFS = -5;
    /** The call is not valid in the handle's current state. */
    public static final int ESTATE = -6;
    /** A dependency (xgboost, BLAS, protobuf-c) failed. */
    public static final int EDEP = -7;
    /** An id, key or arm does not exist. */
    public static final int ENOTFOUND = -8;
    /** A progress callback stopped a long call; the handle is as it was before the call. */
    public static final int ECANCELED = -9;

    private Status() {}

    /** Symbolic name of a code ("EINVAL", ...), or "UNKNOWN(n)". */
    public static String name(int code) {
        switch (code) {
            case OK: return "OK";
            case EINVAL: return "EINVAL";
            case ENOMEM: return "ENOMEM";
            case EIO: return "EIO";
            case EFORMAT: return "EFORMAT";
            case EBUFS: return "EBUFS";
            case ESTATE: return "ESTATE";
            case EDEP: return "EDEP";
            case ENOTFOUND: return "ENOTFOUND";
            case ECANCELED: return "ECANCELED";
            default: return "UNKNOWN(" + code + ")";
        }
    }
}
