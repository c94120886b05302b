package io.pvring.netback.vswitch;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-port switch counters. "In" counters (frames the port sent into the switch) have a single writer, the thread
 * feeding that port, and are published with release stores; "out" counters are bumped by every forwarding thread
 * and use atomic adds. Hot fields are padded apart so two threads do not share a cache line.
 */
@SuppressWarnings("unused")
public final class PortCounters
{
    private static final VarHandle OUT_PACKETS;
    private static final VarHandle OUT_BYTES;
    private static final VarHandle OUT_DROPS;
    private static final VarHandle IN_PACKETS;
    private static final VarHandle IN_BYTES;
    private static final VarHandle IN_DROPS;
    private static final VarHandle FLOODS;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            OUT_PACKETS = lookup.findVarHandle(PortCounters.class, "outPackets", long.class);
            OUT_BYTES = lookup.findVarHandle(PortCounters.class, "outBytes", long.class);
            OUT_DROPS = lookup.findVarHandle(PortCounters.class, "outDrops", long.class);
            IN_PACKETS = lookup.findVarHandle(PortCounters.class, "inPackets", long.class);
            IN_BYTES = lookup.findVarHandle(PortCounters.class, "inBytes", long.class);
            IN_DROPS = lookup.findVarHandle(PortCounters.class, "inDrops", long.class);
            FLOODS = lookup.findVarHandle(PortCounters.class, "floods", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private long p01, p02, p03, p04, p05, p06, p07, p08;
    private volatile long inPackets;
    private volatile long inBytes;
    private volatile long inDrops;
    private volatile long floods;
    private long p11, p12, p13, p14, p15, p16, p17, p18;
    private volatile long outPackets;
    private volatile long outBytes;
    private volatile long outDrops;
    private long p21, p22, p23, p24, p25, p26, p27, p28;

    void onIn(final int bytes)
    {
        // single writer: an ordered store is enough for readers on other threads.
        IN_PACKETS.setRelease(this, (long)IN_PACKETS.getOpaque(this) + 1L);
        IN_BYTES.setRelease(this, (long)IN_BYTES.getOpaque(this) + bytes);
    }

    void onInDrop()
    {
        IN_DROPS.setRelease(this, (long)IN_DROPS.getOpaque(this) + 1L);
    }

    void onFlood()
    {
        FLOODS.setRelease(this, (long)FLOODS.getOpaque(this) + 1L);
    }

    void onOut(final int bytes)
    {
        OUT_PACKETS.getAndAdd(this, 1L);
        OUT_BYTES.getAndAdd(this, (long)bytes);
    }

    void onOutDrop()
    {
        OUT_DROPS.getAndAdd(this, 1L);
    }

    /** Frames this port sent into the switch. */
    public long inPackets()
    {
        return inPackets;
    }

    public long inBytes()
    {
        return inBytes;
    }

    /** Frames from this port refused at ingress (runt, oversize, bad offload metadata). */
    public long inDrops()
    {
        return inDrops;
    }

    /** Frames from this port that were flooded (broadcast, multicast, unknown unicast). */
    public long floods()
    {
        return floods;
    }

    /** Frames the switch delivered to this port (each GSO segment counts). */
    public long outPackets()
    {
        return outPackets;
    }

    public long outBytes()
    {
        return outBytes;
    }

    /** Frames for this port its sink refused (queue full, link down). */
    public long outDrops()
    {
        return outDrops;
    }

    @Override
    public String toString()
    {
        return "in=" + inPackets + "/" + inBytes + "B drops=" + inDrops + " floods=" + floods
            + " out=" + outPackets + "/" + outBytes + "B drops=" + outDrops;
    }
}
