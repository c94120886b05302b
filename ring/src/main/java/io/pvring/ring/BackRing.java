package io.pvring.ring;

import java.lang.invoke.VarHandle;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;

import static io.pvring.ring.SharedRingDescriptor.REQ_EVENT_OFFSET;
import static io.pvring.ring.SharedRingDescriptor.REQ_PROD_OFFSET;
import static io.pvring.ring.SharedRingDescriptor.RSP_PROD_OFFSET;

/**
 * The backend's view of a shared ring ({@code struct xxx_back_ring}): it consumes requests and produces responses.
 *
 * <p>The shared page belongs to a guest that may be hostile. {@code reqCons} and {@code rspProdPvt} are private and
 * never re-read from the page; {@code req_prod} is read once per {@link #unconsumedRequests()} with acquire
 * semantics and checked with {@code RING_REQUEST_PROD_OVERFLOW}: a producer index claiming more requests than the
 * ring holds marks the ring broken, after which it yields nothing. Requests are copied out whole
 * ({@link #copyRequest(MutableDirectBuffer, int)}, the {@code RING_COPY_REQUEST} rule) and parsed from the copy.
 * Single-threaded: one agent owns a back ring.
 */
public final class BackRing extends BackRingPadding
{
    /** Returned by {@link #unconsumedRequests()} once the ring is broken. */
    public static final int BROKEN = -1;

    private final AtomicBuffer buffer;
    private final RingGeometry geometry;

    public BackRing(final AtomicBuffer buffer, final RingGeometry geometry)
    {
        if (buffer.capacity() < geometry.ringBytes())
        {
            throw new IllegalArgumentException(
                "capacity=" + buffer.capacity() + " < ringBytes=" + geometry.ringBytes());
        }
        this.buffer = buffer;
        this.geometry = geometry;
    }

    /** {@code BACK_RING_INIT}: private indices at 0. */
    public BackRing init()
    {
        return attach(0);
    }

    /** {@code BACK_RING_ATTACH(r, s, i, size)}: private indices start at {@code index}; the page is untouched. */
    public BackRing attach(final int index)
    {
        reqCons = index;
        rspProdPvt = index;
        available = 0;
        broken = false;
        return this;
    }

    /**
     * Re-attach where the frontend's responses stop, as netback does on reconnect, refusing a page whose
     * {@code req_prod - rsp_prod} exceeds the ring ({@code xenvif_map_frontend_data_rings}).
     *
     * @return false (and the ring broken) when the page's indices are inconsistent.
     */
    public boolean attachAtResponseProducer()
    {
        final int rspProd = buffer.getIntVolatile(RSP_PROD_OFFSET);
        attach(rspProd);
        final int reqProd = buffer.getIntVolatile(REQ_PROD_OFFSET);
        if (Integer.compareUnsigned(reqProd - rspProd, geometry.entries()) > 0)
        {
            markBroken(reqProd);
            return false;
        }
        return true;
    }

    public AtomicBuffer buffer()
    {
        return buffer;
    }

    public RingGeometry geometry()
    {
        return geometry;
    }

    /** {@code RING_SIZE}. */
    public int size()
    {
        return geometry.entries();
    }

    public int reqCons()
    {
        return reqCons;
    }

    public int rspProdPvt()
    {
        return rspProdPvt;
    }

    public boolean isBroken()
    {
        return broken;
    }

    /** The {@code req_prod} value that broke the ring, for the disconnect message. */
    public int brokenReqProd()
    {
        return brokenReqProd;
    }

    /**
     * Reads {@code req_prod} once (acquire: the slots it covers are read after it) and returns how many requests
     * may be consumed now: {@code XEN_RING_NR_UNCONSUMED_REQUESTS}, the smaller of the requests published and the
     * response slots free, so a request is never consumed without room for its response
     * ({@code RING_REQUEST_CONS_OVERFLOW} cannot happen).
     *
     * @return the count, or {@link #BROKEN} if {@code req_prod} overflows the ring ({@code RING_REQUEST_PROD_OVERFLOW})
     *     or moved backwards behind {@code req_cons}, now or earlier.
     */
    public int unconsumedRequests()
    {
        if (broken)
        {
            return BROKEN;
        }
        final int reqProd = buffer.getIntAcquire(REQ_PROD_OFFSET);
        final int published = reqProd - rspProdPvt;
        // RING_REQUEST_PROD_OVERFLOW, or req_prod moved back behind req_cons: either would let min() below offer
        // slots that were never published (netback: "Impossible number of requests").
        if (Integer.compareUnsigned(published, geometry.entries()) > 0
            || Integer.compareUnsigned(published, reqCons - rspProdPvt) < 0)
        {
            markBroken(reqProd);
            return BROKEN;
        }
        final int requests = reqProd - reqCons;
        final int room = geometry.entries() - (reqCons - rspProdPvt);
        available = Integer.compareUnsigned(requests, room) < 0 ? requests : room;
        return available;
    }

    /** {@code RING_HAS_UNCONSUMED_REQUESTS}. */
    public boolean hasUnconsumedRequests()
    {
        return unconsumedRequests() > 0;
    }

    /**
     * {@code RING_COPY_REQUEST(r, req_cons++, dst)}: copies the whole next request slot into private memory in one
     * read and advances {@code reqCons}. Call only while the last {@link #unconsumedRequests()} allows it.
     *
     * @return the ring index of the copied request.
     */
    public int copyRequest(final MutableDirectBuffer dst, final int dstOffset)
    {
        if (available <= 0)
        {
            throw new IllegalStateException("no request available: reqCons=" + reqCons + " broken=" + broken);
        }
        available--;
        final int index = reqCons++;
        SlotCopy.copy(buffer, geometry.slotOffset(index), dst, dstOffset, geometry.slotBytes());
        return index;
    }

    /**
     * Offset in {@link #buffer()} of {@code RING_GET_RESPONSE(r, rsp_prod_pvt)}: the caller writes the response
     * there field by field (never a whole-slot copy, so no stale bytes travel), then calls {@link #nextResponse()}.
     */
    public int responseOffset()
    {
        return geometry.slotOffset(rspProdPvt);
    }

    /** {@code r->rsp_prod_pvt++}. */
    public void nextResponse()
    {
        rspProdPvt++;
    }

    /** Responses produced but not yet published, plus requests consumed but not yet answered, never exceed size. */
    public int inFlight()
    {
        return reqCons - rspProdPvt;
    }

    /** {@code RING_PUSH_RESPONSES}: publish without checking for a notification. */
    public void pushResponses()
    {
        // wmb(): response slots are visible before the index that covers them.
        buffer.putIntRelease(RSP_PROD_OFFSET, rspProdPvt);
    }

    /**
     * {@code RING_PUSH_RESPONSES_AND_CHECK_NOTIFY}.
     *
     * @return true when the frontend asked to be notified of one of the responses just published.
     */
    public boolean pushResponsesAndCheckNotify()
    {
        final int oldProd = buffer.getInt(RSP_PROD_OFFSET); // our own index: the guest must not write it
        final int newProd = rspProdPvt;
        // wmb(): response slots are visible before the index that covers them.
        buffer.putIntRelease(RSP_PROD_OFFSET, newProd);
        // mb(): the index store must be visible before we read rsp_event, or a sleeping frontend is missed.
        VarHandle.fullFence();
        final int rspEvent = buffer.getIntVolatile(SharedRingDescriptor.RSP_EVENT_OFFSET);
        return Integer.compareUnsigned(newProd - rspEvent, newProd - oldProd) < 0;
    }

    /**
     * {@code RING_FINAL_CHECK_FOR_REQUESTS}: if no requests are waiting, ask the frontend to notify us at the next
     * one, then look again.
     *
     * @return true when requests are waiting (or the ring just broke: the caller's next
     *     {@link #unconsumedRequests()} says {@link #BROKEN}).
     */
    public boolean finalCheckForRequests()
    {
        if (unconsumedRequests() != 0)
        {
            return true;
        }
        buffer.putIntRelease(REQ_EVENT_OFFSET, reqCons + 1);
        // mb(): req_event is visible before we re-read req_prod.
        VarHandle.fullFence();
        return unconsumedRequests() != 0;
    }

    private void markBroken(final int reqProd)
    {
        broken = true;
        brokenReqProd = reqProd;
        available = 0;
    }

    /** One-line description for logs and disconnect reasons (allocates: call only off the hot path). */
    public String describe()
    {
        return "BackRing{reqCons=" + Integer.toUnsignedString(reqCons)
            + ", rspProdPvt=" + Integer.toUnsignedString(rspProdPvt)
            + ", size=" + geometry.entries()
            + (broken ? ", broken req_prod=" + Integer.toUnsignedString(brokenReqProd) : "") + '}';
    }
}
