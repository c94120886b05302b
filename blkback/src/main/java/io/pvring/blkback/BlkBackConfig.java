package io.pvring.blkback;

import io.pvring.blkback.qos.ThrottleLimits;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.WaitMode;
import io.pvring.ring.SharedRingDescriptor;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Settings of one blkback device: immutable, built and validated once by {@link Builder#build()} before anything
 * starts; {@link #toBuilder()} derives a changed copy. The defaults are Linux blkback's.
 */
public final class BlkBackConfig
{
    /** Linux {@code xen_blkif_max_segments} default: one indirect page. */
    public static final int DEFAULT_MAX_INDIRECT_SEGMENTS = 256;
    /** Linux {@code xen_blkif_max_ring_order} default: 16 pages. */
    public static final int DEFAULT_MAX_RING_PAGE_ORDER = SharedRingDescriptor.MAX_RING_PAGE_ORDER;
    /** Linux {@code max_persistent_grants}. */
    public static final int DEFAULT_MAX_PERSISTENT_GRANTS = 1056;
    /** Linux {@code persistent_grant_unused_seconds} default. */
    public static final int DEFAULT_PERSISTENT_GRANT_UNUSED_SECONDS = 60;
    public static final int DEFAULT_MAX_QUEUES = 4;
    public static final int DEFAULT_BATCH_LIMIT = 64;
    /** How long a closing ring waits for its requests in flight before it gives up on them (and logs it). */
    public static final long DEFAULT_IN_FLIGHT_DRAIN_TIMEOUT_MS = 30_000;

    private final int maxIndirectSegments;
    private final int maxRingPageOrder;
    private final int maxQueues;
    private final boolean persistentGrants;
    private final int maxPersistentGrants;
    private final int persistentGrantUnusedSeconds;
    private final NanoClock nanoClock;
    private final boolean readOnly;
    private final boolean cdrom;
    private final boolean discard;
    private final WaitMode waitMode;
    private final int batchLimit;
    private final long inFlightDrainTimeoutMs;
    private final ThrottleLimits throttle;

    private BlkBackConfig(final Builder builder)
    {
        this.maxIndirectSegments = builder.maxIndirectSegments;
        this.maxRingPageOrder = builder.maxRingPageOrder;
        this.maxQueues = builder.maxQueues;
        this.persistentGrants = builder.persistentGrants;
        this.maxPersistentGrants = builder.maxPersistentGrants;
        this.persistentGrantUnusedSeconds = builder.persistentGrantUnusedSeconds;
        this.nanoClock = builder.nanoClock;
        this.readOnly = builder.readOnly;
        this.cdrom = builder.cdrom;
        this.discard = builder.discard;
        this.waitMode = builder.waitMode;
        this.batchLimit = builder.batchLimit;
        this.inFlightDrainTimeoutMs = builder.inFlightDrainTimeoutMs;
        this.throttle = builder.throttle;
        validate();
    }

    /** The defaults. */
    public static BlkBackConfig defaults()
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
        builder.maxIndirectSegments = maxIndirectSegments;
        builder.maxRingPageOrder = maxRingPageOrder;
        builder.maxQueues = maxQueues;
        builder.persistentGrants = persistentGrants;
        builder.maxPersistentGrants = maxPersistentGrants;
        builder.persistentGrantUnusedSeconds = persistentGrantUnusedSeconds;
        builder.nanoClock = nanoClock;
        builder.readOnly = readOnly;
        builder.cdrom = cdrom;
        builder.discard = discard;
        builder.waitMode = waitMode;
        builder.batchLimit = batchLimit;
        builder.inFlightDrainTimeoutMs = inFlightDrainTimeoutMs;
        builder.throttle = throttle;
        return builder;
    }

    public int maxIndirectSegments()
    {
        return maxIndirectSegments;
    }

    public int maxRingPageOrder()
    {
        return maxRingPageOrder;
    }

    public int maxQueues()
    {
        return maxQueues;
    }

    public boolean persistentGrants()
    {
        return persistentGrants;
    }

    public int maxPersistentGrants()
    {
        return maxPersistentGrants;
    }

    public int persistentGrantUnusedSeconds()
    {
        return persistentGrantUnusedSeconds;
    }

    public NanoClock nanoClock()
    {
        return nanoClock;
    }

    public boolean readOnly()
    {
        return readOnly;
    }

    public boolean cdrom()
    {
        return cdrom;
    }

    public boolean discard()
    {
        return discard;
    }

    /** How the device's rings wait on their runner when they run dry. */
    public WaitMode waitMode()
    {
        return waitMode;
    }

    public int batchLimit()
    {
        return batchLimit;
    }

    public long inFlightDrainTimeoutMs()
    {
        return inFlightDrainTimeoutMs;
    }

    /** The device's I/O limits when it connects ({@link ThrottleLimits#NONE} by default). */
    public ThrottleLimits throttle()
    {
        return throttle;
    }

    /** The {@code info} key: {@code VDISK_*} bits. */
    public int info()
    {
        return (cdrom ? BlkifDescriptor.VDISK_CDROM : 0) | (readOnly || cdrom ? BlkifDescriptor.VDISK_READONLY : 0);
    }

    /** Checks every setting; throws {@link IllegalArgumentException} naming the first bad one. */
    private void validate()
    {
        check(maxIndirectSegments >= 0 && maxIndirectSegments <= BlkifDescriptor.MAX_INDIRECT_SEGMENTS,
            "maxIndirectSegments", maxIndirectSegments, "0.." + BlkifDescriptor.MAX_INDIRECT_SEGMENTS);
        check(maxIndirectSegments == 0 || maxIndirectSegments > BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST,
            "maxIndirectSegments", maxIndirectSegments, "0 or above " + BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST);
        check(maxRingPageOrder >= 0 && maxRingPageOrder <= SharedRingDescriptor.MAX_RING_PAGE_ORDER,
            "maxRingPageOrder", maxRingPageOrder, "0.." + SharedRingDescriptor.MAX_RING_PAGE_ORDER);
        check(maxQueues >= 1 && maxQueues <= 256, "maxQueues", maxQueues, "1..256");
        check(maxPersistentGrants >= 0 && maxPersistentGrants <= 1 << 20,
            "maxPersistentGrants", maxPersistentGrants, "0..1048576");
        check(persistentGrantUnusedSeconds >= 1, "persistentGrantUnusedSeconds", persistentGrantUnusedSeconds, "1..");
        if (nanoClock == null || waitMode == null || throttle == null)
        {
            throw new IllegalArgumentException("nanoClock=" + nanoClock + " waitMode=" + waitMode + " throttle=" +
                throttle + " must be set");
        }
        check(batchLimit >= 1, "batchLimit", batchLimit, "1..");
        if (inFlightDrainTimeoutMs < 1 || inFlightDrainTimeoutMs > Integer.MAX_VALUE - 1_000)
        {
            throw new IllegalArgumentException("inFlightDrainTimeoutMs=" + inFlightDrainTimeoutMs + " not in 1..");
        }
    }

    private static void check(final boolean ok, final String name, final int value, final String range)
    {
        if (!ok)
        {
            throw new IllegalArgumentException(name + "=" + value + " not in " + range);
        }
    }

    public String toString()
    {
        return "BlkBackConfig{maxIndirectSegments=" + maxIndirectSegments + ", maxRingPageOrder=" + maxRingPageOrder +
            ", maxQueues=" + maxQueues + ", persistentGrants=" + persistentGrants + ", maxPersistentGrants=" +
            maxPersistentGrants + ", persistentGrantUnusedSeconds=" + persistentGrantUnusedSeconds +
            ", readOnly=" + readOnly + ", cdrom=" + cdrom + ", discard=" + discard +
            ", waitMode=" + waitMode + ", batchLimit=" + batchLimit + ", inFlightDrainTimeoutMs=" +
            inFlightDrainTimeoutMs + ", throttle=" + throttle + '}';
    }

    /** Mutable settings; {@link #build()} validates them once into an immutable {@link BlkBackConfig}. */
    public static final class Builder
    {
        private int maxIndirectSegments = DEFAULT_MAX_INDIRECT_SEGMENTS;
        private int maxRingPageOrder = DEFAULT_MAX_RING_PAGE_ORDER;
        private int maxQueues = DEFAULT_MAX_QUEUES;
        private boolean persistentGrants = true;
        private int maxPersistentGrants = DEFAULT_MAX_PERSISTENT_GRANTS;
        private int persistentGrantUnusedSeconds = DEFAULT_PERSISTENT_GRANT_UNUSED_SECONDS;
        private NanoClock nanoClock = SystemNanoClock.INSTANCE;
        private boolean readOnly;
        private boolean cdrom;
        private boolean discard = true;
        private WaitMode waitMode = WaitMode.ADAPTIVE;
        private int batchLimit = DEFAULT_BATCH_LIMIT;
        private long inFlightDrainTimeoutMs = DEFAULT_IN_FLIGHT_DRAIN_TIMEOUT_MS;
        private ThrottleLimits throttle = ThrottleLimits.NONE;

        private Builder()
        {
        }

        /** {@code feature-max-indirect-segments}; 0 turns indirect requests off (the key is then not written). */
        public Builder maxIndirectSegments(final int value)
        {
            maxIndirectSegments = value;
            return this;
        }

        /** {@code max-ring-page-order}, 0..4. */
        public Builder maxRingPageOrder(final int value)
        {
            maxRingPageOrder = value;
            return this;
        }

        /** {@code multi-queue-max-queues}. */
        public Builder maxQueues(final int value)
        {
            maxQueues = value;
            return this;
        }

        /** {@code feature-persistent}. */
        public Builder persistentGrants(final boolean value)
        {
            persistentGrants = value;
            return this;
        }

        /** Persistent mappings kept per ring; beyond it the least recently used one is unmapped. */
        public Builder maxPersistentGrants(final int value)
        {
            maxPersistentGrants = value;
            return this;
        }

        /**
         * Linux {@code persistent_grant_unused_seconds}: a persistent mapping unused this long is unmapped by the
         * ring's periodic purge.
         */
        public Builder persistentGrantUnusedSeconds(final int value)
        {
            persistentGrantUnusedSeconds = value;
            return this;
        }

        /** The clock the rings read once per duty cycle to time persistent-grant purges; injectable for tests. */
        public Builder nanoClock(final NanoClock value)
        {
            nanoClock = value;
            return this;
        }

        /** {@code mode=r}: every write-like request is answered {@code BLKIF_RSP_ERROR}. */
        public Builder readOnly(final boolean value)
        {
            readOnly = value;
            return this;
        }

        /** {@code device-type=cdrom}: {@code info} gets {@code VDISK_CDROM} (and the disk is read-only). */
        public Builder cdrom(final boolean value)
        {
            cdrom = value;
            return this;
        }

        /** {@code discard-enable}: offer discard when the store supports it. */
        public Builder discard(final boolean value)
        {
            discard = value;
            return this;
        }

        /**
         * How the rings wait when they run dry (default {@code adaptive}): {@code poll} rings never arm
         * {@code req_event}, so the frontend never needs to notify; {@code notify} rings arm it as soon as they run
         * dry ({@code RING_FINAL_CHECK_FOR_REQUESTS}) and sleep; {@code adaptive} rings poll for a window that
         * adapts to the gaps between requests, then arm and sleep. A backend key {@code wait-mode} overrides it
         * per device ({@link BlkBackDriver}).
         */
        public Builder waitMode(final WaitMode value)
        {
            waitMode = value;
            return this;
        }

        /** Requests served per {@code doWork()} before responses are pushed. */
        public Builder batchLimit(final int value)
        {
            batchLimit = value;
            return this;
        }

        /**
         * The bound on a ring's teardown wait for its requests in flight (Linux waits without a bound): past it the
         * ring logs an error, leaves those requests' grant mappings mapped and ignores their late completions.
         */
        public Builder inFlightDrainTimeoutMs(final long value)
        {
            inFlightDrainTimeoutMs = value;
            return this;
        }

        /**
         * The device's I/O limits (QEMU's throttling options) when it connects; the {@code qos-*} backend keys set
         * them per device and change them while it is connected ({@link BlkBackDriver}).
         */
        public Builder throttle(final ThrottleLimits value)
        {
            throttle = value;
            return this;
        }

        /** @throws IllegalArgumentException naming the first bad setting. */
        public BlkBackConfig build()
        {
            return new BlkBackConfig(this);
        }
    }
}
