package io.pvring.netback.vswitch;

import java.util.Arrays;

import io.pvring.netback.packet.Ethernet;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * A learning L2 switch: source MACs are learnt per port with aging, known unicast goes to its port, broadcast,
 * multicast and unknown unicast are flooded to every other port. Ports are vifs and uplinks alike. Forwarding is
 * lock-free and allocation-free and may run on many threads at once (each port's ingress on its own thread); the
 * port set is copy-on-write because attach/detach are rare. Offloads a receiving port lacks are done in software on
 * the way out ({@link SwitchPort}).
 */
public final class VirtualSwitch
{
    /** A GSO frame is at most 64 KiB of IP plus an Ethernet header and a VLAN tag. */
    public static final int MAX_FRAME_LENGTH = 65535 + 18;
    public static final int MAX_PORTS = 4096;
    public static final int DEFAULT_MAC_TABLE_CAPACITY = 4096;
    public static final long DEFAULT_AGING_NANOS = 300_000_000_000L; // Linux bridge ageing_time: 300 s

    private final MacTable macTable;
    private final NanoClock clock;
    private final long epochNanos;
    private volatile SwitchPort[] ports = new SwitchPort[0];
    private final SwitchPort[] byId = new SwitchPort[MAX_PORTS];
    private int nextId;

    public VirtualSwitch()
    {
        this(DEFAULT_MAC_TABLE_CAPACITY, DEFAULT_AGING_NANOS, SystemNanoClock.INSTANCE);
    }

    public VirtualSwitch(final int macTableCapacity, final long agingNanos, final NanoClock clock)
    {
        this.macTable = new MacTable(macTableCapacity, agingNanos);
        this.clock = clock;
        this.epochNanos = clock.nanoTime();
    }

    /**
     * Adds a port.
     *
     * @param capabilities {@code Offload.CAP_*}: what {@code sink} accepts without software help.
     */
    public synchronized SwitchPort attach(final String name, final PortSink sink, final int capabilities)
    {
        int id = -1;
        for (int i = 0; i < MAX_PORTS; i++)
        {
            final int candidate = (nextId + i) % MAX_PORTS;
            if (byId[candidate] == null)
            {
                id = candidate;
                break;
            }
        }
        if (id < 0)
        {
            throw new IllegalStateException("ports=" + MAX_PORTS + " all in use");
        }
        nextId = id + 1;
        final SwitchPort port = new SwitchPort(this, id, name, sink, capabilities);
        byId[id] = port;
        final SwitchPort[] current = ports;
        final SwitchPort[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = port;
        ports = next;
        return port;
    }

    synchronized void detach(final SwitchPort port)
    {
        byId[port.id()] = null;
        final SwitchPort[] current = ports;
        final SwitchPort[] next = new SwitchPort[current.length - 1];
        int j = 0;
        for (final SwitchPort p : current)
        {
            if (p != port)
            {
                next[j++] = p;
            }
        }
        ports = next;
        macTable.forgetPort(port.id());
    }

    /** The attached ports (a snapshot). */
    public SwitchPort[] ports()
    {
        return ports.clone();
    }

    /** Which port {@code mac} was last seen on, -1 if none. */
    public int lookup(final long mac)
    {
        return macTable.lookup(mac, now());
    }

    public int macTableSize()
    {
        return macTable.size(now());
    }

    long now()
    {
        return clock.nanoTime() - epochNanos;
    }

    int forward(
        final SwitchPort.Ingress ingress, final long now, final DirectBuffer frame, final int offset, final int length,
        final int flags,
        final int gsoType, final int gsoSize)
    {
        final SwitchPort from = ingress.port();
        final long src = Ethernet.source(frame, offset);
        if (!Ethernet.isMulticast(src))
        {
            macTable.learn(src, from.id(), now);
        }
        final long dst = Ethernet.destination(frame, offset);
        if (!Ethernet.isMulticast(dst))
        {
            final int portId = macTable.lookup(dst, now);
            if (portId >= 0)
            {
                final SwitchPort egress = byId[portId];
                if (egress == from)
                {
                    return 0; // the destination lives behind the port the frame came from: filtered
                }
                if (egress != null)
                {
                    return egress.deliverFrom(ingress, frame, offset, length, flags, gsoType, gsoSize);
                }
            }
        }
        from.counters().onFlood();
        int delivered = 0;
        for (final SwitchPort egress : ports)
        {
            if (egress != from)
            {
                delivered += egress.deliverFrom(ingress, frame, offset, length, flags, gsoType, gsoSize);
            }
        }
        return delivered;
    }
}
