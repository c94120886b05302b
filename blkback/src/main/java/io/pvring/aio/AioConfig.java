package io.pvring.aio;

/**
 * Settings of one engine, validated by {@link #validate()} before an engine starts. Defaults follow QEMU where it
 * has one ({@code thread-pool-min} 0, {@code thread-pool-max} 64, idle workers exit after 10 s).
 */
public final class AioConfig
{
    /** io_uring's user-data tag carries the slot index in 15 bits. */
    public static final int MAX_QUEUE_DEPTH = 1 << 15;
    /** {@code IOV_MAX} on Linux. */
    public static final int MAX_SEGMENTS = 1024;

    private int queueDepth = 256;
    private int maxSegments = 64;
    private int maxIoBytes = 256 * 1024;
    private int bounceBuffers = 4;
    private int minThreads = 0;
    private int maxThreads = 64;
    private long idleTimeoutMillis = 10_000;
    private long closeTimeoutMillis = 5_000;
    private int maxBatch = 0;

    /** Requests in flight at once (submitted and not yet polled); a submission beyond it returns false. */
    public AioConfig queueDepth(final int queueDepth)
    {
        this.queueDepth = queueDepth;
        return this;
    }

    /** Segments per vectored request (an {@link IoVector} may hold no more). */
    public AioConfig maxSegments(final int maxSegments)
    {
        this.maxSegments = maxSegments;
        return this;
    }

    /** Bytes per request; larger requests are the caller's to split. Sizes the O_DIRECT bounce buffers. */
    public AioConfig maxIoBytes(final int maxIoBytes)
    {
        this.maxIoBytes = maxIoBytes;
        return this;
    }

    /** Preallocated aligned bounce buffers for O_DIRECT requests whose memory, offset or length is unaligned. */
    public AioConfig bounceBuffers(final int bounceBuffers)
    {
        this.bounceBuffers = bounceBuffers;
        return this;
    }

    /** Worker threads kept when idle (QEMU {@code thread-pool-min}). */
    public AioConfig minThreads(final int minThreads)
    {
        this.minThreads = minThreads;
        return this;
    }

    /** Worker threads at most (QEMU {@code thread-pool-max}). */
    public AioConfig maxThreads(final int maxThreads)
    {
        this.maxThreads = maxThreads;
        return this;
    }

    /** A worker above {@link #minThreads} exits after this long without work. */
    public AioConfig idleTimeoutMillis(final long idleTimeoutMillis)
    {
        this.idleTimeoutMillis = idleTimeoutMillis;
        return this;
    }

    /** How long {@link AioEngine#close()} waits for requests in flight before failing them. */
    public AioConfig closeTimeoutMillis(final long closeTimeoutMillis)
    {
        this.closeTimeoutMillis = closeTimeoutMillis;
        return this;
    }

    /**
     * QEMU's {@code aio-max-batch}: once this many requests are queued, the engine starts them without waiting for
     * {@link AioEngine#submitBatch()}; 0 (the default) leaves every batch to it. 1 starts each request as it comes,
     * which suits a device that answers a doorbell's requests together after serving them in order (virtio-blk
     * here): a batch of k then waits k service times (see {@code FileBlockStore}). With it set, the methods that
     * queue may start a batch, so they too must come from the engine's thread.
     */
    public AioConfig maxBatch(final int maxBatch)
    {
        this.maxBatch = maxBatch;
        return this;
    }

    public int maxBatch()
    {
        return maxBatch;
    }

    public int queueDepth()
    {
        return queueDepth;
    }

    public int maxSegments()
    {
        return maxSegments;
    }

    public int maxIoBytes()
    {
        return maxIoBytes;
    }

    public int bounceBuffers()
    {
        return bounceBuffers;
    }

    public int minThreads()
    {
        return minThreads;
    }

    public int maxThreads()
    {
        return maxThreads;
    }

    public long idleTimeoutMillis()
    {
        return idleTimeoutMillis;
    }

    public long closeTimeoutMillis()
    {
        return closeTimeoutMillis;
    }

    /** Checks every setting; throws naming the first bad one. */
    public AioConfig validate()
    {
        check(queueDepth >= 1 && queueDepth <= MAX_QUEUE_DEPTH, "queueDepth", queueDepth);
        check(maxSegments >= 1 && maxSegments <= MAX_SEGMENTS, "maxSegments", maxSegments);
        check(maxIoBytes >= 4096 && maxIoBytes <= (64 << 20), "maxIoBytes", maxIoBytes);
        check(bounceBuffers >= 1 && bounceBuffers <= 1024, "bounceBuffers", bounceBuffers);
        check(maxThreads >= 1 && maxThreads <= 4096, "maxThreads", maxThreads);
        check(minThreads >= 0 && minThreads <= maxThreads, "minThreads", minThreads);
        check(idleTimeoutMillis >= 1, "idleTimeoutMillis", idleTimeoutMillis);
        check(closeTimeoutMillis >= 0, "closeTimeoutMillis", closeTimeoutMillis);
        check(maxBatch >= 0 && maxBatch <= queueDepth, "maxBatch", maxBatch);
        return this;
    }

    private static void check(final boolean ok, final String name, final long value)
    {
        if (!ok)
        {
            throw new IllegalArgumentException("AioConfig " + name + "=" + value);
        }
    }
}
