package org.libgrowth;

/** Reading or writing a file failed. Status {@link Status#EIO}. */
public class IOFailureException extends GrowthException {
    private static final long serialVersionUID = 1L;

    public IOFailureException(String message) {
        super(Status.EIO, message);
    }
}
