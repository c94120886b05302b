package io.pvring.netback;

import java.nio.ByteBuffer;

import io.pvring.netback.packet.Ethernet;
import io.pvring.netif.ExtraInfo;
import io.pvring.netif.Netif;
import io.pvring.netif.TxRequest;
import io.pvring.ring.BackRing;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.ring.SharedRingDescriptor.PAGE_SIZE;

/**
 * Guest TX input, validated in one place: consumes one chain from the TX ring (the first request, its extra-info
 * slots, its follow-on slots), each slot copied once into private memory ({@code RING_COPY_REQUEST}) and checked
 * there as Linux {@code xenvif_tx_build_gops} and {@code xenvif_count_requests} do, and returns a {@link TxVerdict}.
 * Fatal cases (a chain longer than {@code fatal_skb_slots} or than what was published, a slot crossing its page,
 * bad extras) disable the vif; ordinary bad packets are dropped with an error response. Nothing here touches a
 * grant: the executor ({@link TxForwarder}) copies the data of an {@link TxVerdict#OK} packet.
 */
final class TxParser
{
    private final int fatalSlots;
    private final boolean sg;
    private final UnsafeBuffer requests;
    private final TxVerdict verdict;
    private final UnsafeBuffer extras =
        new UnsafeBuffer(ByteBuffer.allocateDirect(Netif.XEN_NETIF_EXTRA_TYPE_MAX * ExtraInfo.LENGTH));
    private final ExtraInfo extra = new ExtraInfo();
    private final TxRequest request = new TxRequest();

    /**
     * @param fatalSlots Linux {@code fatal_skb_slots}: more follow-on slots than this is malicious.
     * @param sg whether the frontend negotiated {@code feature-sg} (multi-slot packets).
     */
    TxParser(final int fatalSlots, final boolean sg)
    {
        this.fatalSlots = fatalSlots;
        this.sg = sg;
        // off-heap like the ring page: the slot copy's compiled code sees one kind of buffer (a heap copy here
        // deoptimised it on the hot path, its speculation on the buffer kind failing)
        this.requests = new UnsafeBuffer(ByteBuffer.allocateDirect((fatalSlots + 2) * TxRequest.LENGTH));
        this.verdict = new TxVerdict(requests);
    }

    /**
     * Consumes one chain ({@code available} requests are published and unconsumed, at least one) and judges it.
     * Every consumed slot is answered by the executor, except after a {@link TxVerdict#FATAL} verdict.
     *
     * @return the queue's verdict object, valid until the next call.
     */
    TxVerdict parse(final BackRing ring, final int available)
    {
        ring.copyRequest(requests, 0);
        request.wrap(requests, 0);
        final TxVerdict v = verdict.reset(request.flags(), request.size());
        int consumed = 1;
        int extraCount = 0;
        int mcastOp = 0;
        long mcastAddr = 0;
        if ((v.firstFlags() & Netif.NETTXF_EXTRA_INFO) != 0)
        {
            boolean more = true;
            while (more)
            {
                if (consumed >= available || extraCount >= Netif.XEN_NETIF_EXTRA_TYPE_MAX - 1)
                {
                    return v.fatal("missing or too many extra info slots");
                }
                ring.copyRequest(extras, extraCount * ExtraInfo.LENGTH);
                consumed++;
                extra.wrap(extras, extraCount * ExtraInfo.LENGTH);
                extraCount++;
                final int type = extra.type();
                if (type == Netif.XEN_NETIF_EXTRA_TYPE_NONE || type >= Netif.XEN_NETIF_EXTRA_TYPE_MAX)
                {
                    return v.fatal("invalid extra info type " + type);
                }
                if (type == Netif.XEN_NETIF_EXTRA_TYPE_GSO)
                {
                    final int gsoType = extra.gsoType();
                    final int gsoSize = extra.gsoSize();
                    if (gsoSize == 0)
                    {
                        return v.fatal("GSO size must not be 0");
                    }
                    if (gsoType != Netif.XEN_NETIF_GSO_TYPE_TCPV4 && gsoType != Netif.XEN_NETIF_GSO_TYPE_TCPV6)
                    {
                        return v.fatal("bad GSO type " + gsoType);
                    }
                    v.gso(gsoType, gsoSize);
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
            return controlChain(v, ring, available, consumed, extraCount, mcastOp, mcastAddr);
        }
        return dataChain(v, ring, available, consumed, extraCount);
    }

    /** The follow-on slots of a packet: counted, sizes checked; the first slot's own size is the remainder. */
    private TxVerdict dataChain(
        final TxVerdict v, final BackRing ring, final int available, final int consumedSoFar, final int extraCount)
    {
        int consumed = consumedSoFar;
        int slots = 1;
        int firstFragment = v.totalSize();
        String drop = null;
        int flags = v.firstFlags();
        while ((flags & Netif.NETTXF_MORE_DATA) != 0)
        {
            if (consumed >= available)
            {
                return v.fatal("packet needs more slots than the frontend published");
            }
            if (slots - 1 >= fatalSlots)
            {
                // Linux counts follow-on slots against fatal_skb_slots: 20 beyond the first is malicious
                return v.fatal("packet uses more than " + fatalSlots + " follow-on slots");
            }
            ring.copyRequest(requests, slots * TxRequest.LENGTH);
            consumed++;
            request.wrap(requests, slots * TxRequest.LENGTH);
            slots++;
            flags = request.flags();
            final int size = request.size();
            if (request.pageOffset() + size > PAGE_SIZE)
            {
                return v.fatal("TX slot crosses its page: offset=" + request.pageOffset() + " size=" + size);
            }
            if (size > firstFragment)
            {
                drop = TxVerdict.DROP_OVERSIZED_FRAGMENT; // a buggy frontend (>= 64 KiB frames), not fatal
            }
            else
            {
                firstFragment -= size;
            }
        }
        v.chain(slots, extraCount, firstFragment);
        request.wrap(requests, 0);
        if (drop == null && request.pageOffset() + firstFragment > PAGE_SIZE)
        {
            return v.fatal("TX first slot crosses its page: offset=" + request.pageOffset() + " size="
                + firstFragment);
        }
        if (drop == null)
        {
            // more than XEN_NETBK_LEGACY_SLOTS_MAX (18) follow-on slots: dropped, as Linux does
            if (slots - 1 > Netif.NR_SLOTS_MIN)
            {
                drop = TxVerdict.DROP_TOO_MANY_SLOTS;
            }
            else if (v.totalSize() < Ethernet.HEADER_LENGTH)
            {
                drop = TxVerdict.DROP_RUNT;
            }
            else if (!sg && slots > 1)
            {
                drop = TxVerdict.DROP_NO_SG;
            }
        }
        return drop == null ? v : v.drop(drop);
    }

    /** A multicast control packet's follow-on slots carry nothing: consumed (and later answered) only. */
    private TxVerdict controlChain(
        final TxVerdict v, final BackRing ring, final int available, final int consumedSoFar, final int extraCount,
        final int mcastOp, final long mcastAddr)
    {
        int consumed = consumedSoFar;
        int slots = 1;
        int flags = v.firstFlags();
        while ((flags & Netif.NETTXF_MORE_DATA) != 0)
        {
            if (consumed >= available || slots >= fatalSlots)
            {
                return v.fatal("multicast control packet with a bad slot chain");
            }
            ring.copyRequest(requests, slots * TxRequest.LENGTH);
            consumed++;
            flags = request.wrap(requests, slots * TxRequest.LENGTH).flags();
            slots++;
        }
        v.chain(slots, extraCount, 0);
        return v.control(mcastOp, mcastAddr);
    }
}
