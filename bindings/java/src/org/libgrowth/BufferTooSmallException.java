package org.libgrowth;

/** An output buffer was too small (the bindings size their buffers, so this is rare). Status {@link Status#EBUFS}. */
public class BufferTooSmallException extends GrowthException {
    private static final long serialVersionUID = 1L;

    public BufferTooSmallException(String message) {
        super(Status.EBUFS, message);
    }
}
