package org.libgrowth;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * Checks of the direct-buffer overloads (no copies: the library reads and writes the buffers'
 * memory in place). A buffer argument must be direct ({@link ByteBuffer#allocateDirect} or a
 * view of such a buffer) and in the platform's byte order ({@link ByteOrder#nativeOrder()}); its
 * elements between position and limit are the argument, and positions are not changed. Outputs
 * must not be read-only. The JNI side checks the alignment of the elements.
 */
final class Buffers {
    private Buffers() {}

    private static ByteOrder order(Buffer b) {
        if (b instanceof FloatBuffer) return ((FloatBuffer) b).order();
        if (b instanceof IntBuffer) return ((IntBuffer) b).order();
        if (b instanceof LongBuffer) return ((LongBuffer) b).order();
        if (b instanceof DoubleBuffer) return ((DoubleBuffer) b).order();
        if (b instanceof ByteBuffer) return ((ByteBuffer) b).order();
        return ByteOrder.nativeOrder();
    }

    /** An input buffer: not null, direct, native byte order. */
    static <B extends Buffer> B in(B b, String name) {
        if (b == null) throw new NullPointerException(name + " must not be null");
        if (!b.isDirect())
            throw new IllegalArgumentException(name + " must be a direct buffer"
                    + " (ByteBuffer.allocateDirect(...).order(ByteOrder.nativeOrder()) or a view"
                    + " of one), not a heap buffer: use the array overload for arrays");
        if (order(b) != ByteOrder.nativeOrder())
            throw new IllegalArgumentException(name + " is in " + order(b) + " byte order; the"
                    + " library reads " + ByteOrder.nativeOrder()
                    + " (call .order(ByteOrder.nativeOrder()) on the ByteBuffer first)");
        return b;
    }

    /** An optional input buffer: null or as {@link #in}. */
    static <B extends Buffer> B optional(B b, String name) {
        return b == null ? null : in(b, name);
    }

    /** An optional input buffer of bytes (any byte order): null, or direct. */
    static ByteBuffer bytes(ByteBuffer b, String name) {
        if (b != null && !b.isDirect())
            throw new IllegalArgumentException(name + " must be a direct buffer"
                    + " (ByteBuffer.allocateDirect(...)), not a heap buffer: use the array"
                    + " overload for arrays");
        return b;
    }

    /** An output buffer: as {@link #in}, and writable. */
    static <B extends Buffer> B out(B b, String name) {
        in(b, name);
        if (b.isReadOnly()) throw new ReadOnlyBufferException();
        return b;
    }

    /** The floats of a direct ByteBuffer in native order (a view: no copy). */
    static FloatBuffer floats(ByteBuffer b, String name, boolean output) {
        if (output) out(b, name);
        else in(b, name);
        if (b.remaining() % Float.BYTES != 0)
            throw new IllegalArgumentException(name + " has " + b.remaining()
                    + " bytes remaining, not a whole number of floats");
        return b.asFloatBuffer();
    }

    /** pos of an optional buffer (0 for null). */
    static int pos(Buffer b) {
        return b == null ? 0 : b.position();
    }

    /** InvalidArgumentException (EINVAL) when an optional buffer's remaining differs from {@code n}. */
    static void sameLength(String who, String name, Buffer b, int n, String of) {
        if (b != null && b.remaining() != n)
            throw new InvalidArgumentException(who + ": " + name + " has " + b.remaining()
                    + " elements remaining but " + of + " has " + n);
    }
}
