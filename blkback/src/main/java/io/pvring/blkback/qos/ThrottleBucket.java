package io.pvring.blkback.qos;

/**
 * The six leaky buckets of QEMU's throttling ({@code BucketType} in its {@code throttle.h}): bytes or operations,
 * for every request or only reads or only writes. The option names are QEMU's {@code throttling.*} ones.
 */
public enum ThrottleBucket
{
    BPS_TOTAL("bps-total", true, true, true),
    BPS_READ("bps-read", true, true, false),
    BPS_WRITE("bps-write", true, false, true),
    IOPS_TOTAL("iops-total", false, true, true),
    IOPS_READ("iops-read", false, true, false),
    IOPS_WRITE("iops-write", false, false, true);

    /** Every bucket, without the copy {@link #values()} makes. */
    static final ThrottleBucket[] ALL = values();

    private final String key;
    private final boolean bytes;
    private final boolean reads;
    private final boolean writes;

    ThrottleBucket(final String key, final boolean bytes, final boolean reads, final boolean writes)
    {
        this.key = key;
        this.bytes = bytes;
        this.reads = reads;
        this.writes = writes;
    }

    /** The option's name: {@code iops-total}; its burst is {@code iops-total-max}, that burst's length in seconds
     * {@code iops-total-max-length}. */
    public String key()
    {
        return key;
    }

    /** True for a byte bucket, false for an operations bucket. */
    public boolean bytes()
    {
        return bytes;
    }

    /** Whether a read ({@code write=false}) or a write fills this bucket. */
    public boolean counts(final boolean write)
    {
        return write ? writes : reads;
    }

    /** The total bucket of the same unit: a total limit and a by-direction limit exclude each other. */
    ThrottleBucket total()
    {
        return bytes ? BPS_TOTAL : IOPS_TOTAL;
    }
}
