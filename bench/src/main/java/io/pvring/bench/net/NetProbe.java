package io.pvring.bench.net;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a test sees of a net run: every thread the run started (it may make one of them fail at its start), and per
 * queue the counters before the threads start, when they stopped, and once everything in flight has been drained.
 */
final class NetProbe
{
    /** Per queue: A's netback TX packets, B's netback RX packets and drops, the guest thread's sent and received. */
    static final class Tally
    {
        final long[] txPackets;
        final long[] rxPackets;
        final long[] rxDrops;
        final long[] sent;
        final long[] received;

        Tally(final int queues)
        {
            txPackets = new long[queues];
            rxPackets = new long[queues];
            rxDrops = new long[queues];
            sent = new long[queues];
            received = new long[queues];
        }
    }

    final List<Thread> threads = new CopyOnWriteArrayList<>();
    Tally base;
    Tally atStop;
    Tally drained;
    private final String failIn;

    /** @param failIn the name of a thread that throws as it starts, or null. */
    NetProbe(final String failIn)
    {
        this.failIn = failIn;
    }

    Tally begin(final int queues)
    {
        base = new Tally(queues);
        atStop = new Tally(queues);
        drained = new Tally(queues);
        return base;
    }

    /** Called by each run thread first. */
    void started()
    {
        final Thread thread = Thread.currentThread();
        threads.add(thread);
        if (thread.getName().equals(failIn))
        {
            throw new IllegalStateException("probe failure in " + failIn);
        }
    }
}
