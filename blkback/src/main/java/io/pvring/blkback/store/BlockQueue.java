package io.pvring.blkback.store;

/**
 * One ring's private path into a {@link BlockStore}, used only by that ring's thread (one thread at a time): the
 * ring {@link #submit submits} its ios through it, calls {@link #poll()} at the start of each turn to take back
 * completions, and {@link #flush()} at the end of the turn to start everything it submitted (one hand-off per
 * batch). A store whose completions must be reaped on the submitting thread (an io_uring, a worker pool's
 * completion queue) gives each ring its own queue; the others use {@link Direct}, which submits straight to the
 * store.
 */
public interface BlockQueue extends AutoCloseable
{
    /**
     * How soon a sleeping ring comes back to poll a queue that {@link #needsPolling()}: a few times a fast disk's
     * latency (an NVMe read takes 10-100 us), so a ring that waits on event channels still reaps promptly.
     */
    long POLL_WITHIN_NANOS = 50_000;

    /** Starts {@code io} (possibly only at the next {@link #flush()}); the store completes it exactly once. */
    void submit(BlockIo io);

    /**
     * Delivers the completions that arrived since the last call ({@link BlockIo#complete} on this thread).
     *
     * @return completions delivered.
     */
    int poll();

    /** Starts every io submitted since the last call. Returns how many. */
    int flush();

    /** Ios submitted through this queue and not completed yet. */
    int inFlight();

    /**
     * True while some io in flight completes only through a {@link #poll()} by this queue's thread (the store
     * reaps a kernel ring on the ring's own thread and no other thread will signal): before sleeping, the ring
     * arranges to come back within {@link #POLL_WITHIN_NANOS}.
     */
    default boolean needsPolling()
    {
        return false;
    }

    /**
     * Waits (bounded by the store) for the ios in flight and delivers their completions, failed ones included, on
     * this thread; then releases the queue.
     */
    @Override
    void close();

    /** The queue of a store that needs no per-ring state: {@link #submit} is {@link BlockStore#submit}. */
    final class Direct implements BlockQueue
    {
        private final BlockStore store;

        public Direct(final BlockStore store)
        {
            this.store = store;
        }

        public void submit(final BlockIo io)
        {
            store.submit(io);
        }

        public int poll()
        {
            return 0;
        }

        public int flush()
        {
            return 0;
        }

        public int inFlight()
        {
            return 0;
        }

        public void close()
        {
        }
    }
}
