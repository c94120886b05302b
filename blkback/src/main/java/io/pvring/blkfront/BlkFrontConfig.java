package io.pvring.blkfront;

import io.pvring.blkif.BlkifAbi;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.ring.RingGeometry;
import io.pvring.ring.SharedRingDescriptor;

/**
 * Settings of a {@link BlkFront}: what the frontend asks for once it has read the backend's features. Immutable,
 * built and validated once by {@link Builder#build()}; {@link #toBuilder()} derives a changed copy.
 */
public final class BlkFrontConfig
{
    private final int queues;
    private final int ringPageOrder;
    private final String protocol;
    private final boolean persistentGrants;
    private final int maxIndirectSegments;
    private final int poolPages;
    private final int handle;

    private BlkFrontConfig(final Builder builder)
    {
        this.queues = builder.queues;
        this.ringPageOrder = builder.ringPageOrder;
        this.protocol = builder.protocol;
        this.persistentGrants = builder.persistentGrants;
        this.maxIndirectSegments = builder.maxIndirectSegments;
        this.poolPages = builder.poolPages;
        this.handle = builder.handle;
        validate();
    }

    /** The defaults. */
    public static BlkFrontConfig defaults()
    {
        return builder().build();
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** A builder holding these settings, to derive a changed copy. */
    public Builder toBuilder()
    {
        final Builder builder = new Builder();
        builder.queues = queues;
        builder.ringPageOrder = ringPageOrder;
        builder.protocol = protocol;
        builder.persistentGrants = persistentGrants;
        builder.maxIndirectSegments = maxIndirectSegments;
        builder.poolPages = poolPages;
        builder.handle = handle;
        return builder;
    }

    public int queues()
    {
        return queues;
    }

    public int ringPageOrder()
    {
        return ringPageOrder;
    }

    public String protocol()
    {
        return protocol;
    }

    public boolean persistentGrants()
    {
        return persistentGrants;
    }

    public int maxIndirectSegments()
    {
        return maxIndirectSegments;
    }

    public int poolPages()
    {
        return poolPages;
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

    private void validate()
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
    }

    /** Mutable settings; {@link #build()} validates them once into an immutable {@link BlkFrontConfig}. */
    public static final class Builder
    {
        private int queues = 1;
        private int ringPageOrder;
        private String protocol = BlkifDescriptor.PROTOCOL_X86_64;
        private boolean persistentGrants = true;
        private int maxIndirectSegments;
        private int poolPages = 32 * BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST;
        private int handle;

        private Builder()
        {
        }

        /** {@code multi-queue-num-queues}. */
        public Builder queues(final int value)
        {
            queues = value;
            return this;
        }

        /** {@code ring-page-order}. */
        public Builder ringPageOrder(final int value)
        {
            ringPageOrder = value;
            return this;
        }

        /** {@code protocol}: {@code x86_64-abi} or {@code x86_32-abi}. */
        public Builder protocol(final String value)
        {
            protocol = value;
            return this;
        }

        /** {@code feature-persistent}: keep a pool of pages granted once and copy data through them. */
        public Builder persistentGrants(final boolean value)
        {
            persistentGrants = value;
            return this;
        }

        /** Segments per indirect request; 0 = direct requests only (at most 11 segments). */
        public Builder maxIndirectSegments(final int value)
        {
            maxIndirectSegments = value;
            return this;
        }

        /** Data and indirect pages per queue: bounds the bytes in flight. */
        public Builder poolPages(final int value)
        {
            poolPages = value;
            return this;
        }

        /** {@code handle} written into requests (the virtual device number). */
        public Builder handle(final int value)
        {
            handle = value;
            return this;
        }

        /** @throws IllegalArgumentException naming the first bad setting. */
        public BlkFrontConfig build()
        {
            return new BlkFrontConfig(this);
        }
    }
}
