package io.pvring.aio;

/**
 * The portable engine ({@code aio=threads}): requests go to a {@link WorkerPool} that does positional {@code
 * FileChannel} I/O, on every JDK this project supports.
 *
 * <p>It cannot punch holes: the JDK has no call that deallocates a file range ({@code FileChannel} offers read,
 * write, truncate, force, map and lock; {@code truncate} frees only the tail; no {@code FileStore} or {@code Files}
 * attribute does it), and {@code fallocate(2)} needs native code. {@link #canPunchHole()} is therefore false and
 * {@link #punchHole} completes with {@code -EOPNOTSUPP}; writing zeros instead would make a sparse image dense.
 *
 * <p>Vectored requests are one positional call per segment (the JDK has no positional gather); under {@code
 * O_DIRECT} an unaligned vector is gathered into a bounce buffer and written with one call.
 */
public final class ThreadPoolEngine extends AbstractAioEngine
{
    public static final String NAME = "threads";

    private final WorkerPool pool;
    private final AlignedBufferPool bounce;

    public ThreadPoolEngine(final AioConfig config, final Runnable completionSignal)
    {
        super(config, completionSignal);
        bounce = new AlignedBufferPool(config.bounceBuffers(), config.maxIoBytes(), AioFile.MAX_ALIGNMENT);
        pool = new WorkerPool(NAME, this, bounce, config.queueDepth(), config.minThreads(), config.maxThreads(),
            config.idleTimeoutMillis());
    }

    public String name()
    {
        return NAME;
    }

    public long bouncedRequests()
    {
        return bounce.acquired();
    }

    public boolean canPunchHole()
    {
        return false;
    }

    /** Live worker threads. */
    public int workerThreads()
    {
        return pool.threads();
    }

    protected void dispatch(final AioSlot[] requests, final int count)
    {
        pool.submit(requests, count);
    }

    protected void shutdown(final long deadlineNanos)
    {
        try
        {
            pool.shutdown(deadlineNanos);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString()
    {
        return "ThreadPoolEngine{inFlight=" + inFlight() + ", workers=" + pool.threads() + "}";
    }
}
