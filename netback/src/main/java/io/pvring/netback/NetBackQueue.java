package io.pvring.netback;

import java.nio.ByteOrder;

import io.pvring.event.EventPort;
import io.pvring.event.EventWaiter;
import io.pvring.grant.GrantMapper;
import io.pvring.netback.stats.VifCounters;
import io.pvring.netback.vswitch.PortSink;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netif.Netif;
import io.pvring.netif.NetifRings;
import io.pvring.netif.TxRequest;
import io.pvring.ring.BackRing;
import io.pvring.runner.AgentWaker;
import io.pvring.stats.TraceRecorder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;

import static io.pvring.ring.SharedRingDescriptor.PAGE_SIZE;

/**
 * One netback queue: a TX ring (guest to switch) and an RX ring (switch to guest) of one vif, run as an Agrona
 * {@link Agent}. This class is the duty cycle: it consumes event-channel kicks, runs guest TX in batches under the
 * credit shaper and runs guest RX; it never arms an event index there: its runner calls {@link #armAndCheck()}
 * (through the queue's {@link QueueAgent}) only before it lets the queue sleep. The work is done by parts
 * with one job each: {@link TxParser} reads each TX chain once into private memory and judges it (the only place
 * guest TX input is validated: fatal cases disable the vif as Linux {@code xenvif_fatal_tx_err}, ordinary bad
 * packets are answered {@code NETIF_RSP_ERROR}), {@link TxForwarder} executes the verdict (grant copy, answers,
 * switch), {@link MulticastFilter} keeps the guest's groups, and {@link GuestRx} holds frames for the guest and places
 * them into its posted buffers. Allocation-free and lock-free in steady state.
 */
public final class NetBackQueue implements Agent, PortSink, AutoCloseable
{
    /** Requests handled per {@link #doWork()} and direction, so TX and RX share the thread fairly. */
    public static final int BATCH = 64;

    private final String name;
    private final BackRing txRing;
    private final BackRing rxRing;
    private final EventPort txEvent;
    private final EventPort rxEvent;
    private final SwitchPort.Ingress ingress;
    private final FrontendFeatures features;
    private final NanoClock clock;
    private final FatalHandler fatalHandler;
    private final QueueCounters counters = new QueueCounters();
    private final CreditShaper shaper;
    private final TxParser txParser;
    private final TxForwarder txForwarder;
    private final MulticastFilter multicast;
    private final GuestRx rx;

    private volatile long nowNanos;
    /** The thread running this queue's duty cycle: frames it delivers itself may skip the backlog. */
    private Thread rxOwner;
    private volatile EventWaiter waiter;
    private boolean creditStalled;
    /** When the credit shaper began holding TX back (-1: it is not). */
    private long throttledSince = -1;
    private VifCounters published;
    private long publishedEvents;
    private volatile boolean disabled;
    private volatile String fatalReason;
    private boolean closed;

    /** The guest's grants and memory: whether they are still whole after a memory fault. */
    private final GrantMapper mapper;

    /**
     * @param name the queue's role name ({@code vif1.0-q0}).
     * @param vif what the vif's queues share.
     * @param rings this queue's mapped ring pages and bound event channels.
     * @param ingress where guest TX frames enter the switch (this queue's own ingress of the vif's port).
     */
    NetBackQueue(final String name, final VifSettings vif, final QueueRings rings, final SwitchPort.Ingress ingress)
    {
        final NetBackConfig config = vif.config();
        final FrontendFeatures features = vif.features();
        this.name = name;
        this.txRing = new BackRing(rings.tx(), NetifRings.TX).init();
        this.rxRing = new BackRing(rings.rx(), NetifRings.RX).init();
        this.txEvent = rings.txEvent();
        this.rxEvent = rings.rxEvent();
        this.ingress = ingress;
        this.features = features;
        this.clock = vif.clock();
        this.fatalHandler = vif.fatalHandler();
        this.shaper = new CreditShaper(config.creditBytes(), config.creditUsec());
        this.multicast = new MulticastFilter(features.multicastControl());
        this.txParser = new TxParser(config.fatalSlots(), features.sg());
        this.mapper = vif.mapper();
        this.txForwarder = new TxForwarder(vif.mapper(), txRing, ingress, multicast, counters);
        this.rx = new GuestRx(config, vif.mapper(), rxRing, rxEvent, features.rxNotify(), counters);
        this.nowNanos = clock.nanoTime();
    }

    /** False once the guest's memory or grant table was truncated under its mapping. */
    boolean memoryIntact()
    {
        return mapper.memoryIntact();
    }

    @Override
    public String roleName()
    {
        return name;
    }

    public QueueCounters counters()
    {
        return counters;
    }

    public FrontendFeatures features()
    {
        return features;
    }

    /**
     * Who to wake when the guest kicks one of the queue's event channels or frames arrive for it from another agent
     * (its runner's waker); null unregisters.
     */
    public void waiter(final EventWaiter waiter)
    {
        this.waiter = waiter;
        txEvent.waiter(waiter);
        if (rxEvent != txEvent)
        {
            rxEvent.waiter(waiter);
        }
    }

    /** True once the frontend was found malicious; the queue does nothing more. */
    public boolean isDisabled()
    {
        return disabled;
    }

    /** Why the queue was disabled, or null. */
    public String fatalReason()
    {
        return fatalReason;
    }

    /** True while the guest is declared stalled (it posted no RX buffers for {@code rxStallNanos}). */
    public boolean isRxStalled()
    {
        return rx.isStalled();
    }

    /**
     * While the credit shaper holds guest TX back (as of the last {@link #doWork()}), the time from then until its
     * next top-up, when this queue has work again without any event; {@link Long#MAX_VALUE} otherwise.
     */
    public long nanosUntilCredit()
    {
        return creditStalled ? shaper.nanosUntilCredit(nowNanos) : Long.MAX_VALUE;
    }

    /** Frames waiting for RX buffers, in bytes (for stats). */
    public int rxBacklogBytes()
    {
        return rx.backlogBytes();
    }

    /**
     * Publishes this queue's counters to {@code published} (a counters file another process reads) at the end of
     * every duty cycle that moved something; null to stop. Set before the queue's agent runs.
     */
    public void publishTo(final VifCounters published)
    {
        this.published = published;
        this.publishedEvents = -1;
        counters.trace(published == null || published.trace() == null ? new TraceRecorder(0) : published.trace());
    }

    /** Where the counters are published, or null (for the runner's figures: {@link QueueAgent}). */
    VifCounters publishedCounters()
    {
        return published;
    }

    /**
     * Turns multicast filtering on or off ({@code feature-dynamic-multicast-control}: the frontend changed
     * {@code request-multicast-control}); any thread. The group list stays, as in Linux.
     */
    public void multicastControl(final boolean on)
    {
        multicast.enabled(on);
    }

    public boolean multicastControl()
    {
        return multicast.enabled();
    }

    @Override
    public int doWork()
    {
        final int work = dutyCycle();
        final VifCounters p = published;
        if (p != null)
        {
            // a batch boundary: copy the private counters out once per busy cycle, or when an idle cycle (or
            // another thread: rx drops) counted an event
            final long events = counters.txCreditStalls() + counters.rxDrops() + counters.rxStalls()
                + counters.txErrors() + counters.rxErrors();
            if (work > 0 || events != publishedEvents)
            {
                publishedEvents = events;
                p.publish(counters);
            }
        }
        return work;
    }

    private int dutyCycle()
    {
        if (disabled || closed)
        {
            return 0;
        }
        nowNanos = clock.nanoTime();
        rxOwner = Thread.currentThread();
        ingress.tick();
        if (txEvent.isPending())
        {
            txEvent.consumePending();
        }
        if (rxEvent != txEvent && rxEvent.isPending())
        {
            rxEvent.consumePending();
        }
        creditStalled = false;
        final int work = txWork() + rxWork();
        throttleTime();
        return work;
    }

    /**
     * Before the queue sleeps ({@code RING_FINAL_CHECK_FOR_REQUESTS}): arms the TX ring, unless its requests wait for
     * credit (then {@code timer} is asked to wake the queue at the shaper's next top-up instead), and the RX ring
     * while frames wait in the backlog for buffers ({@code feature-rx-notify}; a waiting frame also bounds the sleep
     * by the stall and drain timeouts). Every ring is armed before the answer.
     *
     * @param timer the runner's waker, for the credit and backlog timers; null when stepped by hand.
     * @return true when the next {@link #doWork()} has something to do.
     */
    public boolean armAndCheck(final AgentWaker timer)
    {
        if (disabled || closed)
        {
            return false;
        }
        boolean work = false;
        if (creditStalled)
        {
            if (timer != null)
            {
                timer.wakeWithin(shaper.nanosUntilCredit(clock.nanoTime()));
            }
        }
        else
        {
            work = txRing.finalCheckForRequests();
        }
        final long rxTimer = rx.armAndCheck();
        if (rxTimer == 0)
        {
            work = true;
        }
        else if (rxTimer != Long.MAX_VALUE && timer != null)
        {
            timer.wakeWithin(rxTimer);
        }
        return work;
    }

    /** Accrues the time the credit shaper held TX back, once the hold ends (the throttled-time counter). */
    private void throttleTime()
    {
        if (creditStalled && throttledSince < 0)
        {
            throttledSince = nowNanos;
        }
        else if (!creditStalled && throttledSince >= 0)
        {
            counters.onThrottled(nowNanos - throttledSince);
            throttledSince = -1;
        }
    }

    // ---------------------------------------------------------------- guest TX

    private int txWork()
    {
        int packets = 0;
        int pushed = 0;
        while (packets < BATCH)
        {
            final int available = txRing.unconsumedRequests();
            if (available == BackRing.BROKEN)
            {
                fatal("TX req_prod overflow: " + txRing.describe());
                return packets;
            }
            if (packets == 0)
            {
                counters.ringFill(available);
            }
            if (available == 0)
            {
                break;
            }
            // peek the size for the credit check only; the packet is parsed from the private copy below
            if (!shaper.isUnlimited())
            {
                final int peekSize = txRing.buffer().getShort(
                    txRing.geometry().slotOffset(txRing.reqCons()) + TxRequest.SIZE_OFFSET, ByteOrder.LITTLE_ENDIAN)
                    & 0xFFFF;
                if (!shaper.tryConsume(peekSize, nowNanos))
                {
                    if (!creditStalled)
                    {
                        counters.onTxCreditStall();
                    }
                    creditStalled = true;
                    break;
                }
            }
            if (!txPacket(available))
            {
                return packets;
            }
            packets++;
            pushed++;
        }
        if (pushed > 0)
        {
            final boolean notify = txRing.pushResponsesAndCheckNotify();
            if (notify)
            {
                txEvent.notifyRemote();
            }
            counters.onTxNotify(notify);
        }
        return packets;
    }

    /** Parses one chain and executes the verdict; false when the frontend proved malicious. */
    private boolean txPacket(final int available)
    {
        final TxVerdict verdict = txParser.parse(txRing, available);
        if (verdict.kind() == TxVerdict.FATAL)
        {
            return fatal(verdict.reason());
        }
        txForwarder.execute(verdict);
        return true;
    }

    private boolean fatal(final String reason)
    {
        if (!disabled)
        {
            fatalReason = reason;
            disabled = true;
            fatalHandler.onFatal(name + ": " + reason);
        }
        return false;
    }

    // ---------------------------------------------------------------- guest RX

    /**
     * Queues a frame for the guest (any thread). False when it was dropped: the backlog is full, the guest is
     * stalled or disabled, the frame cannot fit its buffers, or it is a multicast group the guest did not join.
     */
    @Override
    public boolean deliver(
        final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
        final int gsoSize)
    {
        return deliver(frame, offset, length, flags, gsoType, gsoSize, -1);
    }

    /**
     * {@link #deliver(DirectBuffer, int, int, int, int, int)} with the frame's control-ring hash
     * ({@code HashConfig.hash}), which the guest receives in an {@code XEN_NETIF_EXTRA_TYPE_HASH} extra; -1 for none.
     */
    public boolean deliver(
        final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
        final int gsoSize, final long hash)
    {
        if (disabled || closed || rx.isStalled() || !fitsGuest(length, gsoType) || !multicast.wants(frame, offset))
        {
            counters.onRxDrop();
            return false;
        }
        if (rxOwner == Thread.currentThread() && rx.placeDirect(frame, offset, length, flags, gsoType, gsoSize, hash))
        {
            if (rx.directUnpushed() == 1)
            {
                wakeOwner(); // the first frame since a push: a sleeping queue must run to publish it
            }
            return true;
        }
        if (!rx.enqueue(frame, offset, length, flags, gsoType, gsoSize, hash, nowNanos))
        {
            counters.onRxDrop();
            return false;
        }
        wakeOwner();
        return true;
    }

    /** The queue may sleep on its runner: work from another agent or thread must wake it. */
    private void wakeOwner()
    {
        final EventWaiter w = waiter;
        if (w != null)
        {
            w.wake();
        }
    }

    private boolean fitsGuest(final int length, final int gsoType)
    {
        final int slots = (length + PAGE_SIZE - 1) / PAGE_SIZE + (gsoType != 0 ? 1 : 0);
        return features.sg() ? slots <= Netif.NR_SLOTS_MIN : slots == 1;
    }

    private int rxWork()
    {
        final int work = rx.work(nowNanos);
        if (work == GuestRx.BROKEN)
        {
            fatal("RX req_prod overflow: " + rxRing.describe());
            return 0;
        }
        return work;
    }

    /** Stops the queue for good: later work and deliveries do nothing. Idempotent; call from the agent's thread. */
    @Override
    public void close()
    {
        closed = true;
    }

    @Override
    public void onClose()
    {
        close();
    }

    @Override
    public String toString()
    {
        return name + " " + counters;
    }
}
