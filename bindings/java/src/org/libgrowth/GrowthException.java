package org.libgrowth;

import java.nio.charset.StandardCharsets;

/**
 * A libgrowth call failed: {@link #code()} is the C status ({@link Status}), the message is the
 * library's own context message (growth_last_error()). Each status has its own subclass
 * ({@link InvalidArgumentException}, {@link OutOfMemoryException}, {@link FormatException},
 * {@link NotFoundException}, {@link CanceledException} ...), so callers can catch one kind.
 */
public class GrowthException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public GrowthException(int code, String message) {
        super(message);
        this.code = code;
    }

    /**
     * Called by the JNI shim: the exception of status {@code code} (its subclass), with the C
     * message, which arrives as UTF-8 bytes (never modified UTF-8).
     */
    static GrowthException of(int code, byte[] utf8Message) {
        String m = utf8Message == null || utf8Message.length == 0
                ? Status.name(code)
                : new String(utf8Message, StandardCharsets.UTF_8);
        switch (code) {
            case Status.EINVAL: return new InvalidArgumentException(m);
            case Status.ENOMEM: return new OutOfMemoryException(m);
            case Status.EIO: return new IOFailureException(m);
            case Status.EFORMAT: return new FormatException(m);
            case Status.EBUFS: return new BufferTooSmallException(m);
            case Status.ESTATE: return new InvalidStateException(m);
            case Status.EDEP: return new DependencyException(m);
            case Status.ENOTFOUND: return new NotFoundException(m);
            case Status.ECANCELED: return new CanceledException(m);
            default: return new GrowthException(code, m);
        }
    }

    /** The C status code: one of the negative {@link Status} constants. */
    public int code() {
        return code;
    }

    @Override
    public String toString() {
        return getClass().getName() + " [" + Status.name(code) + "]: " + getMessage();
    }
}
