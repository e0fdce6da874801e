package org.libgrowth;

/** A model file or buffer is corrupted, truncated, or of another kind or version. Status {@link Status#EFORMAT}. */
public class FormatException extends GrowthException {
    private static final long serialVersionUID = 1L;

    public FormatException(String message) {
        super(Status.EFORMAT, message);
    }
}
