package io.pvring.netback.vif;

import io.pvring.netfront.NetFront;

/** Free TX slots expected once everything is reclaimed. */
final class NetFrontSlots
{
    private NetFrontSlots()
    {
    }

    static int slots(final int length)
    {
        return NetFront.RING_SIZE;
    }
}
