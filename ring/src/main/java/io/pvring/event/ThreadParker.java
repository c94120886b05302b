package io.pvring.event;

/**
 * How a {@link BlockingIdleStrategy}'s thread sleeps and is woken when something other than {@code LockSupport}
 * must do it: a thread that drives a kernel ring (io_uring) sleeps inside the ring's wait, so that a completion
 * wakes it as directly as an event does, with no thread in between.
 */
public interface ThreadParker
{
    /**
     * Sleeps until {@link #unpark()}, something of the parker's own arrives, or {@code boundNanos} elapsed
     * ({@code 0}: no bound). May return early. Called by the idling thread only.
     */
    void park(long boundNanos);

    /** Ends a {@link #park} in progress, or makes the next one return at once. Any thread. */
    void unpark();
}
