package io.pvring.bench.ring;

import org.agrona.BufferUtil;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import io.pvring.bench.run.RunControl;
import io.pvring.event.BlockingIdleStrategy;
import io.pvring.event.EventChannelTable;
import io.pvring.event.EventPort;
import io.pvring.ring.BackRing;
import io.pvring.ring.FrontRing;
import io.pvring.ring.RingGeometry;
import io.pvring.ring.SharedRingDescriptor;

/**
 * The workload over one pvring shared ring, used as a Xen frontend and backend use it: requests composed in private
 * memory, copied into their slots whole ({@link FrontRing#putRequest}, Linux blkfront's shadow copy-in) and
 * published with {@code RING_PUSH_REQUESTS_AND_CHECK_NOTIFY}, copied out whole by the back
 * ({@code RING_COPY_REQUEST}), responses written field by field and published with
 * {@code RING_PUSH_RESPONSES_AND_CHECK_NOTIFY}; each side runs {@code RING_FINAL_CHECK_FOR_*} once when it goes
 * idle (as a driver does before it sleeps) and then only reads the producer index until work arrives, so the
 * notification counts are those a sleeping peer would need.
 */
public final class PvringHandoff extends RingHandoff
{
    private static final int BACK_DOMID = 0;
    private static final int FRONT_DOMID = 1;

    private final UnsafeBuffer shared;
    private final FrontRing front;
    private final BackRing back;
    // With --idle notify: an event channel between a guest (the front) and dom0 (the back), each end waking a
    // blocking idle strategy, as a frontend's and a backend's interrupt handlers do. Null otherwise.
    private final EventPort frontPort;
    private final EventPort backPort;
    private final BlockingIdleStrategy frontSleeper;
    private final BlockingIdleStrategy backSleeper;

    public PvringHandoff(final RingConfig config)
    {
        super(config);
        final RingGeometry geometry = config.geometry();
        shared = new UnsafeBuffer(BufferUtil.allocateDirectAligned(geometry.ringBytes(),
            SharedRingDescriptor.PAGE_SIZE));
        front = new FrontRing(shared, geometry).init();
        back = new BackRing(shared, geometry).init();
        if (config.idle().sleeps())
        {
            final EventChannelTable channels = new EventChannelTable();
            channels.addDomain(BACK_DOMID);
            channels.addDomain(FRONT_DOMID);
            frontPort = channels.allocUnbound(FRONT_DOMID, BACK_DOMID);
            backPort = channels.bindInterdomain(BACK_DOMID, FRONT_DOMID, frontPort.port());
            frontSleeper = new BlockingIdleStrategy();
            backSleeper = new BlockingIdleStrategy();
            frontPort.waiter(frontSleeper);
            backPort.waiter(backSleeper);
        }
        else
        {
            frontPort = null;
            backPort = null;
            frontSleeper = null;
            backSleeper = null;
        }
    }

    @Override
    protected void wakeForStop()
    {
        if (frontSleeper != null)
        {
            frontSleeper.wake();
            backSleeper.wake();
        }
    }

    /**
     * A private slot off-heap, like the shared ring: when every buffer a loop touches is off-heap, C2's profile of
     * each unsafe access sees one kind of base and compiles it as a plain load or store.
     */
    private UnsafeBuffer privateSlot()
    {
        return new UnsafeBuffer(BufferUtil.allocateDirectAligned(config.slotBytes(), Long.BYTES * 8));
    }

    @Override
    public String impl()
    {
        return "pvring";
    }

    @Override
    public boolean countsNotifications()
    {
        return true;
    }

    @Override
    protected void runFront()
    {
        final FrontRing ring = front;
        final UnsafeBuffer buffer = shared;
        // Composed privately and copied in whole (putRequest), as Linux's blkfront copies its shadow request.
        final UnsafeBuffer request = privateSlot();
        request.putBytes(0, payload);
        final IdleStrategy idle = frontSleeper != null ? frontSleeper : config.idle().newStrategy();
        final EventPort port = frontPort;
        long nextId = 0;
        long ops = 0;
        boolean armed = false;
        long sent = 0;
        long suppressed = 0;
        int seen = RunControl.WARMUP;
        frontBegin();
        while (true)
        {
            final int phase = control.phase();
            if (phase != seen)
            {
                if (phase == RunControl.STOP)
                {
                    break;
                }
                seen = phase;
                frontMeasureStart();
                ops = 0;
                sent = 0;
                suppressed = 0;
            }
            if (port != null)
            {
                // The interrupt handler's first step: clear the pending bit, then look at the ring.
                port.consumePending();
            }
            int work = 0;
            final int toSend = requestsToSend(ring.freeRequests());
            if (toSend > 0)
            {
                final long now = System.nanoTime();
                for (int i = 0; i < toSend; i++)
                {
                    request.putLong(ID_OFFSET, nextId++);
                    request.putLong(STAMP_OFFSET, stamp(now));
                    ring.putRequest(request, 0);
                }
                if (ring.pushRequestsAndCheckNotify())
                {
                    frontCounters.set(SENT, ++sent);
                    if (port != null)
                    {
                        port.notifyRemote();
                    }
                }
                else
                {
                    frontCounters.set(SUPPRESSED, ++suppressed);
                }
                work += toSend;
            }
            final int responses = ring.unconsumedResponses();
            if (responses > 0)
            {
                final long now = System.nanoTime();
                for (int i = 0; i < responses; i++)
                {
                    final long stamp = buffer.getLong(ring.responseOffset() + STAMP_OFFSET);
                    ring.nextResponse();
                    recordLatency(now - stamp);
                }
                flushLatency();
                ops += responses;
                frontCounters.set(OPS, ops);
                work += responses;
            }
            if (work > 0)
            {
                armed = false;
            }
            else if (!armed)
            {
                // Going idle: arm rsp_event once (a write to the shared header line), then only read while idle.
                armed = true;
                work = ring.finalCheckForResponses() ? 1 : 0;
            }
            if (work == 0 && frontSleeper != null)
            {
                final long sleepNanos = nanosUntilNextSend();
                if (sleepNanos > 0)
                {
                    frontSleeper.boundNextPark(sleepNanos);
                }
            }
            idle.idle(work);
        }
    }

    @Override
    protected void runBack()
    {
        final BackRing ring = back;
        final UnsafeBuffer buffer = shared;
        final UnsafeBuffer request = privateSlot();
        final int batch = config.batch();
        final IdleStrategy idle = backSleeper != null ? backSleeper : config.idle().newStrategy();
        final EventPort port = backPort;
        boolean armed = false;
        long sent = 0;
        long suppressed = 0;
        int seen = RunControl.WARMUP;
        while (true)
        {
            final int phase = control.phase();
            if (phase != seen)
            {
                if (phase == RunControl.STOP)
                {
                    break;
                }
                seen = phase;
                backMeasureStart();
                sent = 0;
                suppressed = 0;
            }
            if (port != null)
            {
                port.consumePending();
            }
            final int available = ring.unconsumedRequests();
            if (available == BackRing.BROKEN)
            {
                throw new IllegalStateException("ring broken: " + ring.describe());
            }
            int work = 0;
            if (available > 0)
            {
                final int n = Math.min(available, batch);
                for (int i = 0; i < n; i++)
                {
                    ring.copyRequest(request, 0);
                    final int offset = ring.responseOffset();
                    buffer.putLong(offset + ID_OFFSET, request.getLong(ID_OFFSET));
                    buffer.putLong(offset + STAMP_OFFSET, request.getLong(STAMP_OFFSET));
                    ring.nextResponse();
                }
                if (ring.pushResponsesAndCheckNotify())
                {
                    backCounters.set(SENT, ++sent);
                    if (port != null)
                    {
                        port.notifyRemote();
                    }
                }
                else
                {
                    backCounters.set(SUPPRESSED, ++suppressed);
                }
                work = n;
                armed = false;
            }
            else if (!armed)
            {
                // Going idle: arm req_event once, then only read req_prod while idle.
                armed = true;
                work = ring.finalCheckForRequests() ? 1 : 0;
            }
            idle.idle(work);
        }
    }

}
