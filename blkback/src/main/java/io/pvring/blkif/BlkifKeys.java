package io.pvring.blkif;

/** The xenstore keys of the blkif protocol ({@code io/blkif.h}), as Linux blkback and blkfront spell them. */
public final class BlkifKeys
{
    public static final String FEATURE_FLUSH_CACHE = "feature-flush-cache";
    public static final String FEATURE_BARRIER = "feature-barrier";
    public static final String FEATURE_DISCARD = "feature-discard";
    public static final String DISCARD_GRANULARITY = "discard-granularity";
    public static final String DISCARD_ALIGNMENT = "discard-alignment";
    public static final String DISCARD_SECURE = "discard-secure";
    public static final String DISCARD_ENABLE = "discard-enable";
    public static final String FEATURE_PERSISTENT = "feature-persistent";
    public static final String FEATURE_MAX_INDIRECT_SEGMENTS = "feature-max-indirect-segments";
    public static final String MULTI_QUEUE_MAX_QUEUES = "multi-queue-max-queues";
    public static final String MULTI_QUEUE_NUM_QUEUES = "multi-queue-num-queues";
    public static final String MAX_RING_PAGE_ORDER = "max-ring-page-order";
    public static final String RING_PAGE_ORDER = "ring-page-order";
    public static final String RING_REF = "ring-ref";
    public static final String EVENT_CHANNEL = "event-channel";
    public static final String PROTOCOL = "protocol";
    public static final String SECTORS = "sectors";
    public static final String INFO = "info";
    public static final String SECTOR_SIZE = "sector-size";
    public static final String PHYSICAL_SECTOR_SIZE = "physical-sector-size";
    public static final String MODE = "mode";
    public static final String PARAMS = "params";
    public static final String TYPE = "type";
    public static final String DEVICE_TYPE = "device-type";

    private BlkifKeys()
    {
    }

    /** The directory prefix of queue {@code q}'s keys: none for a single queue, {@code queue-N/} otherwise. */
    public static String queuePrefix(final int queues, final int q)
    {
        return queues == 1 ? "" : "queue-" + q + "/";
    }

    /** {@code ring-ref} for one page, {@code ring-refN} for multi-page rings. */
    public static String ringRefKey(final int pageOrder, final int page)
    {
        return pageOrder == 0 ? RING_REF : RING_REF + page;
    }
}
