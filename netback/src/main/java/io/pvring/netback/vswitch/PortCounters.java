package io.pvring.netback.vswitch;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-port switch counters. "In" counters (frames the port sent into the switch) have a single writer, the thread
 * feeding that port, and are published with release stores; "out" counters are bumped by every forwarding thread
 * and use atomic adds. The two groups live 64 bytes apart in one array (array elements keep their order, unlike
 * fields), so the ingress thread and the forwarding threads do not share a cache line.
 */
public final class PortCounters
{
    private static final VarHandle LONG = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int IN_PACKETS = 8;
    private static final int IN_BYTES = 9;
    private static final int IN_DROPS = 10;
    private static final int FLOODS = 11;
    private static final int OUT_PACKETS = 24;
    private static final int OUT_BYTES = 25;
    private static final int OUT_DROPS = 26;
    private static final int LENGTH = 40;

    private final long[] values = new long[LENGTH];

    private void addSingleWriter(final int index, final long delta)
    {
        LONG.setRelease(values, index, (long)LONG.getOpaque(values, index) + delta);
    }

    private long get(final int index)
    {
        return (long)LONG.getAcquire(values, index);
    }

    void onIn(final int bytes)
    {
        addSingleWriter(IN_PACKETS, 1);
        addSingleWriter(IN_BYTES, bytes);
    }

    void onInDrop()
    {
        addSingleWriter(IN_DROPS, 1);
    }

    void onFlood()
    {
        addSingleWriter(FLOODS, 1);
    }

    void onOut(final int bytes)
    {
        LONG.getAndAdd(values, OUT_PACKETS, 1L);
        LONG.getAndAdd(values, OUT_BYTES, (long)bytes);
    }

    void onOutDrop()
    {
        LONG.getAndAdd(values, OUT_DROPS, 1L);
    }

    /** Frames this port sent into the switch. */
    public long inPackets()
    {
        return get(IN_PACKETS);
    }

    public long inBytes()
    {
        return get(IN_BYTES);
    }

    /** Frames from this port refused at ingress (runt, oversize, bad offload metadata). */
    public long inDrops()
    {
        return get(IN_DROPS);
    }

    /** Frames from this port that were flooded (broadcast, multicast, unknown unicast). */
    public long floods()
    {
        return get(FLOODS);
    }

    /** Frames the switch delivered to this port (each GSO segment counts). */
    public long outPackets()
    {
        return get(OUT_PACKETS);
    }

    public long outBytes()
    {
        return get(OUT_BYTES);
    }

    /** Frames for this port its sink refused (queue full, link down). */
    public long outDrops()
    {
        return get(OUT_DROPS);
    }

    @Override
    public String toString()
    {
        return "in=" + inPackets() + "/" + inBytes() + "B drops=" + inDrops() + " floods=" + floods()
            + " out=" + outPackets() + "/" + outBytes() + "B drops=" + outDrops();
    }
}
