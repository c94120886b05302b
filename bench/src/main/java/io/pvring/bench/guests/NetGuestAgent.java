package io.pvring.bench.guests;

import java.nio.ByteOrder;

import io.pvring.bench.net.FrameBuilder;
import io.pvring.bench.run.RunControl;
import io.pvring.netfront.FrameHandler;
import io.pvring.netfront.NetFront;
import io.pvring.netif.Netif;
import io.pvring.runner.AgentWaker;
import io.pvring.runner.RingAgent;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;

/**
 * One guest's netfront load generator as a ring agent on the guests' shared frontend threads: it sends frames to
 * the next guest in the ring and receives the previous guest's, each stamped with its send time (one-way latency).
 * What it has in flight towards its successor is bounded by half of an RX ring (sent minus what the successor has
 * received), so the run measures transfer, not drops, as {@code bench net} does.
 *
 * <p>The one cross-guest signal: a sender whose window is closed marks itself {@link #blocked} before it sleeps,
 * and its successor, after publishing what it received, wakes it (the successor's receive count and the blocked
 * flag are both volatile: store then load on each side, so one of them sees the other and no wake-up is lost).
 */
final class NetGuestAgent implements RingAgent
{
    static final int BURST = 32;
    private static final int RX_BUDGET = 64;

    final Histogram latency = new Histogram(GuestLoad.MAX_LATENCY_NANOS, 3);
    long ops;
    long notifications;

    private final int guest;
    private final NetFront front;
    private final FrameBuilder builder;
    private final GuestLoad load;
    private final int length;
    private final int txFlags;
    private final int stampOffset;
    private final int window;
    private final FrameHandler onFrame = this::onFrame;
    private NetGuestAgent successor;
    private NetGuestAgent predecessor;
    private volatile AgentWaker waker;
    /** Frames received since the start (never reset): the predecessor's window reads it. */
    private volatile long received;
    private volatile boolean blocked;
    private long sent;
    private long notificationsBase;
    private int seen = RunControl.WARMUP;
    private long now;

    NetGuestAgent(final int guest, final NetFront front, final FrameBuilder builder, final boolean csum,
        final GuestLoad load)
    {
        this.guest = guest;
        this.front = front;
        this.builder = builder;
        this.load = load;
        this.length = builder.length();
        this.txFlags = csum ? Netif.NETTXF_CSUM_BLANK | Netif.NETTXF_DATA_VALIDATED : 0;
        this.stampOffset = builder.stampOffset();
        this.window = NetFront.RING_SIZE / 2;
    }

    /** Who receives this guest's frames and who sends this guest frames; set before the agents run. */
    void link(final NetGuestAgent next, final NetGuestAgent previous)
    {
        this.successor = next;
        this.predecessor = previous;
    }

    @Override
    public void onStart()
    {
        load.cpu.frontendThread();
    }

    @Override
    public int doWork()
    {
        front.txEventPort().consumePending(); // one channel for TX and RX; before reading either ring
        final int phase = load.control.phase();
        if (phase != seen)
        {
            seen = phase;
            if (phase == RunControl.MEASURE)
            {
                latency.reset();
                ops = 0;
                load.ops.set(guest, 0);
                notificationsBase = front.notifications();
            }
            else if (phase == RunControl.STOP)
            {
                notifications = front.notifications() - notificationsBase;
            }
        }
        if (seen == RunControl.STOP)
        {
            return 0;
        }
        now = System.nanoTime();
        final int frames = front.receive(onFrame, RX_BUDGET);
        if (frames > 0)
        {
            ops += frames;
            load.ops.set(guest, ops);
            received += frames; // single writer; volatile: the predecessor's window reads it
            if (predecessor.blocked)
            {
                final AgentWaker w = predecessor.waker;
                if (w != null)
                {
                    w.wake();
                }
            }
        }
        int work = frames + front.reclaimTx();
        final long room = Math.min(BURST, window - (sent - successor.received));
        int queued = 0;
        while (queued < room && front.send(builder.stamp(now), 0, length, txFlags, Netif.XEN_NETIF_GSO_TYPE_NONE, 0))
        {
            queued++;
        }
        sent += queued;
        if (queued > 0 || frames > 0)
        {
            front.flush(); // publishes TX requests and reposts RX buffers, notifying where the rings ask
        }
        if (front.brokenReason() != null)
        {
            throw new IllegalStateException("netfront of guest " + guest + " broken: " + front.brokenReason());
        }
        final boolean closed = room <= 0;
        if (closed != blocked)
        {
            blocked = closed;
        }
        return work + queued;
    }

    @Override
    public boolean armAndCheck()
    {
        if (seen == RunControl.STOP)
        {
            return false;
        }
        boolean pending = front.finalCheckForTx();
        pending |= front.finalCheckForRx();
        if (sent - successor.received < window)
        {
            return true; // room to send: the next duty cycle sends
        }
        blocked = true; // before reading the successor's count again: its wake-up or our read sees the other
        return pending || sent - successor.received < window;
    }

    @Override
    public void waker(final AgentWaker waker)
    {
        this.waker = waker;
        front.txEventPort().waiter(waker);
    }

    @Override
    public String roleName()
    {
        return "netfront-guest-" + guest;
    }

    private void onFrame(final DirectBuffer buffer, final int offset, final int frameLength, final int rxFlags,
        final int gsoType, final int gsoSize)
    {
        if (frameLength != length)
        {
            throw new IllegalStateException("guest " + guest + " received a frame of " + frameLength + " bytes, "
                + "sent " + length);
        }
        final long stamp = buffer.getLong(offset + stampOffset, ByteOrder.LITTLE_ENDIAN);
        latency.recordValue(Math.max(0, Math.min(now - stamp, GuestLoad.MAX_LATENCY_NANOS)));
    }
}
