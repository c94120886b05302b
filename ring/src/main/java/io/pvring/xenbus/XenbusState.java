package io.pvring.xenbus;

/**
 * {@code enum xenbus_state} of {@code xen/include/public/io/xenbus.h}: the value each end of a split device writes
 * to its {@code state} node.
 */
public enum XenbusState
{
    UNKNOWN(0),
    INITIALISING(1),
    /** Finished early initialisation, waiting for information from the peer or hotplug scripts. */
    INIT_WAIT(2),
    /** Initialised: waiting for a connection from the peer. */
    INITIALISED(3),
    CONNECTED(4),
    /** The device is being closed due to an error or an unplug event. */
    CLOSING(5),
    CLOSED(6),
    /** Reconfiguring: the device is being reconfigured. */
    RECONFIGURING(7),
    RECONFIGURED(8);

    private static final XenbusState[] BY_VALUE = values();

    private final int value;

    XenbusState(final int value)
    {
        this.value = value;
    }

    /** The numeric value written to xenstore. */
    public int value()
    {
        return value;
    }

    /** The xenstore representation (decimal). */
    public String toXenstore()
    {
        return Integer.toString(value);
    }

    /** The state of a value; {@link #UNKNOWN} for anything outside 0..8. */
    public static XenbusState of(final int value)
    {
        return value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : UNKNOWN;
    }

    /**
     * Parses a {@code state} node as {@code xenbus_read_driver_state} does: anything that is not a number
     * (including a missing node, passed as null) is {@link #UNKNOWN}. The value is guest input.
     */
    public static XenbusState parse(final String s)
    {
        if (null == s || s.isEmpty() || s.length() > 9)
        {
            return UNKNOWN;
        }
        int v = 0;
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            if (c < '0' || c > '9')
            {
                return UNKNOWN;
            }
            v = v * 10 + (c - '0');
        }
        return of(v);
    }
}
