package org.libgrowth;

/** An argument was invalid: NULL, a wrong size, NaN/Inf, a bad configuration key or value. Status {@link Status#EINVAL}. */
public class InvalidArgumentException extends GrowthException {
    private static final long serialVersionUID = 1L;

    public InvalidArgumentException(String message) {
        super(Status.EINVAL, message);
    }
}
