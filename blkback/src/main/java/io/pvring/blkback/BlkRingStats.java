package io.pvring.blkback;

import io.pvring.runner.AgentHandle;
import io.pvring.stats.BlkCounters;
import io.pvring.stats.CounterBlock;
import io.pvring.stats.QueueStats;
import io.pvring.stats.TraceRecorder;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_DISCARD;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_FLUSH_DISKCACHE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_READ;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE_BARRIER;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_EOPNOTSUPP;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static io.pvring.blkif.BlkifDescriptor.SECTOR_SHIFT;

/**
 * What one blkif ring tells {@code pvring stat} and {@code pvring trace}: translates the ring's events (a request
 * accepted, refused or answered, a batch, a notification, the runner's figures) into its {@link QueueStats}
 * ({@link BlkCounters}). Ring thread only; nothing here locks or allocates.
 *
 * <p>A QoS throttle reports the time it held requests back with {@link #throttled(long)}, on the ring's thread.
 */
public final class BlkRingStats
{
    private final QueueStats queue;
    private final CounterBlock counters;
    private long ringFill = -1;
    private long evictions;

    public BlkRingStats(final QueueStats queue)
    {
        this.queue = queue;
        this.counters = queue.counters();
    }

    /** The queue's published figures ({@link BlkCounters} indices). */
    public QueueStats queue()
    {
        return queue;
    }

    /** A throttle held this ring's requests back for {@code nanos} ({@link BlkCounters#THROTTLED_NANOS}). */
    public void throttled(final long nanos)
    {
        counters.add(BlkCounters.THROTTLED_NANOS, nanos);
    }

    /** A validated request taken from the ring at {@code nowNanos}: it is in flight from now. */
    void accepted(final InFlightIo io, final long nowNanos)
    {
        final BlkRequest request = io.request;
        io.acceptedNanos = nowNanos;
        final int op;
        switch (request.kind())
        {
            case READ:
                op = BlkCounters.READ_REQUESTS;
                break;
            case WRITE:
                op = BlkCounters.WRITE_REQUESTS;
                break;
            case DISCARD:
                op = BlkCounters.DISCARD_REQUESTS;
                break;
            default:
                op = BlkCounters.FLUSH_REQUESTS;
                break;
        }
        queue.blkAccepted(op, request.nrSectors() << SECTOR_SHIFT, nowNanos);
    }

    /** A request the parser refused with {@code status}: answered at once, never in flight. */
    void refused(final BlkRequest request, final int status, final long nowNanos)
    {
        counters.add(status == BLKIF_RSP_EOPNOTSUPP ? BlkCounters.UNSUPPORTED_ERRORS : BlkCounters.PROTOCOL_ERRORS, 1);
        final TraceRecorder trace = queue.trace();
        if (trace.enabled())
        {
            trace.blk(nowNanos, 0, request.id(), request.responseOp(), request.sector(), request.segments(), 0, status);
        }
    }

    /** An accepted request answered with {@code status} at {@code nowNanos}. */
    void completed(final InFlightIo io, final int status, final long nowNanos)
    {
        final long latency = nowNanos - io.acceptedNanos;
        queue.blkCompleted(latency, nowNanos);
        if (status != BLKIF_RSP_OKAY)
        {
            counters.add(status == BLKIF_RSP_EOPNOTSUPP ? BlkCounters.UNSUPPORTED_ERRORS :
                io.grantFailed ? BlkCounters.GRANT_ERRORS : BlkCounters.IO_ERRORS, 1);
        }
        final TraceRecorder trace = queue.trace();
        if (trace.enabled())
        {
            final BlkRequest request = io.request;
            trace.blk(nowNanos, latency, request.id(), operation(request.kind()), request.sector(),
                request.segments(), (int)(request.nrSectors() << SECTOR_SHIFT), status);
        }
    }

    /** The blkif operation a request performs (an indirect request's inner one). */
    private static int operation(final BlkRequest.Kind kind)
    {
        switch (kind)
        {
            case READ:
                return BLKIF_OP_READ;
            case WRITE:
                return BLKIF_OP_WRITE;
            case BARRIER:
                return BLKIF_OP_WRITE_BARRIER;
            case DISCARD:
                return BLKIF_OP_DISCARD;
            default:
                return BLKIF_OP_FLUSH_DISKCACHE;
        }
    }

    /** Unconsumed requests found on the ring (written only when it changed: an idle ring writes nothing). */
    void ringFill(final int unconsumed)
    {
        if (unconsumed != ringFill)
        {
            ringFill = unconsumed;
            counters.set(BlkCounters.RING_FILL, unconsumed);
        }
    }

    /** A batch of responses pushed, the frontend notified or not ({@code rsp_event}). */
    void batch(final boolean notified)
    {
        counters.add(BlkCounters.BATCHES, 1);
        counters.add(notified ? BlkCounters.NOTIFY_SENT : BlkCounters.NOTIFY_SUPPRESSED, 1);
    }

    /** Grant work since the last call: maps, copies (indirect pages), persistent-grant hits. */
    void grants(final long maps, final long copies, final long persistentHits)
    {
        if (maps != 0)
        {
            counters.add(BlkCounters.GRANT_MAPS, maps);
        }
        if (copies != 0)
        {
            counters.add(BlkCounters.GRANT_COPIES, copies);
        }
        if (persistentHits != 0)
        {
            counters.add(BlkCounters.PERSISTENT_HITS, persistentHits);
        }
    }

    /** The persistent-grant cache's evictions so far (LRU on overflow and purges of unused mappings). */
    void persistentEvictions(final long total)
    {
        if (total != evictions)
        {
            evictions = total;
            counters.set(BlkCounters.PERSISTENT_EVICTIONS, total);
        }
    }

    /** Copies the runner's view of the ring: time polled, polling window, sleeps, wake-ups. */
    void runner(final AgentHandle handle)
    {
        counters.set(BlkCounters.POLL_NANOS, handle.pollNanos());
        counters.set(BlkCounters.POLL_WINDOW_NANOS, handle.pollWindowNanos());
        counters.set(BlkCounters.SLEEPS, handle.sleeps());
        counters.set(BlkCounters.WAKEUPS, handle.wakeups());
    }
}
