package io.pvring.netback;

import java.nio.ByteBuffer;

import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantStatus;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netif.Netif;
import io.pvring.netif.TxRequest;
import io.pvring.netif.TxResponse;
import io.pvring.ring.BackRing;
import io.pvring.stats.TraceRecordDescriptor;
import io.pvring.stats.TraceRecorder;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Executes a {@link TxParser}'s verdict on a guest TX chain: grant-copies the data of an {@link TxVerdict#OK}
 * packet into one contiguous private frame (so headers are never split, XSA-423/432; zero-size slots never touch
 * their grant, XSA-448) and hands it to the switch; applies a {@link TxVerdict#CONTROL} multicast update; answers
 * every slot of the chain in ring order (extras with {@code NETIF_RSP_NULL}), with no stale request bytes left in a
 * response slot. Not for {@link TxVerdict#FATAL} verdicts: those are answered by nobody.
 */
final class TxForwarder
{
    private final GrantMapper mapper;
    private final BackRing ring;
    private final SwitchPort.Ingress ingress;
    private final MulticastFilter multicast;
    private final QueueCounters counters;
    private final TxResponse response = new TxResponse();
    private final UnsafeBuffer packet = new UnsafeBuffer(ByteBuffer.allocateDirect(Netif.MAX_TX_SIZE + 1));

    TxForwarder(
        final GrantMapper mapper, final BackRing ring, final SwitchPort.Ingress ingress,
        final MulticastFilter multicast, final QueueCounters counters)
    {
        this.mapper = mapper;
        this.ring = ring;
        this.ingress = ingress;
        this.multicast = multicast;
        this.counters = counters;
    }

    /** Carries out an {@link TxVerdict#OK}, {@link TxVerdict#DROP} or {@link TxVerdict#CONTROL} verdict. */
    void execute(final TxVerdict v)
    {
        switch (v.kind())
        {
            case TxVerdict.OK:
                forward(v);
                break;
            case TxVerdict.CONTROL:
                control(v);
                break;
            case TxVerdict.DROP:
                drop(v);
                break;
            default:
                throw new IllegalStateException("verdict=" + v.kind() + " is not executable");
        }
    }

    private void forward(final TxVerdict v)
    {
        if (!copyData(v))
        {
            drop(v);
            return;
        }
        int frameFlags = 0;
        if ((v.firstFlags() & Netif.NETTXF_CSUM_BLANK) != 0)
        {
            frameFlags = Offload.CSUM_BLANK;
        }
        else if ((v.firstFlags() & Netif.NETTXF_DATA_VALIDATED) != 0)
        {
            frameFlags = Offload.DATA_VALIDATED;
        }
        answer(v, Netif.NETIF_RSP_OKAY);
        counters.onTxPacket(v.totalSize(), v.slots() + v.extras());
        trace(v, Netif.NETIF_RSP_OKAY);
        ingress.transmit(packet, 0, v.totalSize(), frameFlags, v.gsoType(), v.gsoSize());
    }

    private void drop(final TxVerdict v)
    {
        answer(v, Netif.NETIF_RSP_ERROR);
        counters.onTxError(v.slots() + v.extras());
        trace(v, Netif.NETIF_RSP_ERROR);
    }

    private void trace(final TxVerdict v, final int status)
    {
        final TraceRecorder trace = counters.trace();
        if (trace.enabled())
        {
            trace.net(System.nanoTime(), v.request(0).id(), TraceRecordDescriptor.OP_TX, v.slots() + v.extras(),
                v.totalSize(), v.firstFlags(), status);
        }
    }

    /** A multicast update rides on a dummy packet: its status answers the first slot, the follow-ons are OKAY. */
    private void control(final TxVerdict v)
    {
        final int status = multicast.update(v.mcastOp(), v.mcastAddr()) ? Netif.NETIF_RSP_OKAY : Netif.NETIF_RSP_ERROR;
        writeResponse(v.request(0).id(), status);
        for (int i = 0; i < v.extras(); i++)
        {
            writeResponse(0, Netif.NETIF_RSP_NULL);
        }
        counters.onTxControl(1 + v.extras());
        for (int i = 1; i < v.slots(); i++)
        {
            writeResponse(v.request(i).id(), Netif.NETIF_RSP_OKAY);
        }
    }

    /** Grant-copies every slot's data into the private frame; zero-size slots are skipped without a lookup. */
    private boolean copyData(final TxVerdict v)
    {
        int position = 0;
        for (int i = 0; i < v.slots(); i++)
        {
            final int size = v.dataSize(i);
            if (size == 0)
            {
                counters.onTxZeroSlot();
                continue;
            }
            final TxRequest request = v.request(i);
            final int status = mapper.copyFromGuest(request.gref(), request.pageOffset(), packet, position, size);
            counters.onGrantCopy();
            if (status != GrantStatus.GNTST_OKAY)
            {
                return false;
            }
            position += size;
        }
        return true;
    }

    /** Answers the first slot, its extras ({@code NETIF_RSP_NULL}) and the follow-on slots, in ring order. */
    private void answer(final TxVerdict v, final int status)
    {
        writeResponse(v.request(0).id(), status);
        for (int i = 0; i < v.extras(); i++)
        {
            writeResponse(0, Netif.NETIF_RSP_NULL);
        }
        for (int i = 1; i < v.slots(); i++)
        {
            writeResponse(v.request(i).id(), status);
        }
    }

    private void writeResponse(final int id, final int status)
    {
        final AtomicBuffer buffer = ring.buffer();
        final int offset = ring.responseOffset();
        response.wrap(buffer, offset).id(id).status(status);
        // the rest of the 12-byte slot still holds the request: clear it so nothing stale reads as response data
        buffer.putLong(offset + TxResponse.LENGTH, 0L);
        ring.nextResponse();
    }
}
