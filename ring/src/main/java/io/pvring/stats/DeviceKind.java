package io.pvring.stats;

/** What a group of counters in a counters file describes; the code is stored in each counter's key. */
public enum DeviceKind
{
    /** A guest domain: one counter whose key carries its name. */
    DOMAIN(0, "domain"),
    /** A virtual block device (blkif). */
    VBD(1, "vbd"),
    /** A virtual network interface (netif). */
    VIF(2, "vif"),
    /** A runner thread of the host's pool (devid: its index; domid 0). */
    RUNNER(3, "runner");

    private final int code;
    private final String label;

    DeviceKind(final int code, final String label)
    {
        this.code = code;
        this.label = label;
    }

    public int code()
    {
        return code;
    }

    /** The xenstore device type ({@code vbd}, {@code vif}). */
    public String label()
    {
        return label;
    }

    /** The kind of {@code code}, or null for a code this version does not know. */
    public static DeviceKind of(final int code)
    {
        for (final DeviceKind kind : values())
        {
            if (kind.code == code)
            {
                return kind;
            }
        }
        return null;
    }
}
