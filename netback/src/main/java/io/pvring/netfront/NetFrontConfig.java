package io.pvring.netfront;

import io.pvring.netif.FrontendFeatures;

/**
 * Validated settings of a netfront ({@link NetFrontDriver}), fixed before it attaches, built like the backend's
 * {@code NetBackConfig}: {@link #builder()}, then {@link Builder#build()} throws {@link IllegalArgumentException}
 * naming the bad value. Guest memory layout: queue {@code i} uses the {@link NetFront#PAGES} frames from
 * {@code firstGfn + i * PAGES}; the control ring, if asked for, one frame outside them.
 */
public final class NetFrontConfig
{
    /** Linux netfront's {@code xennet_max_queues} bound here: the backend's {@code multi-queue-max-queues} cap. */
    public static final int MAX_QUEUES = 64;

    private final long firstGfn;
    private final FrontendFeatures features;
    private final boolean splitEventChannels;
    private final int queues;
    private final long controlRingGfn;

    private NetFrontConfig(final Builder b)
    {
        firstGfn = b.firstGfn;
        features = b.features;
        splitEventChannels = b.splitEventChannels;
        queues = b.queues;
        controlRingGfn = b.controlRingGfn;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** The first of the frames the rings and buffers use. */
    public long firstGfn()
    {
        return firstGfn;
    }

    /** What this frontend would like; the backend's {@code feature-*} keys narrow it. */
    public FrontendFeatures features()
    {
        return features;
    }

    /** Ask for {@code event-channel-tx}/{@code -rx} when the backend offers {@code feature-split-event-channels}. */
    public boolean splitEventChannels()
    {
        return splitEventChannels;
    }

    /** Queues wanted; the backend's {@code multi-queue-max-queues} may grant fewer. */
    public int queues()
    {
        return queues;
    }

    /** The frame of the control ring to set up when the backend offers {@code feature-ctrl-ring}; -1 for none. */
    public long controlRingGfn()
    {
        return controlRingGfn;
    }

    @Override
    public String toString()
    {
        return "NetFrontConfig{firstGfn=" + firstGfn + ", features=" + features + ", split=" + splitEventChannels
            + ", queues=" + queues + ", controlRingGfn=" + controlRingGfn + '}';
    }

    /** Mutable builder; every setter validates nothing, {@link #build()} validates everything. */
    public static final class Builder
    {
        private long firstGfn = -1;
        private FrontendFeatures features = FrontendFeatures.LINUX;
        private boolean splitEventChannels;
        private int queues = 1;
        private long controlRingGfn = -1;

        /** Required: the first of {@code queues * NetFront.PAGES} frames the frontend may use. */
        public Builder firstGfn(final long gfn)
        {
            this.firstGfn = gfn;
            return this;
        }

        /** Default {@link FrontendFeatures#LINUX}. */
        public Builder features(final FrontendFeatures features)
        {
            this.features = features;
            return this;
        }

        public Builder splitEventChannels(final boolean on)
        {
            this.splitEventChannels = on;
            return this;
        }

        public Builder queues(final int queues)
        {
            this.queues = queues;
            return this;
        }

        /** Ask for a control ring in frame {@code gfn}. */
        public Builder controlRing(final long gfn)
        {
            this.controlRingGfn = gfn;
            return this;
        }

        public NetFrontConfig build()
        {
            if (firstGfn < 0)
            {
                throw new IllegalArgumentException("firstGfn=" + firstGfn + " must be set");
            }
            if (features == null)
            {
                throw new IllegalArgumentException("features=null");
            }
            if (queues < 1 || queues > MAX_QUEUES)
            {
                throw new IllegalArgumentException("queues=" + queues + " not in 1.." + MAX_QUEUES);
            }
            final long end = firstGfn + (long)queues * NetFront.PAGES;
            if (controlRingGfn >= firstGfn && controlRingGfn < end)
            {
                throw new IllegalArgumentException("controlRingGfn=" + controlRingGfn + " inside the queues' frames "
                    + firstGfn + ".." + (end - 1));
            }
            return new NetFrontConfig(this);
        }
    }
}
