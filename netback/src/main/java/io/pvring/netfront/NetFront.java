package io.pvring.netfront;

import java.nio.ByteBuffer;

import io.pvring.event.EventChannels;
import io.pvring.event.EventPort;
import io.pvring.grant.GrantTable;
import io.pvring.memory.GuestMemory;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netif.ExtraInfo;
import io.pvring.netif.Netif;
import io.pvring.netif.NetifRings;
import io.pvring.netif.RxRequest;
import io.pvring.netif.RxResponse;
import io.pvring.netif.TxRequest;
import io.pvring.netif.TxResponse;
import io.pvring.ring.FrontRing;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.ring.SharedRingDescriptor.PAGE_SIZE;

/**
 * The guest side of a vif, as Linux xen-netfront drives it: a TX and an RX ring page granted to the backend, one
 * pre-granted buffer page per TX ring slot (read-only to the backend) and per RX ring slot (writable), one event
 * channel (or two, split). Frames are sent with {@link #send} (copied into TX pages as a slot chain with
 * {@code more_data}, the first slot carrying the whole length, a GSO extra when asked) and published by
 * {@link #flush()}; {@link #receive} hands over received frames (straight from the RX page for one-slot packets)
 * and reposts the buffers. Single-threaded; allocation-free after construction. The backend may be hostile: each
 * pass reads {@code rsp_prod} once (a snapshot, checked for overflow) and handles at most a budget of responses,
 * every response slot is copied into private memory once through {@link FrontRing} ({@code RING_COPY_RESPONSE}) and
 * parsed from the copy, ids are checked, and a bad one marks the device broken.
 *
 * <p>Guest memory layout, from {@code firstGfn}: TX ring, RX ring, 256 TX pages, 256 RX pages
 * ({@link #PAGES} frames in all).
 */
public final class NetFront implements AutoCloseable
{
    public static final int RING_SIZE = NetifRings.TX_RING_SIZE;
    public static final int PAGES = 2 + 2 * RING_SIZE;

    private final GuestMemory memory;
    private final GrantTable grants;
    private final int backendDomid;
    private final FrontendFeatures features;
    private final FrontRing txRing;
    private final FrontRing rxRing;
    private final int txRingRef;
    private final int rxRingRef;
    private final int[] txRefs = new int[RING_SIZE];
    private final int[] rxRefs = new int[RING_SIZE];
    private final UnsafeBuffer[] txPages = new UnsafeBuffer[RING_SIZE];
    private final UnsafeBuffer[] rxPages = new UnsafeBuffer[RING_SIZE];
    private final int[] txFree = new int[RING_SIZE];
    private int txFreeCount;
    private final boolean[] txInFlight = new boolean[RING_SIZE];
    /** Which RX buffer was posted in each ring slot (netfront ignores the response id). */
    private final int[] rxPosted = new int[RING_SIZE];
    private final int[] rxToRepost = new int[RING_SIZE];
    private int rxToRepostCount;
    private int txPublished;
    private int claimed = -1;
    private final EventPort txEvent;
    private final EventPort rxEvent;

    private final TxRequest txRequest = new TxRequest();
    private final TxResponse txResponse = new TxResponse();
    private final RxRequest rxRequest = new RxRequest();
    private final RxResponse rxResponse = new RxResponse();
    private final ExtraInfo extra = new ExtraInfo();
    private long rxHash = -1;
    /**
     * Private copies of responses, off-heap like the ring pages they are copied from: the copy loop then sees one
     * kind of buffer, and its compiled code is not deoptimised by a heap buffer on the hot path.
     */
    private final UnsafeBuffer responseCopy = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
    /** Private copies of one RX packet's response slots: the first, its extras, its follow-on slots. */
    private final UnsafeBuffer rxCopies;
    private final int rxSlotBytes;
    private final UnsafeBuffer assembly = new UnsafeBuffer(new byte[Netif.MAX_TX_SIZE + PAGE_SIZE]);

    private long txPackets;
    private long txErrors;
    private long rxPackets;
    private long rxBytes;
    private long rxErrors;
    private long notifications;
    private String brokenReason;

    /**
     * Sets up the transport (what Linux netfront does in {@code setup_netfront}): initialises both rings, grants
     * every page to {@code backendDomid}, allocates the event channel(s) and posts every RX buffer.
     *
     * @param guestDomid the guest this frontend runs in; its memory and grant table are {@code memory} and
     *     {@code grants}.
     * @throws IllegalStateException when memory, grants or ports run out (configuration, not peer input).
     */
    public NetFront(
        final int guestDomid, final GuestMemory memory, final GrantTable grants, final EventChannels channels,
        final int backendDomid, final long firstGfn, final FrontendFeatures features, final boolean splitEvents)
    {
        this.memory = memory;
        this.grants = grants;
        this.backendDomid = backendDomid;
        this.features = features;
        final UnsafeBuffer txPage = new UnsafeBuffer(0, 0);
        final UnsafeBuffer rxPage = new UnsafeBuffer(0, 0);
        if (!memory.wrap(txPage, firstGfn, 1) || !memory.wrap(rxPage, firstGfn + 1, 1))
        {
            throw new IllegalStateException("gfn=" + firstGfn + " outside guest memory");
        }
        txRing = new FrontRing(txPage, NetifRings.TX).init();
        rxRing = new FrontRing(rxPage, NetifRings.RX).init();
        rxSlotBytes = rxRing.geometry().slotBytes();
        rxCopies = new UnsafeBuffer(
            ByteBuffer.allocateDirect((2 + Netif.NR_SLOTS_MIN + Netif.XEN_NETIF_EXTRA_TYPE_MAX) * rxSlotBytes));
        txRingRef = grant(firstGfn, false);
        rxRingRef = grant(firstGfn + 1, false);
        for (int i = 0; i < RING_SIZE; i++)
        {
            final long txGfn = firstGfn + 2 + i;
            final long rxGfn = firstGfn + 2 + RING_SIZE + i;
            txPages[i] = new UnsafeBuffer(0, 0);
            rxPages[i] = new UnsafeBuffer(0, 0);
            if (!memory.wrap(txPages[i], txGfn, 1) || !memory.wrap(rxPages[i], rxGfn, 1))
            {
                throw new IllegalStateException("buffer pages beyond guest memory: firstGfn=" + firstGfn);
            }
            txRefs[i] = grant(txGfn, true);
            rxRefs[i] = grant(rxGfn, false);
            txFree[i] = RING_SIZE - 1 - i;
        }
        txFreeCount = RING_SIZE;
        txEvent = channels.allocUnbound(guestDomid, backendDomid);
        rxEvent = splitEvents ? channels.allocUnbound(guestDomid, backendDomid) : txEvent;
        if (txEvent == null || rxEvent == null)
        {
            throw new IllegalStateException("no free event channel in domid=" + guestDomid);
        }
        for (int i = 0; i < RING_SIZE; i++)
        {
            postRx(i);
        }
        rxRing.pushRequests();
    }

    private int grant(final long gfn, final boolean readonly)
    {
        final int ref = grants.grantAccess(backendDomid, gfn, readonly);
        if (ref < 0)
        {
            throw new IllegalStateException("grant table full");
        }
        return ref;
    }

    public int txRingRef()
    {
        return txRingRef;
    }

    public int rxRingRef()
    {
        return rxRingRef;
    }

    /** The event channel the backend binds for TX (and RX, unless split). */
    public EventPort txEventPort()
    {
        return txEvent;
    }

    public EventPort rxEventPort()
    {
        return rxEvent;
    }

    public boolean splitEvents()
    {
        return txEvent != rxEvent;
    }

    public FrontendFeatures features()
    {
        return features;
    }

    /** Why the frontend stopped trusting the backend, or null. */
    public String brokenReason()
    {
        return brokenReason;
    }

    /** TX ring slots free now (after {@link #reclaimTx()}). */
    public int txFreeSlots()
    {
        return Math.min(txFreeCount, txRing.freeRequests());
    }

    /**
     * Queues one frame on the TX ring (not yet published: see {@link #flush()}).
     *
     * @param txFlags {@code NETTXF_CSUM_BLANK} or {@code NETTXF_DATA_VALIDATED} (or 0).
     * @param gsoType {@code XEN_NETIF_GSO_TYPE_*}; {@code gsoSize} is the MSS.
     * @return false when the ring has no room now (reclaim, flush and retry); back-pressure, not an error.
     */
    public boolean send(
        final DirectBuffer frame, final int offset, final int length, final int txFlags, final int gsoType,
        final int gsoSize)
    {
        if (length < 1 || length > Netif.MAX_TX_SIZE)
        {
            throw new IllegalArgumentException("length=" + length);
        }
        final int dataSlots = (length + PAGE_SIZE - 1) / PAGE_SIZE;
        if (dataSlots > 1 && !features.sg())
        {
            throw new IllegalArgumentException("length=" + length + " needs feature-sg");
        }
        final boolean gso = gsoType != Netif.XEN_NETIF_GSO_TYPE_NONE;
        final int slots = dataSlots + (gso ? 1 : 0);
        if (txFreeSlots() < slots)
        {
            reclaimTx();
            if (txFreeSlots() < slots)
            {
                return false;
            }
        }
        int position = 0;
        for (int i = 0; i < dataSlots; i++)
        {
            final int id = txFree[--txFreeCount];
            txInFlight[id] = true;
            final int chunk = Math.min(PAGE_SIZE, length - position);
            txPages[id].putBytes(0, frame, offset + position, chunk);
            int flags = position + chunk < length ? Netif.NETTXF_MORE_DATA : 0;
            if (i == 0)
            {
                flags |= txFlags & (Netif.NETTXF_CSUM_BLANK | Netif.NETTXF_DATA_VALIDATED);
                flags |= gso ? Netif.NETTXF_EXTRA_INFO : 0;
            }
            txRequest.wrap(txRing.buffer(), txRing.requestOffset())
                .gref(txRefs[id]).pageOffset(0).flags(flags).id(id).size(i == 0 ? length : chunk);
            txRing.nextRequest();
            if (i == 0 && gso)
            {
                extra.wrap(txRing.buffer(), txRing.requestOffset()).clear().type(Netif.XEN_NETIF_EXTRA_TYPE_GSO)
                    .gsoSize(gsoSize).gsoType(gsoType);
                txRing.buffer().putInt(txRing.requestOffset() + ExtraInfo.LENGTH, 0);
                txRing.nextRequest();
            }
            position += chunk;
        }
        txPackets++;
        return true;
    }

    /**
     * Zero-copy send, step 1: the TX buffer page the next one-slot frame ({@code length <= 4096}) is built in, at
     * offset 0, or null when the ring has no room now. Nothing is queued until {@link #commitSend}; a claimed page
     * that is not committed is reused by the next claim.
     */
    public MutableDirectBuffer claimSend()
    {
        if (txFreeSlots() < 1)
        {
            reclaimTx();
            if (txFreeSlots() < 1)
            {
                return null;
            }
        }
        claimed = txFree[txFreeCount - 1];
        return txPages[claimed];
    }

    /** Zero-copy send, step 2: queues the frame built in the page {@link #claimSend()} returned. */
    public void commitSend(final int length, final int txFlags)
    {
        if (claimed < 0 || length < 1 || length > PAGE_SIZE)
        {
            throw new IllegalStateException("claimed=" + claimed + " length=" + length);
        }
        final int id = txFree[--txFreeCount];
        txInFlight[id] = true;
        claimed = -1;
        txRequest.wrap(txRing.buffer(), txRing.requestOffset()).gref(txRefs[id]).pageOffset(0)
            .flags(txFlags & (Netif.NETTXF_CSUM_BLANK | Netif.NETTXF_DATA_VALIDATED)).id(id).size(length);
        txRing.nextRequest();
        txPackets++;
    }

    /**
     * Queues a multicast filter change (netif.h: a dummy TX request carrying an {@code XEN_NETIF_EXTRA_TYPE_MCAST_ADD}
     * or {@code _DEL} extra); the backend applies it if the vif negotiated {@code request-multicast-control}.
     *
     * @return false when the ring has no room now.
     */
    public boolean multicast(final boolean add, final long mac)
    {
        if (txFreeSlots() < 2)
        {
            reclaimTx();
            if (txFreeSlots() < 2)
            {
                return false;
            }
        }
        final int id = txFree[--txFreeCount];
        txInFlight[id] = true;
        txRequest.wrap(txRing.buffer(), txRing.requestOffset())
            .gref(txRefs[id]).pageOffset(0).flags(Netif.NETTXF_EXTRA_INFO).id(id).size(0);
        txRing.nextRequest();
        extra.wrap(txRing.buffer(), txRing.requestOffset()).clear()
            .type(add ? Netif.XEN_NETIF_EXTRA_TYPE_MCAST_ADD : Netif.XEN_NETIF_EXTRA_TYPE_MCAST_DEL).mcastAddr(mac);
        txRing.buffer().putInt(txRing.requestOffset() + ExtraInfo.LENGTH, 0);
        txRing.nextRequest();
        return true;
    }

    /** Publishes queued TX requests and RX reposts, notifying the backend only where the ring asks for it. */
    public void flush()
    {
        if (txRing.reqProdPvt() != txPublished)
        {
            txPublished = txRing.reqProdPvt();
            if (txRing.pushRequestsAndCheckNotify())
            {
                notifications++;
                txEvent.notifyRemote();
            }
        }
        repostRx();
    }

    /**
     * Consumes every TX response published now and frees their slots.
     *
     * @return responses consumed.
     */
    public int reclaimTx()
    {
        return reclaimTx(RING_SIZE);
    }

    /**
     * Consumes up to {@code budget} of the TX responses published when called (one snapshot of {@code rsp_prod})
     * and frees their slots.
     *
     * @return responses consumed.
     */
    public int reclaimTx(final int budget)
    {
        if (brokenReason != null)
        {
            return 0;
        }
        final int rspProd = txRing.rspProd();
        if (txRing.responseProducerOverflow(rspProd))
        {
            brokenReason = "TX rsp_prod overflow " + Integer.toUnsignedString(rspProd);
            return 0;
        }
        int consumed = 0;
        while (txRing.rspCons() != rspProd && consumed < budget)
        {
            txRing.copyResponse(responseCopy, 0);
            txResponse.wrap(responseCopy, 0);
            consumed++;
            final int status = txResponse.status();
            if (status == Netif.NETIF_RSP_NULL)
            {
                continue;
            }
            final int id = txResponse.id();
            if (id >= RING_SIZE || !txInFlight[id])
            {
                brokenReason = "TX response for id=" + id + " not in flight";
                return consumed;
            }
            txInFlight[id] = false;
            txFree[txFreeCount++] = id;
            if (status != Netif.NETIF_RSP_OKAY)
            {
                txErrors++;
            }
        }
        return consumed;
    }

    /**
     * Hands up to {@code limit} of the frames published when called (one snapshot of {@code rsp_prod}) to
     * {@code handler} and queues their buffers for reposting (published by {@link #flush()} or at the end of this
     * call).
     *
     * @return frames delivered.
     */
    public int receive(final FrameHandler handler, final int limit)
    {
        if (brokenReason != null)
        {
            return 0;
        }
        final int rspProd = rxRing.rspProd();
        if (rxRing.responseProducerOverflow(rspProd))
        {
            brokenReason = "RX rsp_prod overflow " + Integer.toUnsignedString(rspProd);
            return 0;
        }
        int consumed = 0;
        final long deliveredBefore = rxPackets;
        while (consumed < limit && rxRing.rspCons() != rspProd)
        {
            if (!receiveOne(handler, rspProd - rxRing.rspCons()))
            {
                break;
            }
            consumed++;
        }
        repostRx();
        return (int)(rxPackets - deliveredBefore);
    }

    /**
     * One packet: its slots must all be published (the backend publishes whole packets), so they are copied into
     * {@link #rxCopies} first and consumed only once the chain is complete.
     *
     * @param available responses published and unconsumed in this pass's snapshot (at least one).
     * @return false when the packet is not complete yet or the backend broke the protocol (nothing consumed).
     */
    private boolean receiveOne(final FrameHandler handler, final int available)
    {
        final int index = rxRing.rspCons();
        rxRing.peekResponse(0, rxCopies, 0);
        rxResponse.wrap(rxCopies, 0);
        final int firstFlags = rxResponse.flags();
        int slots = 1;
        int extras = 0;
        int gsoType = Netif.XEN_NETIF_GSO_TYPE_NONE;
        int gsoSize = 0;
        long hash = -1;
        boolean moreExtras = (firstFlags & Netif.NETRXF_EXTRA_INFO) != 0;
        while (moreExtras)
        {
            // netfront's xennet_get_extras: a chain linked by XEN_NETIF_EXTRA_FLAG_MORE, one slot each
            if (slots >= available || extras >= Netif.XEN_NETIF_EXTRA_TYPE_MAX - 1)
            {
                if (extras >= Netif.XEN_NETIF_EXTRA_TYPE_MAX - 1)
                {
                    brokenReason = "RX extra info chain longer than " + (Netif.XEN_NETIF_EXTRA_TYPE_MAX - 1);
                }
                return false;
            }
            rxRing.peekResponse(slots, rxCopies, slots * rxSlotBytes);
            extra.wrap(rxCopies, slots * rxSlotBytes);
            if (extra.type() == Netif.XEN_NETIF_EXTRA_TYPE_GSO)
            {
                gsoType = extra.gsoType();
                gsoSize = extra.gsoSize();
            }
            else if (extra.type() == Netif.XEN_NETIF_EXTRA_TYPE_HASH)
            {
                hash = ((long)extra.hashType() << 32) | (extra.hashValue() & 0xFFFF_FFFFL);
            }
            moreExtras = (extra.flags() & Netif.XEN_NETIF_EXTRA_FLAG_MORE) != 0;
            slots++;
            extras++;
        }
        // walk the more_data chain to see the whole packet is published before consuming anything
        int flags = firstFlags;
        int dataSlots = 1;
        while ((flags & Netif.NETRXF_MORE_DATA) != 0)
        {
            if (slots >= available || dataSlots > Netif.NR_SLOTS_MIN)
            {
                if (dataSlots > Netif.NR_SLOTS_MIN)
                {
                    brokenReason = "RX packet longer than " + Netif.NR_SLOTS_MIN + " slots";
                }
                return false;
            }
            rxRing.peekResponse(slots, rxCopies, slots * rxSlotBytes);
            flags = rxResponse.wrap(rxCopies, slots * rxSlotBytes).flags();
            slots++;
            dataSlots++;
        }
        rxHash = hash;
        if (deliver(handler, index, slots, extras, firstFlags, gsoType, gsoSize))
        {
            rxPackets++;
        }
        else
        {
            rxErrors++;
        }
        for (int s = 0; s < slots; s++)
        {
            rxToRepost[rxToRepostCount++] = rxPosted[(index + s) & (RING_SIZE - 1)];
            rxRing.nextResponse();
        }
        return true;
    }

    /**
     * Hands over a complete packet from its private response copies; false when a status or offset is bad (a
     * hostile backend may claim any offset and size: both must stay inside the posted page).
     */
    private boolean deliver(
        final FrameHandler handler, final int index, final int slots, final int extras, final int firstFlags,
        final int gsoType, final int gsoSize)
    {
        if (slots - extras == 1)
        {
            rxResponse.wrap(rxCopies, 0);
            final int status = rxResponse.status();
            final int pageOffset = rxResponse.pageOffset();
            if (status < 0 || pageOffset + status > PAGE_SIZE)
            {
                return false;
            }
            handler.onFrame(rxPages[rxPosted[index & (RING_SIZE - 1)]], pageOffset, status, firstFlags, gsoType,
                gsoSize);
            rxBytes += status;
            return true;
        }
        int length = 0;
        for (int s = 0; s < slots; s++)
        {
            if (s >= 1 && s <= extras)
            {
                continue;
            }
            rxResponse.wrap(rxCopies, s * rxSlotBytes);
            final int status = rxResponse.status();
            final int pageOffset = rxResponse.pageOffset();
            if (status < 0 || pageOffset + status > PAGE_SIZE || length + status > assembly.capacity())
            {
                return false;
            }
            assembly.putBytes(length, rxPages[rxPosted[(index + s) & (RING_SIZE - 1)]], pageOffset, status);
            length += status;
        }
        handler.onFrame(assembly, 0, length, firstFlags, gsoType, gsoSize);
        rxBytes += length;
        return true;
    }

    /**
     * The RX hash extra of the frame being handed to a {@link FrameHandler} (call from {@code onFrame}):
     * {@code (type << 32) | value} with the {@code _XEN_NETIF_CTRL_HASH_TYPE_*} bit number and the unsigned
     * 32-bit hash, or -1 when the backend sent none.
     */
    public long rxHash()
    {
        return rxHash;
    }

    private void postRx(final int buffer)
    {
        rxPosted[rxRing.reqProdPvt() & (RING_SIZE - 1)] = buffer;
        rxRequest.wrap(rxRing.buffer(), rxRing.requestOffset()).id(buffer).gref(rxRefs[buffer]);
        rxRing.nextRequest();
    }

    private void repostRx()
    {
        if (rxToRepostCount == 0)
        {
            return;
        }
        for (int i = 0; i < rxToRepostCount; i++)
        {
            postRx(rxToRepost[i]);
        }
        rxToRepostCount = 0;
        if (rxRing.pushRequestsAndCheckNotify() && features.rxNotify())
        {
            notifications++;
            rxEvent.notifyRemote();
        }
    }

    /**
     * Arms the RX ring's {@code rsp_event} and reports whether responses are already waiting
     * ({@code RING_FINAL_CHECK_FOR_RESPONSES}): call before sleeping on the RX event channel.
     */
    public boolean finalCheckForRx()
    {
        return rxRing.finalCheckForResponses();
    }

    public boolean finalCheckForTx()
    {
        return txRing.finalCheckForResponses();
    }

    public long txPackets()
    {
        return txPackets;
    }

    /** TX packets the backend answered with an error status. */
    public long txErrors()
    {
        return txErrors;
    }

    public long rxPackets()
    {
        return rxPackets;
    }

    public long rxBytes()
    {
        return rxBytes;
    }

    public long rxErrors()
    {
        return rxErrors;
    }

    /** Event-channel notifications sent to the backend (the rest were suppressed by the ring's event indices). */
    public long notifications()
    {
        return notifications;
    }

    /**
     * Teardown (Linux {@code xennet_disconnect_backend}): closes the event channels and ends foreign access to every
     * page. Call after the backend disconnected; pages still mapped by a misbehaving backend stay granted.
     */
    @Override
    public void close()
    {
        txEvent.close();
        rxEvent.close();
        endAccess(txRingRef);
        endAccess(rxRingRef);
        for (int i = 0; i < RING_SIZE; i++)
        {
            endAccess(txRefs[i]);
            endAccess(rxRefs[i]);
        }
    }

    private void endAccess(final int ref)
    {
        if (grants.endForeignAccessRef(ref))
        {
            grants.releaseRef(ref);
        }
    }
}
