package io.pvring.netfront;

import io.pvring.event.EventChannels;
import io.pvring.event.EventPort;
import io.pvring.grant.GrantTable;
import io.pvring.memory.GuestMemory;
import io.pvring.netif.CtrlRequest;
import io.pvring.netif.CtrlResponse;
import io.pvring.netif.NetifRings;
import io.pvring.ring.FrontRing;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The guest side of a vif's control ring ({@code ctrl-ring-ref}, {@code event-channel-ctrl}): posts
 * {@code xen_netif_ctrl_request}s and reads the responses, as Windows xenvif does for RSS. Single-threaded.
 */
public final class NetFrontCtrl implements AutoCloseable
{
    private final GrantTable grants;
    private final FrontRing ring;
    private final int ringRef;
    private final EventPort event;
    private final CtrlRequest request = new CtrlRequest();
    private final CtrlResponse response = new CtrlResponse();
    private final UnsafeBuffer copy = new UnsafeBuffer(new byte[NetifRings.CTRL_SLOT_BYTES]);
    private int nextId;

    public NetFrontCtrl(final int guestDomid, final GuestMemory memory, final GrantTable grants,
        final EventChannels channels, final int backendDomid, final long gfn)
    {
        this.grants = grants;
        final UnsafeBuffer page = new UnsafeBuffer(0, 0);
        if (!memory.wrap(page, gfn, 1))
        {
            throw new IllegalStateException("gfn=" + gfn + " outside guest memory");
        }
        ring = new FrontRing(page, NetifRings.CTRL).init();
        ringRef = grants.grantAccess(backendDomid, gfn, false);
        event = channels.allocUnbound(guestDomid, backendDomid);
        if (ringRef < 0 || event == null)
        {
            throw new IllegalStateException("no grant or event channel left for the control ring");
        }
    }

    public int ringRef()
    {
        return ringRef;
    }

    public EventPort eventPort()
    {
        return event;
    }

    /**
     * Posts one request and notifies the backend if it asked to be.
     *
     * @return the request id, or -1 when the ring is full.
     */
    public int post(final int type, final long data0, final long data1, final long data2)
    {
        if (ring.isFull())
        {
            return -1;
        }
        final int id = nextId++ & 0xFFFF;
        request.wrap(ring.buffer(), ring.requestOffset()).id(id).type(type).data(0, data0).data(1, data1)
            .data(2, data2);
        ring.nextRequest();
        if (ring.pushRequestsAndCheckNotify())
        {
            event.notifyRemote();
        }
        return id;
    }

    /**
     * Takes the next response, if any: copied once into private memory ({@code RING_COPY_RESPONSE}).
     *
     * @return a flyweight over the private copy (valid until the next call; the same object every time), or null
     *     when none is waiting or the backend's {@code rsp_prod} is out of range.
     */
    public CtrlResponse poll()
    {
        if (ring.unconsumedResponses() <= 0 || ring.responseProducerOverflow(ring.rspProd()))
        {
            return null;
        }
        ring.copyResponse(copy, 0);
        return response.wrap(copy, 0);
    }

    @Override
    public void close()
    {
        event.close();
        if (grants.endForeignAccessRef(ringRef))
        {
            grants.releaseRef(ringRef);
        }
    }
}
