package io.pvring.event;

import java.util.HashMap;
import java.util.Map;

/**
 * The hypervisor's event channels: a port space per domain (Xen's 2-level ABI, port 0 reserved) and interdomain
 * binding. Binding and closing (control plane) take this table's lock; sending, consuming and masking
 * ({@link EventPort}) never do.
 *
 * <p>As in Xen's {@code evtchn_close}, closing one end of a bound channel returns the other end to unbound (for the
 * same remote domain), so its sends return false and a reconnecting peer can bind it again. A port number is
 * reused only by a new {@link EventPort} object: an old object stays closed for good.
 */
public final class EventChannelTable implements EventChannels
{
    /** Xen's 2-level limit for a 64-bit guest ({@code EVTCHN_2L_NR_CHANNELS}). */
    public static final int DEFAULT_MAX_PORTS = 4096;

    private final int maxPorts;
    private final Map<Integer, ChannelPort[]> domains = new HashMap<>();

    public EventChannelTable()
    {
        this(DEFAULT_MAX_PORTS);
    }

    /** @param maxPorts ports per domain, including the reserved port 0. */
    public EventChannelTable(final int maxPorts)
    {
        if (maxPorts < 2)
        {
            throw new IllegalArgumentException("maxPorts=" + maxPorts + " must be at least 2");
        }
        this.maxPorts = maxPorts;
    }

    public int maxPorts()
    {
        return maxPorts;
    }

    /** Gives {@code domid} an empty port space. */
    public synchronized void addDomain(final int domid)
    {
        if (domains.putIfAbsent(domid, new ChannelPort[maxPorts]) != null)
        {
            throw new IllegalStateException("domid=" + domid + " already has event channels");
        }
    }

    /** Closes every port of {@code domid} (peers become unbound) and forgets the domain. Idempotent. */
    public synchronized void removeDomain(final int domid)
    {
        final ChannelPort[] ports = domains.get(domid);
        if (null != ports)
        {
            for (final ChannelPort port : ports)
            {
                if (null != port)
                {
                    close(port);
                }
            }
            domains.remove(domid);
        }
    }

    public synchronized boolean hasDomain(final int domid)
    {
        return domains.containsKey(domid);
    }

    /** Open ports of {@code domid}, for leak checks. */
    public synchronized int openPorts(final int domid)
    {
        int open = 0;
        for (final ChannelPort port : portsOf(domid))
        {
            open += null != port ? 1 : 0;
        }
        return open;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when {@code domid} has no port space (not a domain of this hypervisor).
     */
    @Override
    public synchronized EventPort allocUnbound(final int domid, final int remoteDomid)
    {
        return allocate(portsOf(domid), domid, remoteDomid);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when {@code domid} has no port space (not a domain of this hypervisor).
     */
    @Override
    public synchronized EventPort bindInterdomain(final int domid, final int remoteDomid, final int remotePort)
    {
        final ChannelPort[] local = portsOf(domid);
        final ChannelPort[] remoteSpace = domains.get(remoteDomid);
        if (null == remoteSpace || remotePort <= 0 || remotePort >= maxPorts)
        {
            return null;
        }
        final ChannelPort remote = remoteSpace[remotePort];
        if (null == remote || ChannelPort.UNBOUND != remote.state() || remote.remoteDomid() != domid)
        {
            return null;
        }
        final ChannelPort port = allocate(local, domid, remoteDomid);
        if (null != port)
        {
            port.bind(remote);
            remote.bind(port);
        }
        return port;
    }

    @Override
    public synchronized EventPort port(final int domid, final int port)
    {
        final ChannelPort[] ports = domains.get(domid);
        return null == ports || port < 0 || port >= maxPorts ? null : ports[port];
    }

    /** {@code EVTCHNOP_close} of {@code port}; idempotent. */
    synchronized void close(final ChannelPort port)
    {
        if (ChannelPort.CLOSED == port.state())
        {
            return;
        }
        final ChannelPort remote = port.peer();
        if (null != remote)
        {
            remote.unbind();
        }
        port.markClosed();
        final ChannelPort[] ports = domains.get(port.domid());
        if (null != ports && ports[port.port()] == port)
        {
            ports[port.port()] = null;
        }
    }

    private ChannelPort allocate(final ChannelPort[] ports, final int domid, final int remoteDomid)
    {
        for (int i = 1; i < ports.length; i++)
        {
            if (null == ports[i])
            {
                final ChannelPort port = new ChannelPort(this, domid, i, remoteDomid);
                ports[i] = port;
                return port;
            }
        }
        return null;
    }

    private ChannelPort[] portsOf(final int domid)
    {
        final ChannelPort[] ports = domains.get(domid);
        if (null == ports)
        {
            throw new IllegalArgumentException("domid=" + domid + " has no event channels");
        }
        return ports;
    }
}
