package io.pvring.blkfront;

import io.pvring.blkif.BlkifAbi;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.ring.RingGeometry;
import io.pvring.ring.SharedRingDescriptor;

/**
 * Settings of a {@link BlkFront}: what the frontend asks for once it has read the backend's features. Validated by
 * {@link #validate()}.
 */
public final class BlkFrontConfig
{
    private int queues = 1;
    private int ringPageOrder;
    private String protocol = BlkifDescriptor.PROTOCOL_X86_64;
    private boolean persistentGrants = true;
    private int maxIndirectSegments;
    private int poolPages = 32 * BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST;
    private int handle;

    /** {@code multi-queue-num-queues}. */
    public BlkFrontConfig queues(final int value)
    {
        queues = value;
        return this;
    }

    public int queues()
    {
        return queues;
    }

    /** {@code ring-page-order}. */
    public BlkFrontConfig ringPageOrder(final int value)
    {
        ringPageOrder = value;
        return this;
    }

    public int ringPageOrder()
    {
        return ringPageOrder;
    }

    /** {@code protocol}: {@code x86_64-abi} or {@code x86_32-abi}. */
    public BlkFrontConfig protocol(final String value)
    {
        protocol = value;
        return this;
    }

    public String protocol()
    {
        return protocol;
    }

    /** {@code feature-persistent}: keep a pool of pages granted once and copy data through them. */
    public BlkFrontConfig persistentGrants(final boolean value)
    {
        persistentGrants = value;
        return this;
    }

    public boolean persistentGrants()
    {
        return persistentGrants;
    }

    /** Segments per indirect request; 0 = direct requests only (at most 11 segments). */
    public BlkFrontConfig maxIndirectSegments(final int value)
    {
        maxIndirectSegments = value;
        return this;
    }

    public int maxIndirectSegments()
    {
        return maxIndirectSegments;
    }

    /** Data and indirect pages per queue: bounds the bytes in flight. */
    public BlkFrontConfig poolPages(final int value)
    {
        poolPages = value;
        return this;
    }

    public int poolPages()
    {
        return poolPages;
    }

    /** {@code handle} written into requests (the virtual device number). */
    public BlkFrontConfig handle(final int value)
    {
        handle = value;
        return this;
    }

    public int handle()
    {
        return handle;
    }

    /** Segments one request may carry. */
    public int maxSegments()
    {
        return Math.max(BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST, maxIndirectSegments);
    }

    /** Guest frames one queue uses: its ring pages plus its page pool. */
    public int framesPerQueue()
    {
        return (1 << ringPageOrder) + poolPages;
    }

    public BlkFrontConfig validate()
    {
        if (queues < 1 || queues > 256)
        {
            throw new IllegalArgumentException("queues=" + queues + " not in 1..256");
        }
        if (ringPageOrder < 0 || ringPageOrder > SharedRingDescriptor.MAX_RING_PAGE_ORDER)
        {
            throw new IllegalArgumentException("ringPageOrder=" + ringPageOrder + " not in 0..4");
        }
        final BlkifAbi abi = BlkifAbi.forProtocol(protocol);
        if (abi == null)
        {
            throw new IllegalArgumentException("protocol=" + protocol + " unknown");
        }
        if (maxIndirectSegments < 0 || maxIndirectSegments > BlkifDescriptor.MAX_INDIRECT_SEGMENTS)
        {
            throw new IllegalArgumentException("maxIndirectSegments=" + maxIndirectSegments + " not in 0..4096");
        }
        final int perRequest = maxSegments() + BlkifDescriptor.indirectPages(maxIndirectSegments);
        if (poolPages < perRequest)
        {
            throw new IllegalArgumentException("poolPages=" + poolPages + " < pages of one request " + perRequest);
        }
        RingGeometry.of(abi.slotBytes(), ringPageOrder);
        return this;
    }
}
