package org.libgrowth;

/** The call is not valid in the handle's current state. Status {@link Status#ESTATE}. */
public class InvalidStateException extends GrowthException {
    private static final long serialVersionUID = 1L;

    public InvalidStateException(String message) {
        super(Status.ESTATE, message);
    }
}
