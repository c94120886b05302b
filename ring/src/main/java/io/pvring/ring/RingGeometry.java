package io.pvring.ring;

/**
 * Size of one shared ring: slot size, page order and the entry count {@code ring.h} derives from them.
 * Immutable; one instance per ring type and order.
 */
public final class RingGeometry
{
    private final int slotBytes;
    private final int pageOrder;
    private final int entries;
    private final int mask;

    private RingGeometry(final int slotBytes, final int pageOrder)
    {
        this.slotBytes = slotBytes;
        this.pageOrder = pageOrder;
        this.entries = SharedRingDescriptor.entries(slotBytes, pageOrder);
        this.mask = entries - 1;
    }

    /**
     * @param slotBytes size of the ring entry union (max of request and response size).
     * @param pageOrder log2 of the number of 4 KiB pages, 0..4.
     */
    public static RingGeometry of(final int slotBytes, final int pageOrder)
    {
        return new RingGeometry(slotBytes, pageOrder);
    }

    public int slotBytes()
    {
        return slotBytes;
    }

    public int pageOrder()
    {
        return pageOrder;
    }

    public int pages()
    {
        return 1 << pageOrder;
    }

    /** {@code RING_SIZE}: entries in the ring, a power of two. */
    public int entries()
    {
        return entries;
    }

    /** Bytes the ring spans: {@code PAGE_SIZE << pageOrder}. */
    public int ringBytes()
    {
        return SharedRingDescriptor.PAGE_SIZE << pageOrder;
    }

    /** Byte offset of {@code ring[idx & (RING_SIZE - 1)]} from the start of the shared ring. */
    public int slotOffset(final int index)
    {
        return SharedRingDescriptor.HEADER_LENGTH + (index & mask) * slotBytes;
    }

    @Override
    public String toString()
    {
        return "RingGeometry{slotBytes=" + slotBytes + ", pageOrder=" + pageOrder + ", entries=" + entries + '}';
    }
}
