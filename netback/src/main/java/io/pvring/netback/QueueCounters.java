package io.pvring.netback;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import io.pvring.stats.TraceRecorder;

/**
 * Counters of one netback queue, written only by the queue's agent thread (ordered stores, so a reader on another
 * thread sees whole values) and read by anyone. Grouped into TX and RX blocks padded apart from each other and from
 * neighbouring objects. {@link #rxDrops()} is the exception: also bumped by forwarding threads, with an atomic add.
 */
public final class QueueCounters
{
    private static final VarHandle LONG;
    private static final int TX_PACKETS = 8;
    private static final int TX_BYTES = 9;
    private static final int TX_SLOTS = 10;
    private static final int TX_ERRORS = 11;
    private static final int TX_NOTIFY_SENT = 12;
    private static final int TX_NOTIFY_SUPPRESSED = 13;
    private static final int TX_CREDIT_STALLS = 14;
    private static final int TX_ZERO_SLOTS = 15;
    private static final int RX_PACKETS = 24;
    private static final int RX_BYTES = 25;
    private static final int RX_SLOTS = 26;
    private static final int RX_ERRORS = 27;
    private static final int RX_NOTIFY_SENT = 28;
    private static final int RX_NOTIFY_SUPPRESSED = 29;
    private static final int RX_STALLS = 30;
    /** Queue-level figures, written by the queue's thread only (both directions). */
    private static final int GRANT_COPIES = 32;
    private static final int RING_FILL = 33;
    private static final int THROTTLED_NANOS = 34;
    private static final int RX_DROPS = 40;
    private static final int LENGTH = 48;

    static
    {
        LONG = MethodHandles.arrayElementVarHandle(long[].class);
    }

    /** One array: the JVM keeps array elements in order, so the padding indices really pad. */
    private final long[] values = new long[LENGTH];
    /** The queue's ring-level trace ({@code pvring trace}); a recorder nobody starts until the vif is published. */
    private TraceRecorder trace = new TraceRecorder(0);

    /** The queue's trace: test {@link TraceRecorder#enabled()} before building a record. */
    TraceRecorder trace()
    {
        return trace;
    }

    /** Set before the queue's agent runs (with the counters it publishes to). */
    void trace(final TraceRecorder recorder)
    {
        trace = recorder;
    }

    void onGrantCopy()
    {
        add(GRANT_COPIES, 1);
    }

    /** Gauge: unconsumed TX requests at the start of a TX batch (written only when it changed). */
    void ringFill(final int unconsumed)
    {
        if (values[RING_FILL] != unconsumed)
        {
            LONG.setRelease(values, RING_FILL, (long)unconsumed);
        }
    }

    /** The credit shaper held TX back for {@code nanos}. */
    void onThrottled(final long nanos)
    {
        add(THROTTLED_NANOS, nanos);
    }

    private void add(final int index, final long delta)
    {
        LONG.setRelease(values, index, (long)LONG.getOpaque(values, index) + delta);
    }

    private long get(final int index)
    {
        return (long)LONG.getAcquire(values, index);
    }

    void onTxPacket(final int bytes, final int slots)
    {
        add(TX_PACKETS, 1);
        add(TX_BYTES, bytes);
        add(TX_SLOTS, slots);
    }

    void onTxError(final int slots)
    {
        add(TX_ERRORS, 1);
        add(TX_SLOTS, slots);
    }

    void onTxControl(final int slots)
    {
        add(TX_SLOTS, slots);
    }

    void onTxNotify(final boolean sent)
    {
        add(sent ? TX_NOTIFY_SENT : TX_NOTIFY_SUPPRESSED, 1);
    }

    void onTxCreditStall()
    {
        add(TX_CREDIT_STALLS, 1);
    }

    void onTxZeroSlot()
    {
        add(TX_ZERO_SLOTS, 1);
    }

    void onRxPacket(final int bytes, final int slots)
    {
        add(RX_PACKETS, 1);
        add(RX_BYTES, bytes);
        add(RX_SLOTS, slots);
    }

    void onRxError()
    {
        add(RX_ERRORS, 1);
    }

    void onRxNotify(final boolean sent)
    {
        add(sent ? RX_NOTIFY_SENT : RX_NOTIFY_SUPPRESSED, 1);
    }

    void onRxStall()
    {
        add(RX_STALLS, 1);
    }

    void onRxDrop()
    {
        LONG.getAndAdd(values, RX_DROPS, 1L);
    }

    /** Packets the guest sent that went into the switch. */
    public long txPackets()
    {
        return get(TX_PACKETS);
    }

    public long txBytes()
    {
        return get(TX_BYTES);
    }

    /** TX ring slots consumed (data, extra info and dropped packets' slots). */
    public long txSlots()
    {
        return get(TX_SLOTS);
    }

    /** Guest packets answered with {@code NETIF_RSP_ERROR}. */
    public long txErrors()
    {
        return get(TX_ERRORS);
    }

    public long txNotifySent()
    {
        return get(TX_NOTIFY_SENT);
    }

    public long txNotifySuppressed()
    {
        return get(TX_NOTIFY_SUPPRESSED);
    }

    /** Times TX stopped for lack of credit (the {@code rate} shaper). */
    public long txCreditStalls()
    {
        return get(TX_CREDIT_STALLS);
    }

    /** Zero-size TX slots answered without touching their grant (XSA-448). */
    public long txZeroSlots()
    {
        return get(TX_ZERO_SLOTS);
    }

    /** Packets delivered into the guest's RX ring. */
    public long rxPackets()
    {
        return get(RX_PACKETS);
    }

    public long rxBytes()
    {
        return get(RX_BYTES);
    }

    public long rxSlots()
    {
        return get(RX_SLOTS);
    }

    /** RX packets whose grant copy failed (answered with an error status). */
    public long rxErrors()
    {
        return get(RX_ERRORS);
    }

    public long rxNotifySent()
    {
        return get(RX_NOTIFY_SENT);
    }

    public long rxNotifySuppressed()
    {
        return get(RX_NOTIFY_SUPPRESSED);
    }

    /** Times the guest was declared stalled (no RX buffers for {@code rxStallNanos}). */
    public long rxStalls()
    {
        return get(RX_STALLS);
    }

    /** Frames for the guest dropped: backlog full, stalled, drained, or too big for its buffers. */
    public long rxDrops()
    {
        return get(RX_DROPS);
    }

    /** Grant copies, both directions (netback copies, it never maps guest data). */
    public long grantCopies()
    {
        return get(GRANT_COPIES);
    }

    public long ringFill()
    {
        return get(RING_FILL);
    }

    /** Time the credit shaper held guest TX back, nanoseconds. */
    public long throttledNanos()
    {
        return get(THROTTLED_NANOS);
    }

    @Override
    public String toString()
    {
        return "tx{packets=" + txPackets() + " bytes=" + txBytes() + " slots=" + txSlots() + " errors=" + txErrors()
            + " notify=" + txNotifySent() + "/" + txNotifySuppressed() + "} rx{packets=" + rxPackets() + " bytes="
            + rxBytes() + " slots=" + rxSlots() + " errors=" + rxErrors() + " drops=" + rxDrops() + " notify="
            + rxNotifySent() + "/" + rxNotifySuppressed() + " stalls=" + rxStalls() + "}";
    }
}
