package io.pvring.netback;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.pvring.event.EventPort;
import io.pvring.event.EventWaiter;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantStatus;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.PortSink;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netif.ExtraInfo;
import io.pvring.netif.Netif;
import io.pvring.netif.NetifRings;
import io.pvring.netif.RxRequest;
import io.pvring.netif.RxResponse;
import io.pvring.netif.TxRequest;
import io.pvring.netif.TxResponse;
import io.pvring.ring.BackRing;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import io.pvring.netback.stats.VifCounters;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import static io.pvring.ring.SharedRingDescriptor.PAGE_SIZE;

/**
 * One netback queue: a TX ring (guest to switch) and an RX ring (switch to guest) of one vif, run as an Agrona
 * {@link Agent}. Guest TX: every request is copied once into private memory ({@code RING_COPY_REQUEST}) and
 * validated there as Linux {@code xenvif_tx_build_gops} does (fatal cases disable the vif, ordinary bad packets are
 * answered {@code NETIF_RSP_ERROR}, every slot is answered), then the data is grant-copied into one contiguous
 * private frame (so headers are never split, XSA-423/432; zero-size slots never touch their grant, XSA-448) and
 * handed to the switch. Guest RX: frames the switch delivers wait in a bounded many-to-one backlog (a guest that
 * posts no buffers costs counted drops, never memory, XSA-392), then are grant-copied into the guest's posted pages,
 * each response in the slot its request was posted in. Allocation-free and lock-free in steady state.
 */
public final class NetBackQueue implements Agent, PortSink, AutoCloseable
{
    /** Requests handled per {@link #doWork()} and direction, so TX and RX share the thread fairly. */
    public static final int BATCH = 64;

    private static final int RX_HEADER = 24;
    private static final int RX_FLAGS_OFFSET = 0;
    private static final int RX_GSO_TYPE_OFFSET = 2;
    private static final int RX_GSO_SIZE_OFFSET = 4;
    private static final int RX_TIME_OFFSET = 8;
    /** The control-ring hash ({@code HashConfig.hash}: type and value), or -1 for no hash extra. */
    private static final int RX_HASH_OFFSET = 16;
    private static final int RX_MSG_TYPE = 1;
    private static final int MAX_MCAST = 64;
    /**
     * Frames placed directly (bypassing the backlog) are published every this many, not only by the next
     * {@link #rxWork()}: a guest waiting for an RX event otherwise sleeps through a whole TX batch.
     */
    private static final int DIRECT_PUSH_BATCH = BATCH / 2;

    private final String name;
    private final NetBackConfig config;
    private final GrantMapper mapper;
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

    // TX scratch: private copies of one packet's requests and its data
    private final UnsafeBuffer txRequests;
    private final TxRequest txRequest = new TxRequest();
    private final TxResponse txResponse = new TxResponse();
    private final ExtraInfo extra = new ExtraInfo();
    private final UnsafeBuffer txExtras = new UnsafeBuffer(new byte[Netif.XEN_NETIF_EXTRA_TYPE_MAX * ExtraInfo.LENGTH]);
    private final UnsafeBuffer packet = new UnsafeBuffer(ByteBuffer.allocateDirect(Netif.MAX_TX_SIZE + 1));

    // RX
    private final ManyToOneRingBuffer backlog;
    private final RxRequest rxRequest = new RxRequest();
    private final RxResponse rxResponse = new RxResponse();
    private final UnsafeBuffer rxRequestCopy = new UnsafeBuffer(new byte[RxRequest.LENGTH]);
    private final ControlledMessageHandler rxHandler = this::placeRx;
    private final long[] multicast = new long[MAX_MCAST];
    private int multicastCount;
    /** {@code request-multicast-control}, negotiated at connect and re-read later (dynamic multicast control). */
    private volatile boolean multicastControl;
    private volatile long nowNanos;
    private volatile boolean rxStalled;
    private long rxStallStart;
    private int rxAvailable;
    private int rxPlaced;
    /** The thread running this queue's duty cycle: frames it delivers itself may skip the backlog. */
    private Thread rxOwner;
    /** Frames placed straight into the guest's buffers since the last push of RX responses. */
    private int rxDirect;

    private boolean txArmed;
    private boolean rxArmed;
    private volatile EventWaiter waiter;
    private boolean creditStalled;
    private VifCounters published;
    private long publishedEvents;
    private volatile boolean disabled;
    private volatile String fatalReason;
    private boolean closed;

    /**
     * @param txRingBuffer the mapped TX shared ring page; {@code rxRingBuffer} likewise.
     * @param txEvent notified when TX responses need the guest's attention; {@code rxEvent} for RX (the same port
     *     unless the frontend split the event channels).
     * @param ingress where guest TX frames enter the switch (this queue's own ingress of the vif's port).
     */
    public NetBackQueue(
        final String name, final NetBackConfig config, final GrantMapper mapper, final AtomicBuffer txRingBuffer,
        final AtomicBuffer rxRingBuffer, final EventPort txEvent, final EventPort rxEvent,
        final SwitchPort.Ingress ingress, final FrontendFeatures features, final NanoClock clock,
        final FatalHandler fatalHandler)
    {
        this.name = name;
        this.config = config;
        this.mapper = mapper;
        this.txRing = new BackRing(txRingBuffer, NetifRings.TX).init();
        this.rxRing = new BackRing(rxRingBuffer, NetifRings.RX).init();
        this.txEvent = txEvent;
        this.rxEvent = rxEvent;
        this.ingress = ingress;
        this.features = features;
        this.multicastControl = features.multicastControl();
        this.clock = clock;
        this.fatalHandler = fatalHandler;
        this.shaper = new CreditShaper(config.creditBytes(), config.creditUsec());
        this.txRequests = new UnsafeBuffer(new byte[(config.fatalSlots() + 2) * TxRequest.LENGTH]);
        this.backlog = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(config.rxBacklogBytes() + RingBufferDescriptor.TRAILER_LENGTH)));
        this.nowNanos = clock.nanoTime();
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

    /** Who to wake when frames arrive for the guest from another thread (the runner's idle strategy), or null. */
    public void waiter(final EventWaiter waiter)
    {
        this.waiter = waiter;
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
        return rxStalled;
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
        return backlog.size();
    }

    /**
     * Publishes this queue's counters to {@code published} (a counters file another process reads) at the end of
     * every duty cycle that moved something; null to stop. Set before the queue's agent runs.
     */
    public void publishTo(final VifCounters published)
    {
        this.published = published;
        this.publishedEvents = -1;
    }

    /**
     * Turns multicast filtering on or off ({@code feature-dynamic-multicast-control}: the frontend changed
     * {@code request-multicast-control}); any thread. The group list stays, as in Linux.
     */
    public void multicastControl(final boolean on)
    {
        multicastControl = on;
    }

    public boolean multicastControl()
    {
        return multicastControl;
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
        int work = txWork();
        work += rxWork();
        if (creditStalled)
        {
            // requests wait for credit, not for an event: no re-arm, and no work reported (the runner may sleep
            // until nanosUntilCredit() says the shaper tops up)
            return work;
        }
        if (work > 0)
        {
            txArmed = false;
        }
        else if (!txArmed && !disabled)
        {
            // going idle: ask for a notification at the next request, then look once more. Only once per idle
            // spell: re-arming on every idle spin would bounce the ring header's cache line to the frontend.
            if (txRing.finalCheckForRequests())
            {
                work += txWork();
            }
            else
            {
                txArmed = true;
            }
        }
        return work;
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

    /** Consumes, validates, copies and forwards one packet; false when the vif was disabled. */
    private boolean txPacket(final int available)
    {
        final int fatalSlots = config.fatalSlots();
        txRing.copyRequest(txRequests, 0);
        int consumed = 1;
        txRequest.wrap(txRequests, 0);
        final int firstFlags = txRequest.flags();
        final int totalSize = txRequest.size();

        // extra-info slots follow the first request
        int extras = 0;
        int gsoType = Netif.XEN_NETIF_GSO_TYPE_NONE;
        int gsoSize = 0;
        int mcastOp = 0;
        long mcastAddr = 0;
        if ((firstFlags & Netif.NETTXF_EXTRA_INFO) != 0)
        {
            boolean more = true;
            while (more)
            {
                if (consumed >= available || extras >= Netif.XEN_NETIF_EXTRA_TYPE_MAX - 1)
                {
                    return fatal("missing or too many extra info slots");
                }
                txRing.copyRequest(txExtras, extras * ExtraInfo.LENGTH);
                consumed++;
                extra.wrap(txExtras, extras * ExtraInfo.LENGTH);
                extras++;
                final int type = extra.type();
                if (type == Netif.XEN_NETIF_EXTRA_TYPE_NONE || type >= Netif.XEN_NETIF_EXTRA_TYPE_MAX)
                {
                    return fatal("invalid extra info type " + type);
                }
                if (type == Netif.XEN_NETIF_EXTRA_TYPE_GSO)
                {
                    gsoType = extra.gsoType();
                    gsoSize = extra.gsoSize();
                    if (gsoSize == 0)
                    {
                        return fatal("GSO size must not be 0");
                    }
                    if (gsoType != Netif.XEN_NETIF_GSO_TYPE_TCPV4 && gsoType != Netif.XEN_NETIF_GSO_TYPE_TCPV6)
                    {
                        return fatal("bad GSO type " + gsoType);
                    }
                }
                else if (type == Netif.XEN_NETIF_EXTRA_TYPE_MCAST_ADD || type == Netif.XEN_NETIF_EXTRA_TYPE_MCAST_DEL)
                {
                    mcastOp = type;
                    mcastAddr = extra.mcastAddr();
                }
                more = (extra.flags() & Netif.XEN_NETIF_EXTRA_FLAG_MORE) != 0;
            }
        }

        if (mcastOp != 0)
        {
            // a multicast control request rides on a dummy packet that carries no data
            final int status = multicastUpdate(mcastOp, mcastAddr) ? Netif.NETIF_RSP_OKAY : Netif.NETIF_RSP_ERROR;
            answerTx(1, extras, status);
            counters.onTxControl(1 + extras);
            return skipChain(firstFlags, available, consumed);
        }

        // follow-on slots: count, validate sizes; the first slot's own size is the remainder
        int slots = 1;
        int firstFragment = totalSize;
        boolean drop = false;
        int flags = firstFlags;
        while ((flags & Netif.NETTXF_MORE_DATA) != 0)
        {
            if (consumed >= available)
            {
                return fatal("packet needs more slots than the frontend published");
            }
            if (slots - 1 >= fatalSlots)
            {
                // Linux counts follow-on slots against fatal_skb_slots: 20 beyond the first is malicious
                return fatal("packet uses more than " + fatalSlots + " follow-on slots");
            }
            txRing.copyRequest(txRequests, slots * TxRequest.LENGTH);
            consumed++;
            txRequest.wrap(txRequests, slots * TxRequest.LENGTH);
            slots++;
            flags = txRequest.flags();
            final int size = txRequest.size();
            if (txRequest.pageOffset() + size > PAGE_SIZE)
            {
                return fatal("TX slot crosses its page: offset=" + txRequest.pageOffset() + " size=" + size);
            }
            if (size > firstFragment)
            {
                drop = true; // a fragment larger than the packet: a buggy frontend (>= 64 KiB frames), not fatal
            }
            else
            {
                firstFragment -= size;
            }
        }
        txRequest.wrap(txRequests, 0);
        if (!drop && txRequest.pageOffset() + firstFragment > PAGE_SIZE)
        {
            return fatal("TX first slot crosses its page: offset=" + txRequest.pageOffset() + " size="
                + firstFragment);
        }
        // more than XEN_NETBK_LEGACY_SLOTS_MAX (18) follow-on slots: dropped, as Linux does
        if (slots - 1 > Netif.NR_SLOTS_MIN || totalSize < Ethernet.HEADER_LENGTH
            || (!features.sg() && slots > 1))
        {
            drop = true;
        }
        if (!drop)
        {
            drop = !copyTxData(slots, firstFragment);
        }
        if (drop)
        {
            answerTx(slots, extras, Netif.NETIF_RSP_ERROR);
            counters.onTxError(slots + extras);
            return true;
        }
        int frameFlags = 0;
        if ((firstFlags & Netif.NETTXF_CSUM_BLANK) != 0)
        {
            frameFlags = Offload.CSUM_BLANK;
        }
        else if ((firstFlags & Netif.NETTXF_DATA_VALIDATED) != 0)
        {
            frameFlags = Offload.DATA_VALIDATED;
        }
        answerTx(slots, extras, Netif.NETIF_RSP_OKAY);
        counters.onTxPacket(totalSize, slots + extras);
        ingress.transmit(packet, 0, totalSize, frameFlags, gsoType, gsoType == 0 ? 0 : gsoSize);
        return true;
    }

    /** Consumes (and answers) the data slots of a packet whose extras already decided its fate. */
    private boolean skipChain(final int firstFlags, final int available, final int consumedSoFar)
    {
        int consumed = consumedSoFar;
        int flags = firstFlags;
        int slots = 1;
        while ((flags & Netif.NETTXF_MORE_DATA) != 0)
        {
            if (consumed >= available || slots >= config.fatalSlots())
            {
                return fatal("multicast control packet with a bad slot chain");
            }
            txRing.copyRequest(txRequests, 0);
            consumed++;
            slots++;
            txRequest.wrap(txRequests, 0);
            flags = txRequest.flags();
            writeTxResponse(txRequest.id(), Netif.NETIF_RSP_OKAY);
        }
        return true;
    }

    /** Grant-copies every slot's data into the private frame; zero-size slots are skipped without a lookup. */
    private boolean copyTxData(final int slots, final int firstFragment)
    {
        int position = 0;
        for (int i = 0; i < slots; i++)
        {
            txRequest.wrap(txRequests, i * TxRequest.LENGTH);
            final int size = i == 0 ? firstFragment : txRequest.size();
            if (size == 0)
            {
                counters.onTxZeroSlot();
                continue;
            }
            final int status = mapper.copyFromGuest(txRequest.gref(), txRequest.pageOffset(), packet, position, size);
            if (status != GrantStatus.GNTST_OKAY)
            {
                return false;
            }
            position += size;
        }
        return true;
    }

    /** Answers the first slot, its extras ({@code NETIF_RSP_NULL}) and the follow-on slots, in ring order. */
    private void answerTx(final int slots, final int extras, final int status)
    {
        txRequest.wrap(txRequests, 0);
        writeTxResponse(txRequest.id(), status);
        for (int i = 0; i < extras; i++)
        {
            writeTxResponse(0, Netif.NETIF_RSP_NULL);
        }
        for (int i = 1; i < slots; i++)
        {
            txRequest.wrap(txRequests, i * TxRequest.LENGTH);
            writeTxResponse(txRequest.id(), status);
        }
    }

    private void writeTxResponse(final int id, final int status)
    {
        final AtomicBuffer ring = txRing.buffer();
        final int offset = txRing.responseOffset();
        txResponse.wrap(ring, offset).id(id).status(status);
        // the rest of the 12-byte slot still holds the request: clear it so nothing stale reads as response data
        ring.putLong(offset + TxResponse.LENGTH, 0L);
        txRing.nextResponse();
    }

    private boolean multicastUpdate(final int op, final long mac)
    {
        if (!Ethernet.isMulticast(mac))
        {
            return false;
        }
        for (int i = 0; i < multicastCount; i++)
        {
            if (multicast[i] == mac)
            {
                if (op == Netif.XEN_NETIF_EXTRA_TYPE_MCAST_DEL)
                {
                    multicast[i] = multicast[--multicastCount];
                }
                return true;
            }
        }
        if (op == Netif.XEN_NETIF_EXTRA_TYPE_MCAST_DEL)
        {
            return true;
        }
        if (multicastCount == MAX_MCAST)
        {
            return false;
        }
        multicast[multicastCount++] = mac;
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
        if (disabled || closed || rxStalled || !fitsGuest(length, gsoType) || !multicastWanted(frame, offset))
        {
            counters.onRxDrop();
            return false;
        }
        if (rxOwner == Thread.currentThread() && placeDirect(frame, offset, length, flags, gsoType, gsoSize, hash))
        {
            return true;
        }
        final int index = backlog.tryClaim(RX_MSG_TYPE, RX_HEADER + length);
        if (index <= 0)
        {
            counters.onRxDrop();
            return false;
        }
        final AtomicBuffer buffer = backlog.buffer();
        buffer.putShort(index + RX_FLAGS_OFFSET, (short)flags);
        buffer.putShort(index + RX_GSO_TYPE_OFFSET, (short)gsoType);
        buffer.putInt(index + RX_GSO_SIZE_OFFSET, gsoSize);
        buffer.putLong(index + RX_TIME_OFFSET, nowNanos);
        buffer.putLong(index + RX_HASH_OFFSET, hash);
        buffer.putBytes(index + RX_HEADER, frame, offset, length);
        backlog.commit(index);
        final EventWaiter w = waiter;
        if (w != null)
        {
            w.wake(); // the RX agent may be parked by a notify idle strategy: work arrived from another thread
        }
        return true;
    }

    private boolean fitsGuest(final int length, final int gsoType)
    {
        final int slots = (length + PAGE_SIZE - 1) / PAGE_SIZE + (gsoType != 0 ? 1 : 0);
        return features.sg() ? slots <= Netif.NR_SLOTS_MIN : slots == 1;
    }

    private boolean multicastWanted(final DirectBuffer frame, final int offset)
    {
        if (!multicastControl)
        {
            return true;
        }
        final long dst = Ethernet.destination(frame, offset);
        if (!Ethernet.isMulticast(dst) || dst == Ethernet.BROADCAST)
        {
            return true;
        }
        for (int i = 0; i < multicastCount; i++)
        {
            if (multicast[i] == dst)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Delivery from this queue's own thread (another vif's TX on the same backend thread): when nothing waits in the
     * backlog and the guest has posted enough buffers, the frame is grant-copied straight into them, saving the
     * backlog copy. The responses are pushed every {@link #DIRECT_PUSH_BATCH} frames and by the next {@link #rxWork()}.
     */
    private boolean placeDirect(
        final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
        final int gsoSize, final long hash)
    {
        if (backlog.size() != 0)
        {
            return false; // frames already queued go first
        }
        final int available = rxRing.unconsumedRequests();
        final int extras = (gsoType != 0 ? 1 : 0) + (hash >= 0 ? 1 : 0);
        final int needed = (length + PAGE_SIZE - 1) / PAGE_SIZE + extras;
        if (available < needed)
        {
            return false; // BROKEN (-1) included: rxWork reports it
        }
        rxStallStart = 0;
        placeFrame(frame, offset, length, flags, gsoType, gsoSize, hash, extras, needed);
        if (++rxDirect >= DIRECT_PUSH_BATCH)
        {
            rxDirect = 0;
            pushRx();
        }
        return true;
    }

    private int rxWork()
    {
        final int direct = rxDirect;
        if (direct > 0)
        {
            rxDirect = 0;
            pushRx();
        }
        return direct + rxBacklogWork();
    }

    private void pushRx()
    {
        rxArmed = false;
        final boolean notify = rxRing.pushResponsesAndCheckNotify();
        if (notify)
        {
            rxEvent.notifyRemote();
        }
        counters.onRxNotify(notify);
    }

    private int rxBacklogWork()
    {
        final int available = rxRing.unconsumedRequests();
        if (available == BackRing.BROKEN)
        {
            fatal("RX req_prod overflow: " + rxRing.describe());
            return 0;
        }
        rxAvailable = available;
        rxPlaced = 0;
        if (backlog.size() == 0)
        {
            if (rxStalled && available > 0)
            {
                rxStalled = false; // the guest posts buffers again: carrier back on
            }
            return 0;
        }
        final int read = backlog.controlledRead(rxHandler, BATCH);
        if (rxPlaced > 0)
        {
            pushRx();
        }
        else if (!rxArmed && backlog.size() > 0)
        {
            // waiting for buffers: ask the frontend to notify us when it posts some (feature-rx-notify)
            if (rxRing.finalCheckForRequests())
            {
                return 1;
            }
            rxArmed = true;
        }
        return read;
    }

    private ControlledMessageHandler.Action placeRx(
        final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int frameLength = length - RX_HEADER;
        final int gsoType = buffer.getShort(index + RX_GSO_TYPE_OFFSET);
        final long hash = buffer.getLong(index + RX_HASH_OFFSET);
        final int extras = (gsoType != 0 ? 1 : 0) + (hash >= 0 ? 1 : 0);
        final int needed = (frameLength + PAGE_SIZE - 1) / PAGE_SIZE + extras;
        if (rxAvailable < needed)
        {
            if (rxAvailable == 0 || rxPlaced == 0)
            {
                return waitForBuffers(buffer.getLong(index + RX_TIME_OFFSET));
            }
            return ControlledMessageHandler.Action.BREAK;
        }
        rxStallStart = 0;
        rxStalled = false;
        placeFrame(buffer, index + RX_HEADER, frameLength, buffer.getShort(index + RX_FLAGS_OFFSET), gsoType,
            buffer.getInt(index + RX_GSO_SIZE_OFFSET), hash, extras, needed);
        rxAvailable -= needed;
        rxPlaced++;
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /** Grant-copies one frame into the guest's next {@code needed} posted buffers and writes their responses. */
    private void placeFrame(
        final DirectBuffer buffer, final int frameOffset, final int frameLength, final int flags, final int gsoType,
        final int gsoSize, final long hash, final int extras, final int needed)
    {
        int firstFlags = 0;
        if ((flags & Offload.CSUM_BLANK) != 0)
        {
            firstFlags = Netif.NETRXF_CSUM_BLANK | Netif.NETRXF_DATA_VALIDATED;
        }
        else if ((flags & Offload.DATA_VALIDATED) != 0)
        {
            firstFlags = Netif.NETRXF_DATA_VALIDATED;
        }
        int position = 0;
        boolean failed = false;
        final AtomicBuffer ring = rxRing.buffer();
        for (int slot = 0; position < frameLength || slot == 0; slot++)
        {
            rxRing.copyRequest(rxRequestCopy, 0);
            rxRequest.wrap(rxRequestCopy, 0);
            final int chunk = Math.min(PAGE_SIZE, frameLength - position);
            final int status = mapper.copyToGuest(rxRequest.gref(), 0, buffer, frameOffset + position, chunk);
            int slotFlags = slot == 0 ? firstFlags : 0;
            if (position + chunk < frameLength)
            {
                slotFlags |= Netif.NETRXF_MORE_DATA;
            }
            if (slot == 0 && extras != 0)
            {
                slotFlags |= Netif.NETRXF_EXTRA_INFO;
            }
            final boolean ok = status == GrantStatus.GNTST_OKAY;
            failed |= !ok;
            rxResponse.wrap(ring, rxRing.responseOffset())
                .id(rxRequest.id()).pageOffset(0).flags(slotFlags).status(ok ? chunk : Netif.NETIF_RSP_ERROR);
            rxRing.nextResponse();
            if (slot == 0 && gsoType != 0)
            {
                // the GSO extra takes the next posted slot; its response carries no id (netfront ignores it)
                rxRing.copyRequest(rxRequestCopy, 0);
                extra.wrap(ring, rxRing.responseOffset()).clear().type(Netif.XEN_NETIF_EXTRA_TYPE_GSO)
                    .flags(hash >= 0 ? Netif.XEN_NETIF_EXTRA_FLAG_MORE : 0)
                    .gsoSize(gsoSize).gsoType(gsoType).gsoFeatures(0);
                rxRing.nextResponse();
            }
            if (slot == 0 && hash >= 0)
            {
                // Linux xenvif_rx_next_skb: the hash extra follows the GSO one (algorithm, type bit, u32 value)
                rxRing.copyRequest(rxRequestCopy, 0);
                extra.wrap(ring, rxRing.responseOffset()).clear().type(Netif.XEN_NETIF_EXTRA_TYPE_HASH).flags(0)
                    .hashType((int)(hash >>> 32)).hashAlgorithm(Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ)
                    .hashValue((int)hash);
                rxRing.nextResponse();
            }
            position += chunk;
        }
        if (failed)
        {
            counters.onRxError();
        }
        else
        {
            counters.onRxPacket(frameLength, needed);
        }
    }

    /** The head frame cannot be placed: wait, unless the guest has stalled or the frame is too old. */
    private ControlledMessageHandler.Action waitForBuffers(final long enqueuedNanos)
    {
        final long now = nowNanos;
        if (rxStallStart == 0)
        {
            rxStallStart = now;
        }
        if (!rxStalled && now - rxStallStart > config.rxStallNanos() && features.rxNotify())
        {
            rxStalled = true; // carrier off: new frames are refused until the guest posts buffers
            counters.onRxStall();
        }
        if (rxStalled || now - enqueuedNanos > config.rxDrainNanos())
        {
            counters.onRxDrop();
            return ControlledMessageHandler.Action.CONTINUE; // consumed without placing: dropped
        }
        return ControlledMessageHandler.Action.ABORT;
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
