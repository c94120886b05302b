package io.pvring.blkfront;

import io.pvring.event.EventPort;
import io.pvring.grant.GrantTable;
import io.pvring.memory.GuestMemory;

/**
 * The guest-side blkif driver (Linux xen-blkfront's job): one {@link BlkFrontQueue} per ring, each with its ring
 * pages and page pool in a range of guest frames the caller reserves for it. Tests, benchmarks and Java emulators
 * drive a virtual disk through it; the xenbus side publishes {@link BlkFrontQueue#ringRefs()} and the event
 * channels. Each queue is used by one thread.
 */
public final class BlkFront implements AutoCloseable
{
    private final BlkFrontConfig config;
    private final BlkFrontQueue[] queues;

    /**
     * @param firstGfn first of {@code config.queues() * config.framesPerQueue()} guest frames this driver owns.
     * @param ports one event channel per queue (entries may be null for polled queues).
     */
    public BlkFront(
        final GuestMemory memory,
        final GrantTable grants,
        final int backendDomid,
        final BlkFrontConfig config,
        final long firstGfn,
        final EventPort[] ports)
    {
        this.config = config.validate();
        this.queues = new BlkFrontQueue[config.queues()];
        for (int q = 0; q < queues.length; q++)
        {
            final EventPort port = ports == null ? null : ports[q];
            queues[q] = new BlkFrontQueue(q, memory, grants, backendDomid, config,
                firstGfn + (long)q * config.framesPerQueue(), port);
        }
    }

    /** Guest frames a driver with {@code config} needs. */
    public static long framesNeeded(final BlkFrontConfig config)
    {
        return (long)config.queues() * config.framesPerQueue();
    }

    public BlkFrontConfig config()
    {
        return config;
    }

    public int queueCount()
    {
        return queues.length;
    }

    public BlkFrontQueue queue(final int index)
    {
        return queues[index];
    }

    /** Ends access to every granted page; call after the backend disconnected. */
    public void close()
    {
        for (final BlkFrontQueue queue : queues)
        {
            queue.close();
        }
    }
}
