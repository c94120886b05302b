package io.pvring.netback.stats;

import io.pvring.netback.QueueCounters;
import io.pvring.stats.CounterBlock;
import io.pvring.stats.CounterKey;
import io.pvring.stats.CounterKeyDescriptor;
import io.pvring.stats.DeviceKind;
import io.pvring.stats.NetCounters;
import io.pvring.stats.QueueStats;
import io.pvring.stats.TraceRecorder;
import org.agrona.concurrent.status.CountersManager;

/**
 * One vif queue's counters published to a counters buffer (typically an {@link io.pvring.stats.IoStats} file):
 * the {@link NetCounters} set, keyed with the guest's domid, the vif's handle and the queue so {@code pvring stat}
 * groups them, labelled {@code "<vif> q<n> <name>"}. The queue keeps counting in its private padded
 * {@link QueueCounters} on the hot path and copies them here once per duty cycle that did work (a batch boundary),
 * with release stores, so a reader in another process sees whole, monotonic values.
 */
public final class VifCounters implements AutoCloseable
{
    /** Counters each queue allocates (for sizing a counters file). */
    public static final int COUNTERS_PER_QUEUE = NetCounters.SET.size();

    private final CounterBlock block;
    private final TraceRecorder trace;

    /**
     * Allocates the counters (on any thread: allocation in an {@link io.pvring.stats.IoStats} file is locked).
     *
     * @param vif netback's name for it, {@code vif<domid>.<handle>}; another name publishes with domid and handle
     *     -1, which {@code pvring stat} does not list.
     */
    public VifCounters(final CountersManager manager, final String vif, final int queue)
    {
        final int[] ids = parse(vif);
        block = CounterBlock.allocate(manager, NetCounters.SET, new CounterKey(DeviceKind.VIF, ids[0], ids[1], queue,
            CounterKeyDescriptor.SLOT_NONE, 0, System.currentTimeMillis() * 1000, ""), vif + " q" + queue);
        trace = null;
    }

    /**
     * Publishes through a queue of a device registered in an {@link io.pvring.stats.IoStats} (which frees its
     * counters at release): its counters, and its trace, so {@code pvring trace} records the queue's rings.
     */
    public VifCounters(final QueueStats queue)
    {
        block = queue.counters();
        trace = queue.trace();
    }

    /** The queue's trace recorder, or null when the vif was published without a device slot. */
    public TraceRecorder trace()
    {
        return trace;
    }

    private static int[] parse(final String vif)
    {
        final int dot = vif.indexOf('.');
        if (vif.startsWith("vif") && dot > 3)
        {
            try
            {
                return new int[]{Integer.parseInt(vif.substring(3, dot)), Integer.parseInt(vif.substring(dot + 1))};
            }
            catch (final NumberFormatException ex)
            {
                return new int[]{-1, -1};
            }
        }
        return new int[]{-1, -1};
    }

    /** Copies {@code counters} here (on the queue's thread, at a batch boundary). */
    public void publish(final QueueCounters counters)
    {
        final CounterBlock b = block;
        b.set(NetCounters.TX_PACKETS, counters.txPackets());
        b.set(NetCounters.TX_BYTES, counters.txBytes());
        b.set(NetCounters.TX_SLOTS, counters.txSlots());
        b.set(NetCounters.TX_ERRORS, counters.txErrors());
        b.set(NetCounters.TX_NOTIFY_SENT, counters.txNotifySent());
        b.set(NetCounters.TX_NOTIFY_SUPPRESSED, counters.txNotifySuppressed());
        b.set(NetCounters.TX_CREDIT_STALLS, counters.txCreditStalls());
        b.set(NetCounters.TX_ZERO_SLOTS, counters.txZeroSlots());
        b.set(NetCounters.RX_PACKETS, counters.rxPackets());
        b.set(NetCounters.RX_BYTES, counters.rxBytes());
        b.set(NetCounters.RX_SLOTS, counters.rxSlots());
        b.set(NetCounters.RX_ERRORS, counters.rxErrors());
        b.set(NetCounters.RX_DROPS, counters.rxDrops());
        b.set(NetCounters.RX_NOTIFY_SENT, counters.rxNotifySent());
        b.set(NetCounters.RX_NOTIFY_SUPPRESSED, counters.rxNotifySuppressed());
        b.set(NetCounters.RX_STALLS, counters.rxStalls());
        b.set(NetCounters.GRANT_COPIES, counters.grantCopies());
        b.set(NetCounters.RING_FILL, counters.ringFill());
        b.set(NetCounters.THROTTLED_NANOS, counters.throttledNanos());
    }

    /**
     * Copies the queue's runner figures here ({@link io.pvring.runner.AgentHandle}: polling window, time polled,
     * sleeps, wake-ups), on the queue's thread, when they changed.
     */
    public void publishRunner(final long windowNanos, final long polledNanos, final long slept, final long woken)
    {
        block.set(NetCounters.POLL_NANOS, polledNanos);
        block.set(NetCounters.POLL_WINDOW_NANOS, windowNanos);
        block.set(NetCounters.SLEEPS, slept);
        block.set(NetCounters.WAKEUPS, woken);
    }

    public long pollWindowNanos()
    {
        return block.get(NetCounters.POLL_WINDOW_NANOS);
    }

    public long pollNanos()
    {
        return block.get(NetCounters.POLL_NANOS);
    }

    public long sleeps()
    {
        return block.get(NetCounters.SLEEPS);
    }

    public long wakeups()
    {
        return block.get(NetCounters.WAKEUPS);
    }

    /** The counters, {@link NetCounters} indices (for readers and tests). */
    public CounterBlock block()
    {
        return block;
    }

    /** Frees the counters (on the allocating thread, after the queue stopped publishing). */
    @Override
    public void close()
    {
        block.close();
    }
}
