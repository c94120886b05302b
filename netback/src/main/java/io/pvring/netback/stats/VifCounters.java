package io.pvring.netback.stats;

import io.pvring.netback.QueueCounters;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * One queue's counters published to an Agrona counters buffer (typically a {@link CountersFile}), each value on its
 * own padded record, labelled {@code "<vif> q<n> <name>"}. The queue keeps counting in its private padded
 * {@link QueueCounters} on the hot path and copies them here once per duty cycle that did work (a batch boundary),
 * with release stores, so a reader in another process sees whole, monotonic values.
 */
public final class VifCounters implements AutoCloseable
{
    /** Counters each queue allocates (for sizing a counters file). */
    public static final int COUNTERS_PER_QUEUE = 11;

    private final AtomicCounter txPackets;
    private final AtomicCounter txBytes;
    private final AtomicCounter txErrors;
    private final AtomicCounter txCreditStalls;
    private final AtomicCounter txNotifySent;
    private final AtomicCounter rxPackets;
    private final AtomicCounter rxBytes;
    private final AtomicCounter rxErrors;
    private final AtomicCounter rxDrops;
    private final AtomicCounter rxStalls;
    private final AtomicCounter rxNotifySent;

    /** Allocates the counters (on the thread that owns {@code manager}'s allocation). */
    public VifCounters(final CountersManager manager, final String vif, final int queue)
    {
        final String prefix = vif + " q" + queue + " ";
        txPackets = manager.newCounter(prefix + "tx packets");
        txBytes = manager.newCounter(prefix + "tx bytes");
        txErrors = manager.newCounter(prefix + "tx errors");
        txCreditStalls = manager.newCounter(prefix + "tx credit stalls");
        txNotifySent = manager.newCounter(prefix + "tx notifications sent");
        rxPackets = manager.newCounter(prefix + "rx packets");
        rxBytes = manager.newCounter(prefix + "rx bytes");
        rxErrors = manager.newCounter(prefix + "rx errors");
        rxDrops = manager.newCounter(prefix + "rx drops");
        rxStalls = manager.newCounter(prefix + "rx stalls");
        rxNotifySent = manager.newCounter(prefix + "rx notifications sent");
    }

    /** Copies {@code counters} here (on the queue's thread, at a batch boundary). */
    public void publish(final QueueCounters counters)
    {
        txPackets.setRelease(counters.txPackets());
        txBytes.setRelease(counters.txBytes());
        txErrors.setRelease(counters.txErrors());
        txCreditStalls.setRelease(counters.txCreditStalls());
        txNotifySent.setRelease(counters.txNotifySent());
        rxPackets.setRelease(counters.rxPackets());
        rxBytes.setRelease(counters.rxBytes());
        rxErrors.setRelease(counters.rxErrors());
        rxDrops.setRelease(counters.rxDrops());
        rxStalls.setRelease(counters.rxStalls());
        rxNotifySent.setRelease(counters.rxNotifySent());
    }

    /** The counter ids, in declaration order (for readers and tests). */
    public int[] ids()
    {
        return new int[]{txPackets.id(), txBytes.id(), txErrors.id(), txCreditStalls.id(), txNotifySent.id(),
            rxPackets.id(), rxBytes.id(), rxErrors.id(), rxDrops.id(), rxStalls.id(), rxNotifySent.id()};
    }

    /** Frees the counters (on the allocating thread, after the queue stopped publishing). */
    @Override
    public void close()
    {
        txPackets.close();
        txBytes.close();
        txErrors.close();
        txCreditStalls.close();
        txNotifySent.close();
        rxPackets.close();
        rxBytes.close();
        rxErrors.close();
        rxDrops.close();
        rxStalls.close();
        rxNotifySent.close();
    }
}
