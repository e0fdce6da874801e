package org.libgrowth;

import java.lang.ref.Cleaner;
import java.util.function.LongConsumer;

/**
 * A C handle owned by a Java object: freed by {@link #close()} (idempotent) or, failing that, by
 * the shared {@link Cleaner} once the object is unreachable. Calls on a closed object throw
 * {@link IllegalStateException}. Closing must not race other calls on the same object.
 */
abstract class Handle implements AutoCloseable {
    private static final class State implements Runnable {
        private volatile long ptr;
        private final LongConsumer free;

        State(long ptr, LongConsumer free) {
            this.ptr = ptr;
            this.free = free;
        }

        @Override
        public void run() {
            long p = ptr;
            ptr = 0;
            if (p != 0) free.accept(p);
        }
    }

    private final State state;
    private final Cleaner.Cleanable cleanable;

    /** Takes ownership of {@code ptr}; {@code free} must not refer to this object. */
    Handle(long ptr, LongConsumer free) {
        if (ptr == 0) throw new IllegalStateException("null native handle");
        this.state = new State(ptr, free);
        this.cleanable = Native.CLEANER.register(this, state);
    }

    /** The C pointer; throws IllegalStateException once closed. */
    final long ptr() {
        long p = state.ptr;
        if (p == 0) throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        return p;
    }

    /** Whether {@link #close()} was called. */
    public final boolean isClosed() {
        return state.ptr == 0;
    }

    /** Frees the C object; further calls are no-ops. */
    @Override
    public final void close() {
        cleanable.clean();
    }
}
