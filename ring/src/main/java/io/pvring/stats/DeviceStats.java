package io.pvring.stats;

import org.HdrHistogram.Histogram;

/**
 * One device's registration in {@link IoStats}: a {@link QueueStats} per queue, and, when the file had a free
 * device slot, the slot its latency histogram and trace control live in. The publisher side (cumulative
 * histogram, trace session) belongs to {@link IoStats}'s publisher thread.
 */
public final class DeviceStats
{
    private final DeviceId id;
    private final int slot;
    private final int generation;
    private final QueueStats[] queues;
    private final boolean published;
    private final Histogram cumulative = DeviceSlotDescriptor.newHistogram();
    private final Histogram interval = DeviceSlotDescriptor.newHistogram();
    private TraceSession trace;
    private boolean collected;

    DeviceStats(
        final DeviceId id, final int slot, final int generation, final QueueStats[] queues, final boolean published)
    {
        this.published = published;
        this.id = id;
        this.slot = slot;
        this.generation = generation;
        this.queues = queues;
    }

    public DeviceId id()
    {
        return id;
    }

    public int queues()
    {
        return queues.length;
    }

    public QueueStats queue(final int queue)
    {
        return queues[queue];
    }

    /**
     * The device slot (latency histogram, trace control), or {@link CounterKeyDescriptor#SLOT_NONE} when every
     * slot was taken: the counters are still published, but neither latencies nor traces.
     */
    public int slot()
    {
        return slot;
    }

    public int generation()
    {
        return generation;
    }

    /** Whether another process sees this device's counters (false: the file was full, counting goes on privately). */
    public boolean published()
    {
        return published;
    }

    /**
     * The publisher: folds every queue's latencies since the last call into the cumulative histogram.
     *
     * @return whether any were recorded (the cumulative histogram changed), or this is the first call.
     */
    boolean collect()
    {
        boolean changed = !collected;
        collected = true;
        for (final QueueStats q : queues)
        {
            q.latency().getIntervalHistogramInto(interval);
            if (interval.getTotalCount() != 0)
            {
                cumulative.add(interval);
                changed = true;
            }
        }
        return changed;
    }

    Histogram cumulative()
    {
        return cumulative;
    }

    TraceSession traceSession()
    {
        return trace;
    }

    void traceSession(final TraceSession session)
    {
        trace = session;
    }
}
