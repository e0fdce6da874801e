package org.libgrowth;

/**
 * Progress of a long call ({@code growth_progress_fn}, common.h), called in the calling thread
 * (reports from the library's worker threads are skipped): {@link Audience#puScore} and, through
 * its sub-interface {@link Mckp.Progress}, {@link Mckp#solve}.
 */
@FunctionalInterface
public interface Progress {
    /**
     * @param stage short name of the stage ("fit", "hull", ...)
     * @param done  fraction done in [0, 1]
     * @return true to continue, false to cancel (the call fails with the library's status for a
     *         cancellation); an exception thrown here cancels the call and propagates from it
     */
    boolean onProgress(String stage, double done);
}
