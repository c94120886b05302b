package io.pvring.aio;

/**
 * QEMU's cache modes for a file-backed disk, applied when the file is opened.
 * <ul>
 *   <li>{@link #NONE}: {@code O_DIRECT}, the host page cache is bypassed; writes may still sit in the device's
 *   volatile cache, so a flush is still needed (QEMU: {@code cache.direct=on}, writeback on).</li>
 *   <li>{@link #WRITEBACK}: page cache; a write completes in the cache and a flush makes it durable. Default.</li>
 *   <li>{@link #WRITETHROUGH}: page cache with {@code O_DSYNC}: every write is durable when it completes, so no
 *   flush is needed.</li>
 * </ul>
 */
public enum CacheMode
{
    NONE("none"),
    WRITEBACK("writeback"),
    WRITETHROUGH("writethrough");

    private final String qemuName;

    CacheMode(final String qemuName)
    {
        this.qemuName = qemuName;
    }

    /** The name QEMU and {@code --disk file:PATH,cache=NAME} use. */
    public String qemuName()
    {
        return qemuName;
    }

    /** True when writes complete before they are durable, so the disk needs {@code feature-flush-cache}. */
    public boolean needsFlush()
    {
        return this != WRITETHROUGH;
    }

    /** Parses a QEMU cache mode name. */
    public static CacheMode parse(final String name)
    {
        for (final CacheMode mode : values())
        {
            if (mode.qemuName.equals(name))
            {
                return mode;
            }
        }
        throw new IllegalArgumentException("cache=" + name + " (expected none, writeback or writethrough)");
    }
}
