package org.libgrowth;

import java.nio.charset.StandardCharsets;

/**
 * A libgrowth call failed: {@link #code()} is the C status ({@link Status}), the message is the
 * library's own context message (growth_last_error()).
 */
public class GrowthException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public GrowthException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** Called by the JNI shim: the C message arrives as UTF-8 bytes (never modified UTF-8). */
    GrowthException(int code, byte[] utf8Message) {
        this(code, utf8Message == null || utf8Message.length == 0
                ? Status.name(code)
                : new String(utf8Message, StandardCharsets.UTF_8));
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
