package org.libgrowth;

/** An id, key or arm does not exist. Status {@link Status#ENOTFOUND}. */
public class NotFoundException extends GrowthException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(Status.ENOTFOUND, message);
    }
}
