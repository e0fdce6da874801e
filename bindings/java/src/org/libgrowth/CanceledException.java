package org.libgrowth;

/** A progress callback stopped a long call; the handle is as it was before the call. Status {@link Status#ECANCELED}. */
public class CanceledException extends GrowthException {
    private static final long serialVersionUID = 1L;

    public CanceledException(String message) {
        super(Status.ECANCELED, message);
    }
}
