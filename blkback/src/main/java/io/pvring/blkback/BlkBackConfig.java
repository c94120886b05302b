package io.pvring.blkback;

import io.pvring.blkif.BlkifDescriptor;
import io.pvring.ring.SharedRingDescriptor;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Settings of one blkback device, validated by {@link #validate()} before anything starts. Fluent setters; the
 * defaults are Linux blkback's.
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
    private boolean polling = true;
    private int batchLimit = DEFAULT_BATCH_LIMIT;

    /** {@code feature-max-indirect-segments}; 0 turns indirect requests off (the key is then not written). */
    public BlkBackConfig maxIndirectSegments(final int value)
    {
        maxIndirectSegments = value;
        return this;
    }

    public int maxIndirectSegments()
    {
        return maxIndirectSegments;
    }

    /** {@code max-ring-page-order}, 0..4. */
    public BlkBackConfig maxRingPageOrder(final int value)
    {
        maxRingPageOrder = value;
        return this;
    }

    public int maxRingPageOrder()
    {
        return maxRingPageOrder;
    }

    /** {@code multi-queue-max-queues}. */
    public BlkBackConfig maxQueues(final int value)
    {
        maxQueues = value;
        return this;
    }

    public int maxQueues()
    {
        return maxQueues;
    }

    /** {@code feature-persistent}. */
    public BlkBackConfig persistentGrants(final boolean value)
    {
        persistentGrants = value;
        return this;
    }

    public boolean persistentGrants()
    {
        return persistentGrants;
    }

    /** Persistent mappings kept per ring; beyond it the least recently used one is unmapped. */
    public BlkBackConfig maxPersistentGrants(final int value)
    {
        maxPersistentGrants = value;
        return this;
    }

    public int maxPersistentGrants()
    {
        return maxPersistentGrants;
    }

    /**
     * Linux {@code persistent_grant_unused_seconds}: a persistent mapping unused this long is unmapped by the ring's
     * periodic purge.
     */
    public BlkBackConfig persistentGrantUnusedSeconds(final int value)
    {
        persistentGrantUnusedSeconds = value;
        return this;
    }

    public int persistentGrantUnusedSeconds()
    {
        return persistentGrantUnusedSeconds;
    }

    /** The clock the rings read once per duty cycle to time persistent-grant purges; injectable for tests. */
    public BlkBackConfig nanoClock(final NanoClock value)
    {
        nanoClock = value;
        return this;
    }

    public NanoClock nanoClock()
    {
        return nanoClock;
    }

    /** {@code mode=r}: every write-like request is answered {@code BLKIF_RSP_ERROR}. */
    public BlkBackConfig readOnly(final boolean value)
    {
        readOnly = value;
        return this;
    }

    public boolean readOnly()
    {
        return readOnly;
    }

    /** {@code device-type=cdrom}: {@code info} gets {@code VDISK_CDROM} (and the disk is read-only). */
    public BlkBackConfig cdrom(final boolean value)
    {
        cdrom = value;
        return this;
    }

    public boolean cdrom()
    {
        return cdrom;
    }

    /** {@code discard-enable}: offer discard when the store supports it. */
    public BlkBackConfig discard(final boolean value)
    {
        discard = value;
        return this;
    }

    public boolean discard()
    {
        return discard;
    }

    /**
     * Polling rings never arm {@code req_event}, so the frontend never needs to notify; notification-driven rings
     * arm it whenever they run dry ({@code RING_FINAL_CHECK_FOR_REQUESTS}).
     */
    public BlkBackConfig polling(final boolean value)
    {
        polling = value;
        return this;
    }

    public boolean polling()
    {
        return polling;
    }

    /** Requests served per {@code doWork()} before responses are pushed. */
    public BlkBackConfig batchLimit(final int value)
    {
        batchLimit = value;
        return this;
    }

    public int batchLimit()
    {
        return batchLimit;
    }

    /** The {@code info} key: {@code VDISK_*} bits. */
    public int info()
    {
        return (cdrom ? BlkifDescriptor.VDISK_CDROM : 0) | (readOnly || cdrom ? BlkifDescriptor.VDISK_READONLY : 0);
    }

    /** Checks every setting; throws {@link IllegalArgumentException} naming the first bad one. */
    public BlkBackConfig validate()
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
        if (nanoClock == null)
        {
            throw new IllegalArgumentException("nanoClock=null");
        }
        check(batchLimit >= 1, "batchLimit", batchLimit, "1..");
        return this;
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
            ", polling=" + polling + ", batchLimit=" + batchLimit + '}';
    }
}
