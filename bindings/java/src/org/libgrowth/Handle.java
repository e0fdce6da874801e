package org.libgrowth;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * A C handle owned by a Java object: freed by {@link #close()} (idempotent) or, failing that, by
 * the shared {@link Cleaner} once the object is unreachable. Calls on a closed object throw
 * {@link IllegalStateException}.
 *
 * <p>Every call holds the handle for its duration: {@link #acquire()} before the native call,
 * {@link #release()} in a {@code finally} block after it. Closing while other threads are inside
 * calls only marks the object closed (new calls throw); the C handle is freed by whichever comes
 * last, {@code close()} or the last {@code release()}, so it is never freed under a running call
 * (libgrowth's rule: {@code growth_x_free} must not race other calls on the handle). The Cleaner
 * takes the same path as {@code close()}.
 */
abstract class Handle implements AutoCloseable {
    /** Test hook: C handles freed while a call was in flight. Must stay 0. */
    static final AtomicLong FREES_WHILE_BUSY = new AtomicLong();
    /** Test hook: C handles freed by the last call after a close() that found calls in flight. */
    static final AtomicLong DEFERRED_FREES = new AtomicLong();

    /** Test hook: a handle's in-flight state, usable after its object became unreachable. */
    interface Lease {
        boolean closed();

        void release();
    }

    /**
     * The handle's state, shared with the Cleaner (it must not refer to the Handle): the pointer,
     * and one int holding the number of calls in flight and, in its top bit, "closed".
     */
    private static final class State implements Runnable, Lease {
        private static final int CLOSED = 0x8000_0000;
        private static final int COUNT = 0x7fff_ffff;

        private final AtomicLong ptr;
        private final AtomicInteger word = new AtomicInteger();
        private final LongConsumer free;

        State(long ptr, LongConsumer free) {
            this.ptr = new AtomicLong(ptr);
            this.free = free;
        }

        long acquire(Handle owner) {
            for (;;) {
                int w = word.get();
                if ((w & CLOSED) != 0)
                    throw new IllegalStateException(
                            owner.getClass().getSimpleName() + " is closed");
                if ((w & COUNT) == COUNT)
                    throw new IllegalStateException("too many calls in flight");
                if (word.compareAndSet(w, w + 1)) return ptr.get();
            }
        }

        @Override
        public void release() {
            int w = word.decrementAndGet();
            if (w == CLOSED) { // closed meanwhile, and this was the last call in flight
                DEFERRED_FREES.incrementAndGet();
                freeNow();
            }
        }

        /** close() and the Cleaner: marks closed; frees unless calls are in flight. */
        @Override
        public void run() {
            for (;;) {
                int w = word.get();
                if ((w & CLOSED) != 0) return;
                if (word.compareAndSet(w, w | CLOSED)) {
                    if (w == 0) freeNow();
                    return;
                }
            }
        }

        @Override
        public boolean closed() {
            return (word.get() & CLOSED) != 0;
        }

        private void freeNow() {
            if ((word.get() & COUNT) != 0) FREES_WHILE_BUSY.incrementAndGet();
            long p = ptr.getAndSet(0);
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

    /**
     * The C pointer, held until the matching {@link #release()}; throws IllegalStateException once
     * closed. Use as {@code long p = acquire(); try { ... } finally { release(); }}.
     */
    final long acquire() {
        return state.acquire(this);
    }

    /** Ends a call begun by {@link #acquire()}; frees the C handle if it was closed meanwhile. */
    final void release() {
        state.release();
    }

    /** Test hook: this handle's state, detached from the object (see {@link Lease}). */
    final Lease leaseForTest() {
        return state;
    }

    /** Whether {@link #close()} was called (or the Cleaner ran). */
    public final boolean isClosed() {
        return state.closed();
    }

    /**
     * Frees the C object, or, while other threads are inside calls on this object, marks it
     * closed and leaves the freeing to the last of those calls; further calls throw
     * IllegalStateException, further closes are no-ops.
     */
    @Override
    public final void close() {
        cleanable.clean();
    }
}
