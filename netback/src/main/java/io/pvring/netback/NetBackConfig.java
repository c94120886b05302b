package io.pvring.netback;

import io.pvring.netif.FrontendFeatures;
import io.pvring.netif.Netif;

/**
 * Validated settings of a netback device, fixed before anything starts. Defaults follow Linux xen-netback.
 * Build with {@link #builder()}; {@link Builder#build()} throws {@link IllegalArgumentException} naming the bad value.
 */
public final class NetBackConfig
{
    /** Linux {@code xenvif_max_queues} default is min(8, CPUs). */
    public static final int DEFAULT_MAX_QUEUES = Math.min(8, Runtime.getRuntime().availableProcessors());
    /** Bytes of frames a queue holds for a guest that is slow to post RX buffers (XSA-392 cap). */
    public static final int DEFAULT_RX_BACKLOG_BYTES = 1 << 20;
    public static final long DEFAULT_RX_STALL_NANOS = 60_000_000_000L;
    public static final long DEFAULT_RX_DRAIN_NANOS = 10_000_000_000L;
    /** Linux {@code fatal_skb_slots}. */
    public static final int DEFAULT_FATAL_SLOTS = Netif.FATAL_SKB_SLOTS;

    private final int maxQueues;
    private final int rxBacklogBytes;
    private final long rxStallNanos;
    private final long rxDrainNanos;
    private final int fatalSlots;
    private final boolean featureSg;
    private final boolean featureGsoTcpv4;
    private final boolean featureGsoTcpv6;
    private final boolean featureIpv6CsumOffload;
    private final boolean featureSplitEventChannels;
    private final boolean featureMulticastControl;
    private final long creditBytes;
    private final long creditUsec;

    private NetBackConfig(final Builder b)
    {
        maxQueues = b.maxQueues;
        rxBacklogBytes = b.rxBacklogBytes;
        rxStallNanos = b.rxStallNanos;
        rxDrainNanos = b.rxDrainNanos;
        fatalSlots = b.fatalSlots;
        featureSg = b.featureSg;
        featureGsoTcpv4 = b.featureGsoTcpv4;
        featureGsoTcpv6 = b.featureGsoTcpv6;
        featureIpv6CsumOffload = b.featureIpv6CsumOffload;
        featureSplitEventChannels = b.featureSplitEventChannels;
        featureMulticastControl = b.featureMulticastControl;
        creditBytes = b.creditBytes;
        creditUsec = b.creditUsec;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** A builder starting from every setting of this configuration (e.g. a vif's own {@code rate}). */
    public Builder toBuilder()
    {
        return new Builder()
            .maxQueues(maxQueues)
            .rxBacklogBytes(rxBacklogBytes)
            .rxStallNanos(rxStallNanos)
            .rxDrainNanos(rxDrainNanos)
            .fatalSlots(fatalSlots)
            .featureSg(featureSg)
            .featureGsoTcpv4(featureGsoTcpv4)
            .featureGsoTcpv6(featureGsoTcpv6)
            .featureIpv6CsumOffload(featureIpv6CsumOffload)
            .featureSplitEventChannels(featureSplitEventChannels)
            .featureMulticastControl(featureMulticastControl)
            .rate(creditBytes, creditUsec);
    }

    public int maxQueues()
    {
        return maxQueues;
    }

    public int rxBacklogBytes()
    {
        return rxBacklogBytes;
    }

    public long rxStallNanos()
    {
        return rxStallNanos;
    }

    public long rxDrainNanos()
    {
        return rxDrainNanos;
    }

    public int fatalSlots()
    {
        return fatalSlots;
    }

    public boolean featureSg()
    {
        return featureSg;
    }

    public boolean featureGsoTcpv4()
    {
        return featureGsoTcpv4;
    }

    public boolean featureGsoTcpv6()
    {
        return featureGsoTcpv6;
    }

    public boolean featureIpv6CsumOffload()
    {
        return featureIpv6CsumOffload;
    }

    public boolean featureSplitEventChannels()
    {
        return featureSplitEventChannels;
    }

    public boolean featureMulticastControl()
    {
        return featureMulticastControl;
    }

    /** TX credit per period in bytes; 0 = unlimited (no {@code rate}). */
    public long creditBytes()
    {
        return creditBytes;
    }

    public long creditUsec()
    {
        return creditUsec;
    }

    /** The features a vif runs with: those both the frontend asked for ({@code requested}) and this backend offers. */
    public FrontendFeatures negotiate(final FrontendFeatures requested)
    {
        return new FrontendFeatures(
            requested.sg() && featureSg,
            requested.gsoTcpv4() && featureGsoTcpv4,
            requested.gsoTcpv6() && featureGsoTcpv6,
            requested.csumIpv4(),
            requested.csumIpv6() && featureIpv6CsumOffload,
            requested.rxNotify(),
            requested.multicastControl() && featureMulticastControl);
    }

    @Override
    public String toString()
    {
        return "NetBackConfig{maxQueues=" + maxQueues + ", rxBacklogBytes=" + rxBacklogBytes + ", sg=" + featureSg
            + ", gso4=" + featureGsoTcpv4 + ", gso6=" + featureGsoTcpv6 + ", rate=" + creditBytes + "," + creditUsec
            + '}';
    }

    /** Mutable builder; every setter validates nothing, {@link #build()} validates everything. */
    public static final class Builder
    {
        private int maxQueues = DEFAULT_MAX_QUEUES;
        private int rxBacklogBytes = DEFAULT_RX_BACKLOG_BYTES;
        private long rxStallNanos = DEFAULT_RX_STALL_NANOS;
        private long rxDrainNanos = DEFAULT_RX_DRAIN_NANOS;
        private int fatalSlots = DEFAULT_FATAL_SLOTS;
        private boolean featureSg = true;
        private boolean featureGsoTcpv4 = true;
        private boolean featureGsoTcpv6 = true;
        private boolean featureIpv6CsumOffload = true;
        private boolean featureSplitEventChannels = true;
        private boolean featureMulticastControl = true;
        private long creditBytes;
        private long creditUsec;

        public Builder maxQueues(final int maxQueues)
        {
            this.maxQueues = maxQueues;
            return this;
        }

        public Builder rxBacklogBytes(final int bytes)
        {
            this.rxBacklogBytes = bytes;
            return this;
        }

        public Builder rxStallNanos(final long nanos)
        {
            this.rxStallNanos = nanos;
            return this;
        }

        public Builder rxDrainNanos(final long nanos)
        {
            this.rxDrainNanos = nanos;
            return this;
        }

        public Builder fatalSlots(final int slots)
        {
            this.fatalSlots = slots;
            return this;
        }

        public Builder featureSg(final boolean on)
        {
            this.featureSg = on;
            return this;
        }

        public Builder featureGsoTcpv4(final boolean on)
        {
            this.featureGsoTcpv4 = on;
            return this;
        }

        public Builder featureGsoTcpv6(final boolean on)
        {
            this.featureGsoTcpv6 = on;
            return this;
        }

        public Builder featureIpv6CsumOffload(final boolean on)
        {
            this.featureIpv6CsumOffload = on;
            return this;
        }

        public Builder featureSplitEventChannels(final boolean on)
        {
            this.featureSplitEventChannels = on;
            return this;
        }

        public Builder featureMulticastControl(final boolean on)
        {
            this.featureMulticastControl = on;
            return this;
        }

        /** The xenstore {@code rate} key: {@code bytes} every {@code usec}; (0, 0) for unlimited. */
        public Builder rate(final long bytes, final long usec)
        {
            this.creditBytes = bytes;
            this.creditUsec = usec;
            return this;
        }

        /** Parses the xenstore {@code rate} value "bytes,usec". */
        public Builder rate(final String rate)
        {
            final String[] parts = rate.trim().split(",");
            if (parts.length != 2)
            {
                throw new IllegalArgumentException("rate=" + rate + " is not bytes,usec");
            }
            try
            {
                return rate(Long.parseLong(parts[0].trim()), Long.parseLong(parts[1].trim()));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("rate=" + rate + " is not bytes,usec", ex);
            }
        }

        public NetBackConfig build()
        {
            if (maxQueues < 1 || maxQueues > 64)
            {
                throw new IllegalArgumentException("maxQueues=" + maxQueues + " not in 1..64");
            }
            if (rxBacklogBytes < (256 << 10) || rxBacklogBytes > (1 << 28) || Integer.bitCount(rxBacklogBytes) != 1)
            {
                throw new IllegalArgumentException(
                    "rxBacklogBytes=" + rxBacklogBytes + " must be a power of two in 256 KiB..256 MiB");
            }
            if (rxStallNanos <= 0 || rxDrainNanos <= 0)
            {
                throw new IllegalArgumentException("rxStallNanos=" + rxStallNanos + " rxDrainNanos=" + rxDrainNanos);
            }
            if (fatalSlots <= Netif.NR_SLOTS_MIN || fatalSlots > 64)
            {
                throw new IllegalArgumentException(
                    "fatalSlots=" + fatalSlots + " must exceed XEN_NETIF_NR_SLOTS_MIN=" + Netif.NR_SLOTS_MIN);
            }
            if (creditBytes < 0 || creditUsec < 0 || (creditBytes == 0) != (creditUsec == 0))
            {
                throw new IllegalArgumentException("rate=" + creditBytes + "," + creditUsec);
            }
            if (!featureSg && (featureGsoTcpv4 || featureGsoTcpv6))
            {
                throw new IllegalArgumentException("GSO needs feature-sg");
            }
            return new NetBackConfig(this);
        }
    }
}
