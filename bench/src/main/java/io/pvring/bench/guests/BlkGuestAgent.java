package io.pvring.bench.guests;

import io.pvring.bench.blk.BlkBenchConfig;
import io.pvring.bench.blk.SectorSequence;
import io.pvring.bench.run.RunControl;
import io.pvring.blkfront.BlkCompletionHandler;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.EventPort;
import io.pvring.runner.AgentWaker;
import io.pvring.runner.RingAgent;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One guest's blkfront load generator (fio's job on one ring) as a ring agent on the guests' shared frontend
 * threads: many guests per thread, each kept at its queue depth, and a thread whose guests all wait for responses
 * sleeps (notify), polls for an adaptive window first (adaptive) or spins (poll), exactly as a backend ring on the
 * host's runners does. Requests carry their submit time in the cookie; completions record their latency.
 *
 * <p>Single-threaded (its runner's); the figures are plain fields the coordinator reads after the frontend pool
 * stopped, except the operations count, which it publishes for the progress line.
 */
final class BlkGuestAgent implements RingAgent
{
    final Histogram latency = new Histogram(GuestLoad.MAX_LATENCY_NANOS, 3);
    long ops;
    long pushes;
    long sent;
    /** Passes that reaped responses, and those that found every request answered (the ring had run dry). */
    long reaps;
    long drained;

    private final int guest;
    private final BlkFrontQueue queue;
    private final EventPort port;
    private final GuestLoad load;
    private final int queueDepth;
    private final SectorSequence sectors;
    private final int writePercent;
    private final UnsafeBuffer data;
    private final BlkCompletionHandler onCompletion = this::onCompletion;
    private int seen = RunControl.WARMUP;
    private long now;

    /**
     * @param port the frontend end of the guest's event channel, or null when both sides poll.
     */
    BlkGuestAgent(final int guest, final BlkFrontQueue queue, final EventPort port, final GuestLoad load,
        final BlkBenchConfig settings)
    {
        this.guest = guest;
        this.queue = queue;
        this.port = port;
        this.load = load;
        this.queueDepth = settings.queueDepth();
        this.writePercent = settings.pattern().writePercent();
        this.data = new UnsafeBuffer(new byte[settings.blockSize()]);
        final long blocks = settings.sizeBytes() / settings.blockSize();
        this.sectors = new SectorSequence(settings.blockSize(), settings.sizeBytes(), settings.pattern().random(),
            blocks / 2 * (guest & 1), 0x9E3779B97F4A7C15L * (guest + 1));
    }

    @Override
    public void onStart()
    {
        load.cpu.frontendThread();
    }

    @Override
    public int doWork()
    {
        if (port != null)
        {
            port.consumePending(); // before reading the ring: a response published after this wakes us again
        }
        final int phase = load.control.phase();
        if (phase != seen)
        {
            seen = phase;
            if (phase == RunControl.MEASURE)
            {
                latency.reset();
                ops = 0;
                pushes = 0;
                sent = 0;
                reaps = 0;
                drained = 0;
                load.ops.set(guest, 0);
            }
        }
        if (seen == RunControl.STOP)
        {
            return 0; // what is in flight is answered into the ring; nobody reads it any more
        }
        now = System.nanoTime();
        final int completed = queue.poll(onCompletion);
        if (completed > 0)
        {
            reaps++;
            if (queue.inFlight() == 0)
            {
                drained++;
            }
            load.ops.set(guest, ops);
        }
        if (queue.isBroken())
        {
            throw new IllegalStateException("blkfront of guest " + guest + " broken by the backend");
        }
        int submitted = 0;
        while (queue.inFlight() < queueDepth && submit())
        {
            submitted++;
        }
        if (submitted > 0)
        {
            pushes++;
            if (queue.push())
            {
                sent++;
            }
        }
        return completed + submitted;
    }

    private boolean submit()
    {
        final long sector = sectors.nextSector();
        final boolean write = writePercent == 100 || (writePercent > 0 && sectors.random() % 100 < writePercent);
        final int count = sectors.sectorsPerBlock();
        return write ? queue.write(sector, count, data, 0, now) : queue.read(sector, count, data, 0, now);
    }

    /** Work is waiting when the ring has room for requests (closed loop) or responses arrived before arming. */
    @Override
    public boolean armAndCheck()
    {
        if (seen == RunControl.STOP)
        {
            return false;
        }
        final boolean responses = queue.finalCheckForResponses();
        return responses || queue.inFlight() < queueDepth;
    }

    @Override
    public void waker(final AgentWaker waker)
    {
        if (port != null)
        {
            port.waiter(waker);
        }
    }

    @Override
    public String roleName()
    {
        return "blkfront-guest-" + guest;
    }

    private void onCompletion(final long cookie, final int operation, final int status)
    {
        if (status != BlkifDescriptor.BLKIF_RSP_OKAY)
        {
            throw new IllegalStateException("guest " + guest + ": blk operation=" + operation + " failed with status="
                + status);
        }
        latency.recordValue(Math.max(0, Math.min(now - cookie, GuestLoad.MAX_LATENCY_NANOS)));
        ops++;
    }

}
