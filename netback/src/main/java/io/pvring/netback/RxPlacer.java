package io.pvring.netback;

import java.nio.ByteBuffer;

import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantStatus;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netif.ExtraInfo;
import io.pvring.netif.Netif;
import io.pvring.netif.RxRequest;
import io.pvring.netif.RxResponse;
import io.pvring.ring.BackRing;
import io.pvring.stats.TraceRecordDescriptor;
import io.pvring.stats.TraceRecorder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.ring.SharedRingDescriptor.PAGE_SIZE;

/**
 * Writes one frame into the guest's posted RX buffers: grant-copies it a page at a time, each response in the slot
 * its request was posted in, with {@code more_data} chaining, the offload flags on the first slot, and the GSO and
 * hash extras in the slots after it (Linux {@code xenvif_rx_next_skb} order). The caller checked that
 * {@link #slotsNeeded} requests are posted.
 */
final class RxPlacer
{
    private final GrantMapper mapper;
    private final BackRing ring;
    private final QueueCounters counters;
    private final RxRequest request = new RxRequest();
    private final RxResponse response = new RxResponse();
    private final ExtraInfo extra = new ExtraInfo();
    private final UnsafeBuffer requestCopy = new UnsafeBuffer(ByteBuffer.allocateDirect(RxRequest.LENGTH));

    RxPlacer(final GrantMapper mapper, final BackRing ring, final QueueCounters counters)
    {
        this.mapper = mapper;
        this.ring = ring;
        this.counters = counters;
    }

    /** Extra-info slots a frame takes: one for GSO, one for a hash. */
    static int extras(final int gsoType, final long hash)
    {
        return (gsoType != 0 ? 1 : 0) + (hash >= 0 ? 1 : 0);
    }

    /** Posted requests a frame of {@code length} bytes with {@code extras} extra-info slots consumes. */
    static int slotsNeeded(final int length, final int extras)
    {
        return (length + PAGE_SIZE - 1) / PAGE_SIZE + extras;
    }

    /**
     * Grant-copies one frame into the guest's next {@link #slotsNeeded} posted buffers and writes their responses.
     *
     * @param flags {@link Offload} flags; {@code gsoType} and {@code gsoSize} for a GSO extra ({@code gsoType} 0:
     *     none); {@code hash} for a hash extra (-1: none).
     */
    void place(
        final DirectBuffer buffer, final int frameOffset, final int frameLength, final int flags, final int gsoType,
        final int gsoSize, final long hash)
    {
        final int extras = extras(gsoType, hash);
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
        int firstId = 0;
        boolean failed = false;
        final AtomicBuffer slots = ring.buffer();
        for (int slot = 0; position < frameLength || slot == 0; slot++)
        {
            ring.copyRequest(requestCopy, 0);
            request.wrap(requestCopy, 0);
            final int chunk = Math.min(PAGE_SIZE, frameLength - position);
            final int status = mapper.copyToGuest(request.gref(), 0, buffer, frameOffset + position, chunk);
            counters.onGrantCopy();
            if (slot == 0)
            {
                firstId = request.id();
            }
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
            response.wrap(slots, ring.responseOffset())
                .id(request.id()).pageOffset(0).flags(slotFlags).status(ok ? chunk : Netif.NETIF_RSP_ERROR);
            ring.nextResponse();
            if (slot == 0 && gsoType != 0)
            {
                // the GSO extra takes the next posted slot; its response carries no id (netfront ignores it)
                ring.copyRequest(requestCopy, 0);
                extra.wrap(slots, ring.responseOffset()).clear().type(Netif.XEN_NETIF_EXTRA_TYPE_GSO)
                    .flags(hash >= 0 ? Netif.XEN_NETIF_EXTRA_FLAG_MORE : 0)
                    .gsoSize(gsoSize).gsoType(gsoType).gsoFeatures(0);
                ring.nextResponse();
            }
            if (slot == 0 && hash >= 0)
            {
                // Linux xenvif_rx_next_skb: the hash extra follows the GSO one (algorithm, type bit, u32 value)
                ring.copyRequest(requestCopy, 0);
                extra.wrap(slots, ring.responseOffset()).clear().type(Netif.XEN_NETIF_EXTRA_TYPE_HASH).flags(0)
                    .hashType((int)(hash >>> 32)).hashAlgorithm(Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ)
                    .hashValue((int)hash);
                ring.nextResponse();
            }
            position += chunk;
        }
        if (failed)
        {
            counters.onRxError();
        }
        else
        {
            counters.onRxPacket(frameLength, slotsNeeded(frameLength, extras));
        }
        final TraceRecorder trace = counters.trace();
        if (trace.enabled())
        {
            trace.net(System.nanoTime(), firstId, TraceRecordDescriptor.OP_RX, slotsNeeded(frameLength, extras),
                frameLength, firstFlags, failed ? Netif.NETIF_RSP_ERROR : Netif.NETIF_RSP_OKAY);
        }
    }
}
