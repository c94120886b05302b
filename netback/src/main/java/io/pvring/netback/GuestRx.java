package io.pvring.netback;

import io.pvring.event.EventPort;
import io.pvring.grant.GrantMapper;
import io.pvring.ring.BackRing;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;

/**
 * A queue's RX side (switch to guest): the {@link RxBacklog} of frames waiting for buffers, their placement by
 * {@link RxPlacer}, direct placement that skips the backlog for frames delivered on the queue's own thread, the
 * stall (carrier off) of a guest that posts no buffers, and RX notification: responses are pushed with
 * {@code RING_PUSH_RESPONSES_AND_CHECK_NOTIFY}, and while frames wait for buffers the ring is armed before the queue
 * sleeps ({@link #armAndCheck()}: {@code RING_FINAL_CHECK_FOR_REQUESTS}, {@code feature-rx-notify}). Everything
 * but {@link #enqueue} and {@link #isStalled()} runs on the queue's thread.
 */
final class GuestRx
{
    /** {@link #work} found {@code req_prod} overflowing the ring: the frontend is malicious. */
    static final int BROKEN = -1;
    /**
     * Frames placed directly (bypassing the backlog) are published every this many, not only by the next
     * {@link #work}: a guest waiting for an RX event otherwise sleeps through a whole TX batch.
     */
    private static final int DIRECT_PUSH_BATCH = NetBackQueue.BATCH / 2;

    private final BackRing ring;
    private final EventPort event;
    private final QueueCounters counters;
    private final RxBacklog backlog;
    private final RxPlacer placer;
    private final long stallNanos;
    private final long drainNanos;
    private final boolean rxNotify;
    private final ControlledMessageHandler placeBacklogged = this::placeBacklogged;

    private volatile boolean stalled;
    private long stallStart;
    private long now;
    private int available;
    private int placed;
    /** Frames placed straight into the guest's buffers since the last push of RX responses. */
    private int direct;

    GuestRx(
        final NetBackConfig config, final GrantMapper mapper, final BackRing ring, final EventPort event,
        final boolean rxNotify, final QueueCounters counters)
    {
        this.ring = ring;
        this.event = event;
        this.counters = counters;
        this.backlog = new RxBacklog(config.rxBacklogBytes());
        this.placer = new RxPlacer(mapper, ring, counters);
        this.stallNanos = config.rxStallNanos();
        this.drainNanos = config.rxDrainNanos();
        this.rxNotify = rxNotify;
    }

    /** True while the guest is declared stalled (it posted no RX buffers for {@code rxStallNanos}); any thread. */
    boolean isStalled()
    {
        return stalled;
    }

    /** Frames waiting for RX buffers, in bytes. */
    int backlogBytes()
    {
        return backlog.size();
    }

    /** Queues a frame for the next {@link #work} (any thread); false when the backlog is full. */
    boolean enqueue(
        final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
        final int gsoSize, final long hash, final long nowNanos)
    {
        return backlog.offer(frame, offset, length, flags, gsoType, gsoSize, hash, nowNanos);
    }

    /**
     * Delivery from the queue's own thread (another vif's TX on the same backend thread): when nothing waits in the
     * backlog and the guest has posted enough buffers, the frame is grant-copied straight into them, saving the
     * backlog copy. The responses are pushed every {@link #DIRECT_PUSH_BATCH} frames and by the next {@link #work}.
     *
     * @return false when the frame must take the backlog.
     */
    boolean placeDirect(
        final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
        final int gsoSize, final long hash)
    {
        if (backlog.size() != 0)
        {
            return false; // frames already queued go first
        }
        final int posted = ring.unconsumedRequests();
        final int extras = RxPlacer.extras(gsoType, hash);
        final int needed = RxPlacer.slotsNeeded(length, extras);
        if (posted < needed)
        {
            return false; // BROKEN (-1) included: work() reports it
        }
        stallStart = 0;
        placer.place(frame, offset, length, flags, gsoType, gsoSize, hash);
        if (++direct >= DIRECT_PUSH_BATCH)
        {
            direct = 0;
            push();
        }
        return true;
    }

    /**
     * Publishes directly placed frames, then places backlogged ones into posted buffers.
     *
     * @return frames moved, or {@link #BROKEN}.
     */
    int work(final long nowNanos)
    {
        now = nowNanos;
        final int placedDirect = direct;
        if (placedDirect > 0)
        {
            direct = 0;
            push();
        }
        final int backlogged = backlogWork();
        return backlogged == BROKEN ? BROKEN : placedDirect + backlogged;
    }

    /** Frames placed directly and not yet published (the queue's thread). */
    int directUnpushed()
    {
        return direct;
    }

    /**
     * Before the queue sleeps: while frames wait in the backlog, arms the ring for the guest's next buffers
     * ({@code RING_FINAL_CHECK_FOR_REQUESTS}, {@code feature-rx-notify}).
     *
     * @return 0 when the next {@link #work} has something to do (unpublished direct frames, or buffers posted
     *     meanwhile); otherwise how soon a waiting frame's stall or drain timeout wants a look, or
     *     {@link Long#MAX_VALUE} when nothing waits.
     */
    long armAndCheck()
    {
        if (direct > 0)
        {
            return 0;
        }
        if (backlog.size() == 0)
        {
            return Long.MAX_VALUE;
        }
        if (ring.finalCheckForRequests())
        {
            return 0;
        }
        return Math.max(1, Math.min(stallNanos, drainNanos));
    }

    private void push()
    {
        final boolean notify = ring.pushResponsesAndCheckNotify();
        if (notify)
        {
            event.notifyRemote();
        }
        counters.onRxNotify(notify);
    }

    private int backlogWork()
    {
        final int posted = ring.unconsumedRequests();
        if (posted == BackRing.BROKEN)
        {
            return BROKEN;
        }
        available = posted;
        placed = 0;
        if (backlog.size() == 0)
        {
            if (stalled && posted > 0)
            {
                stalled = false; // the guest posts buffers again: carrier back on
            }
            return 0;
        }
        final int read = backlog.read(placeBacklogged, NetBackQueue.BATCH);
        if (placed > 0)
        {
            push();
        }
        return read;
    }

    private ControlledMessageHandler.Action placeBacklogged(
        final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int frameLength = length - RxBacklog.HEADER_LENGTH;
        final int gsoType = buffer.getShort(index + RxBacklog.GSO_TYPE_OFFSET);
        final long hash = buffer.getLong(index + RxBacklog.HASH_OFFSET);
        final int extras = RxPlacer.extras(gsoType, hash);
        final int needed = RxPlacer.slotsNeeded(frameLength, extras);
        if (available < needed)
        {
            if (available == 0 || placed == 0)
            {
                return waitForBuffers(buffer.getLong(index + RxBacklog.TIME_OFFSET));
            }
            return ControlledMessageHandler.Action.BREAK;
        }
        stallStart = 0;
        stalled = false;
        placer.place(buffer, index + RxBacklog.HEADER_LENGTH, frameLength,
            buffer.getShort(index + RxBacklog.FLAGS_OFFSET), gsoType, buffer.getInt(index + RxBacklog.GSO_SIZE_OFFSET),
            hash);
        available -= needed;
        placed++;
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /** The head frame cannot be placed: wait, unless the guest has stalled or the frame is too old. */
    private ControlledMessageHandler.Action waitForBuffers(final long enqueuedNanos)
    {
        if (stallStart == 0)
        {
            stallStart = now;
        }
        if (!stalled && now - stallStart > stallNanos && rxNotify)
        {
            stalled = true; // carrier off: new frames are refused until the guest posts buffers
            counters.onRxStall();
        }
        if (stalled || now - enqueuedNanos > drainNanos)
        {
            counters.onRxDrop();
            return ControlledMessageHandler.Action.CONTINUE; // consumed without placing: dropped
        }
        return ControlledMessageHandler.Action.ABORT;
    }
}
