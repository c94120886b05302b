package io.pvring.ring;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Layout of a Xen shared ring page, exactly as {@code DEFINE_RING_TYPES} in {@code xen/include/public/io/ring.h}
 * lays it out.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        req_prod (u32)                         |  0
 *  |                        req_event (u32)                        |  4
 *  |                        rsp_prod (u32)                         |  8
 *  |                        rsp_event (u32)                        | 12
 *  |              pvt (u8 netif.smartpoll_active / pvt_pad[4])     | 16
 *  |                        __pad[44]                              | 20..63
 *  +---------------------------------------------------------------+
 *  |                 ring[0] ... ring[nr_ents - 1]                 | 64..
 *  +---------------------------------------------------------------+
 * </pre>
 * Indices are free-running 32-bit unsigned counters; a slot is addressed as {@code ring[idx & (nr_ents - 1)]}.
 */
public final class SharedRingDescriptor
{
    /** {@code XEN_PAGE_SIZE}: rings are built of 4 KiB pages. */
    public static final int PAGE_SIZE = 4096;
    public static final int PAGE_SHIFT = 12;

    public static final int REQ_PROD_OFFSET = 0;
    public static final int REQ_EVENT_OFFSET = 4;
    public static final int RSP_PROD_OFFSET = 8;
    public static final int RSP_EVENT_OFFSET = 12;
    public static final int PVT_OFFSET = 16;
    public static final int PVT_LENGTH = 4;
    public static final int PAD_OFFSET = 20;
    public static final int PAD_LENGTH = 44;
    /** {@code offsetof(struct xxx_sring, ring)}. */
    public static final int HEADER_LENGTH = 64;

    /** Linux {@code XENBUS_MAX_RING_GRANT_ORDER}: at most 16 pages per ring. */
    public static final int MAX_RING_PAGE_ORDER = 4;

    private SharedRingDescriptor()
    {
    }

    /**
     * {@code __RD32((size - 64) / entry)}: the number of ring entries is the largest power of two that fits.
     *
     * @param slotBytes {@code sizeof(union xxx_sring_entry)}, the larger of request and response.
     * @param pageOrder log2 of the number of ring pages, 0..{@link #MAX_RING_PAGE_ORDER}.
     * @return number of entries, a power of two.
     */
    public static int entries(final int slotBytes, final int pageOrder)
    {
        checkGeometry(slotBytes, pageOrder);
        return Integer.highestOneBit(((PAGE_SIZE << pageOrder) - HEADER_LENGTH) / slotBytes);
    }

    /** Ring bytes needed for {@code pageOrder}: {@code PAGE_SIZE << order}. */
    public static int ringBytes(final int pageOrder)
    {
        checkGeometry(1, pageOrder);
        return PAGE_SIZE << pageOrder;
    }

    /**
     * {@code SHARED_RING_INIT}: both producers 0, both events 1, private and padding bytes zeroed. Only the
     * frontend initialises a shared ring; the slots are left as they are.
     */
    public static void sharedRingInit(final AtomicBuffer buffer)
    {
        buffer.putInt(REQ_PROD_OFFSET, 0);
        buffer.putInt(RSP_PROD_OFFSET, 0);
        buffer.putInt(REQ_EVENT_OFFSET, 1);
        buffer.putInt(RSP_EVENT_OFFSET, 1);
        buffer.setMemory(PVT_OFFSET, HEADER_LENGTH - PVT_OFFSET, (byte)0);
        // The header must be complete before the page is advertised (the grant is written after this).
        buffer.putIntRelease(RSP_EVENT_OFFSET, 1);
    }

    static void checkGeometry(final int slotBytes, final int pageOrder)
    {
        if (pageOrder < 0 || pageOrder > MAX_RING_PAGE_ORDER)
        {
            throw new IllegalArgumentException("pageOrder=" + pageOrder + " not in 0.." + MAX_RING_PAGE_ORDER);
        }
        if (slotBytes <= 0 || slotBytes > PAGE_SIZE - HEADER_LENGTH)
        {
            throw new IllegalArgumentException("slotBytes=" + slotBytes + " not in 1.." + (PAGE_SIZE - HEADER_LENGTH));
        }
    }
}
