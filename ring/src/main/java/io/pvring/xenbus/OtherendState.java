package io.pvring.xenbus;

import io.pvring.xenstore.XenStoreException;
import io.pvring.xenstore.XsConnection;

/**
 * The other end's {@code state} node as one xenbus device watches it: tells "not written yet" (the watch fires at
 * once, before the other end has set up) from "gone after it was seen" (toolstack removal), which the handshake
 * handles differently. Used on the xenbus thread only.
 */
final class OtherendState
{
    /** The watched node, {@code <otherend>/state}. */
    final String path;
    private boolean seen;

    OtherendState(final String path)
    {
        this.path = path;
    }

    /** The current state; null while the other end has never written one, UNKNOWN once it went away after that. */
    XenbusState read(final XsConnection xs)
    {
        try
        {
            final String s = xs.readOrNull(path);
            if (null != s)
            {
                seen = true;
            }
            return seen ? XenbusState.parse(s) : null;
        }
        catch (final XenStoreException ex)
        {
            return seen ? XenbusState.UNKNOWN : null;
        }
    }
}
