package io.pvring.ring;

import java.lang.invoke.VarHandle;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;

import static io.pvring.ring.SharedRingDescriptor.REQ_EVENT_OFFSET;
import static io.pvring.ring.SharedRingDescriptor.REQ_PROD_OFFSET;
import static io.pvring.ring.SharedRingDescriptor.RSP_EVENT_OFFSET;
import static io.pvring.ring.SharedRingDescriptor.RSP_PROD_OFFSET;

/**
 * The frontend's view of a shared ring ({@code struct xxx_front_ring}): it produces requests and consumes responses.
 * {@code reqProdPvt} and {@code rspCons} are private; only {@code req_prod} and {@code rsp_event} are written to
 * the shared page. Single-threaded: one producer thread owns a front ring.
 *
 * <p>A frontend may face a hostile backend (the "trusted=0" case), so responses are guarded by
 * {@link #responseProducerOverflow(int)} and are copied out before use, like requests on the back ring.
 */
public final class FrontRing extends FrontRingPadding
{
    private final AtomicBuffer buffer;
    private final RingGeometry geometry;

    public FrontRing(final AtomicBuffer buffer, final RingGeometry geometry)
    {
        if (buffer.capacity() < geometry.ringBytes())
        {
            throw new IllegalArgumentException(
                "capacity=" + buffer.capacity() + " < ringBytes=" + geometry.ringBytes());
        }
        this.buffer = buffer;
        this.geometry = geometry;
    }

    /** {@code XEN_FRONT_RING_INIT}: {@code SHARED_RING_INIT} then {@code FRONT_RING_INIT}. */
    public FrontRing init()
    {
        SharedRingDescriptor.sharedRingInit(buffer);
        return attach(0);
    }

    /** {@code FRONT_RING_ATTACH(r, s, i, size)}: private indices start at {@code index}; the page is untouched. */
    public FrontRing attach(final int index)
    {
        reqProdPvt = index;
        rspCons = index;
        return this;
    }

    public AtomicBuffer buffer()
    {
        return buffer;
    }

    public RingGeometry geometry()
    {
        return geometry;
    }

    public int reqProdPvt()
    {
        return reqProdPvt;
    }

    public int rspCons()
    {
        return rspCons;
    }

    /** {@code RING_SIZE}. */
    public int size()
    {
        return geometry.entries();
    }

    /** {@code RING_FREE_REQUESTS}: {@code size - (req_prod_pvt - rsp_cons)}. */
    public int freeRequests()
    {
        return geometry.entries() - (reqProdPvt - rspCons);
    }

    /** {@code RING_FULL}. */
    public boolean isFull()
    {
        return freeRequests() == 0;
    }

    /**
     * Offset in {@link #buffer()} of {@code RING_GET_REQUEST(r, req_prod_pvt)}, the next slot to fill. The caller
     * writes the request there, then calls {@link #nextRequest()}.
     */
    public int requestOffset()
    {
        return geometry.slotOffset(reqProdPvt);
    }

    /**
     * Writes a whole request composed in private memory into the slot at {@code req_prod_pvt} and advances it, as
     * Linux's blkfront copies its shadow request in with one struct assignment: the frontend builds and keeps its
     * own copy and never reads its ring slots back, where the backend could change them. Publish with
     * {@link #pushRequests()} or {@link #pushRequestsAndCheckNotify()}.
     *
     * @return the ring index of the written request.
     */
    public int putRequest(final DirectBuffer src, final int srcOffset)
    {
        final int index = reqProdPvt++;
        SlotCopy.copy(src, srcOffset, buffer, geometry.slotOffset(index), geometry.slotBytes());
        return index;
    }

    /** {@code r->req_prod_pvt++}: the request in {@link #requestOffset()} is complete (not yet published). */
    public void nextRequest()
    {
        reqProdPvt++;
    }

    /** {@code RING_PUSH_REQUESTS}: publish without checking for a notification. */
    public void pushRequests()
    {
        // wmb(): request slots are visible before the index that covers them.
        buffer.putIntRelease(REQ_PROD_OFFSET, reqProdPvt);
    }

    /**
     * {@code RING_PUSH_REQUESTS_AND_CHECK_NOTIFY}.
     *
     * @return true when the backend asked to be notified of one of the requests just published
     *     ({@code req_event} in {@code (old, new]}, modulo 2^32).
     */
    public boolean pushRequestsAndCheckNotify()
    {
        final int oldProd = buffer.getInt(REQ_PROD_OFFSET); // our own index: no one else writes it
        final int newProd = reqProdPvt;
        // wmb(): request slots are visible before the index that covers them.
        buffer.putIntRelease(REQ_PROD_OFFSET, newProd);
        // mb(): the index store must be visible before we read req_event, or a sleeping backend is missed.
        VarHandle.fullFence();
        final int reqEvent = buffer.getIntVolatile(REQ_EVENT_OFFSET);
        return Integer.compareUnsigned(newProd - reqEvent, newProd - oldProd) < 0;
    }

    /** Reads {@code rsp_prod} with acquire semantics: response slots are read after the index that covers them. */
    public int rspProd()
    {
        return buffer.getIntAcquire(RSP_PROD_OFFSET);
    }

    /** {@code XEN_RING_NR_UNCONSUMED_RESPONSES}: {@code rsp_prod - rsp_cons}. */
    public int unconsumedResponses()
    {
        return rspProd() - rspCons;
    }

    /**
     * {@code RING_RESPONSE_PROD_OVERFLOW}: a backend claiming more responses than there are requests outstanding
     * is ill-behaved.
     */
    public boolean responseProducerOverflow(final int rspProd)
    {
        return Integer.compareUnsigned(rspProd - rspCons, geometry.entries()) > 0;
    }

    /** Offset in {@link #buffer()} of {@code RING_GET_RESPONSE(r, rsp_cons)}. */
    public int responseOffset()
    {
        return geometry.slotOffset(rspCons);
    }

    /**
     * Copies the response at {@code rsp_cons} into private memory in one read and advances {@code rspCons}
     * ({@code RING_COPY_RESPONSE}); the caller checked {@link #unconsumedResponses()} first.
     *
     * @return the ring index of the copied response.
     */
    public int copyResponse(final MutableDirectBuffer dst, final int dstOffset)
    {
        final int index = rspCons++;
        SlotCopy.copy(buffer, geometry.slotOffset(index), dst, dstOffset, geometry.slotBytes());
        return index;
    }

    /**
     * Copies the response {@code ahead} slots past {@code rsp_cons} into private memory in one read, without
     * consuming it: for a protocol whose responses come in multi-slot chains (netif RX: extras and {@code more_data})
     * that must see a whole chain published before consuming any of it. Each slot is still read from the shared page
     * once; the caller validates the copies and then consumes the chain with {@link #nextResponse()}. The caller
     * checked that {@code ahead} is below the unconsumed count of its {@link #rspProd()} snapshot.
     */
    public void peekResponse(final int ahead, final MutableDirectBuffer dst, final int dstOffset)
    {
        SlotCopy.copy(buffer, geometry.slotOffset(rspCons + ahead), dst, dstOffset, geometry.slotBytes());
    }

    /** {@code r->rsp_cons++}: the response at {@link #responseOffset()} has been read. */
    public void nextResponse()
    {
        rspCons++;
    }

    /**
     * {@code RING_FINAL_CHECK_FOR_RESPONSES}: if no responses are waiting, ask the backend to notify us at the next
     * one, then look again (a response published in between is not missed).
     *
     * @return true when responses are waiting.
     */
    public boolean finalCheckForResponses()
    {
        return finalCheckForResponses(1);
    }

    /**
     * A final check that asks to be woken only after {@code batch} more responses, the custom check {@code ring.h}
     * suggests for "only notify after several messages". {@code batch} must not exceed the requests outstanding,
     * or the wake-up never comes.
     */
    public boolean finalCheckForResponses(final int batch)
    {
        if (unconsumedResponses() != 0)
        {
            return true;
        }
        buffer.putIntRelease(RSP_EVENT_OFFSET, rspCons + batch);
        // mb(): rsp_event is visible before we re-read rsp_prod.
        VarHandle.fullFence();
        return unconsumedResponses() != 0;
    }
}
