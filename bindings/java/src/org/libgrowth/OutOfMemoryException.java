package org.libgrowth;

/** Memory ran out, or a size limit (e.g. max_memory) would be exceeded; the handle is unchanged. Status {@link Status#ENOMEM}. */
public class OutOfMemoryException extends GrowthException {
    private static final long serialVersionUID = 1L;

    public OutOfMemoryException(String message) {
        super(Status.ENOMEM, message);
    }
}
