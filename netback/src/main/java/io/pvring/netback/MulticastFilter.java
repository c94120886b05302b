package io.pvring.netback;

import io.pvring.netback.packet.Ethernet;
import io.pvring.netif.Netif;
import org.agrona.DirectBuffer;

/**
 * The multicast groups a guest joined ({@code XEN_NETIF_EXTRA_TYPE_MCAST_ADD}/{@code _DEL}, Linux
 * {@code xenvif_mcast_add}) and whether filtering is on ({@code request-multicast-control}). Updated on the queue's
 * thread, read by delivering threads: as in Linux, a reader may briefly see the list of just before an update.
 */
final class MulticastFilter
{
    /** Linux {@code XEN_NETBK_MCAST_MAX}. */
    static final int MAX_GROUPS = 64;

    private final long[] groups = new long[MAX_GROUPS];
    private int count;
    /** Filtering on or off; negotiated at connect and re-read later (dynamic multicast control). */
    private volatile boolean enabled;

    MulticastFilter(final boolean enabled)
    {
        this.enabled = enabled;
    }

    boolean enabled()
    {
        return enabled;
    }

    /** On or off from any thread; the group list stays, as in Linux. */
    void enabled(final boolean on)
    {
        enabled = on;
    }

    /**
     * Applies a guest's update.
     *
     * @param op {@code XEN_NETIF_EXTRA_TYPE_MCAST_ADD} or {@code _DEL}.
     * @return false when refused (not a multicast address, or the list is full): answered with an error.
     */
    boolean update(final int op, final long mac)
    {
        if (!Ethernet.isMulticast(mac))
        {
            return false;
        }
        for (int i = 0; i < count; i++)
        {
            if (groups[i] == mac)
            {
                if (op == Netif.XEN_NETIF_EXTRA_TYPE_MCAST_DEL)
                {
                    groups[i] = groups[--count];
                }
                return true;
            }
        }
        if (op == Netif.XEN_NETIF_EXTRA_TYPE_MCAST_DEL)
        {
            return true;
        }
        if (count == MAX_GROUPS)
        {
            return false;
        }
        groups[count++] = mac;
        return true;
    }

    /** Whether the guest wants the frame at {@code offset}: unicast, broadcast, or a group it joined. */
    boolean wants(final DirectBuffer frame, final int offset)
    {
        if (!enabled)
        {
            return true;
        }
        final long dst = Ethernet.destination(frame, offset);
        if (!Ethernet.isMulticast(dst) || dst == Ethernet.BROADCAST)
        {
            return true;
        }
        for (int i = 0; i < count; i++)
        {
            if (groups[i] == dst)
            {
                return true;
            }
        }
        return false;
    }
}
