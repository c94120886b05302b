package io.pvring.stats;

import org.HdrHistogram.SingleWriterRecorder;

/**
 * What one ring queue publishes: its counters, its latency recorder and its trace. Everything here is written by the
 * queue's thread only, without a lock or an allocation; {@link IoStats}'s publisher thread reads the latency
 * recorder (HdrHistogram's single-writer recorder: the writer never waits) and drains the trace.
 */
public final class QueueStats
{
    private static final int[] BLK_BYTES_OF_OP = {
        BlkCounters.READ_BYTES, BlkCounters.WRITE_BYTES, -1, BlkCounters.DISCARD_BYTES};

    private final CounterBlock counters;
    private final SingleWriterRecorder latency;
    private final TraceRecorder trace;
    private long inFlight;
    private long busySince;

    QueueStats(final CounterBlock counters, final int queue)
    {
        this.counters = counters;
        this.latency = new SingleWriterRecorder(DeviceSlotDescriptor.LOWEST_NANOS, DeviceSlotDescriptor.HIGHEST_NANOS,
            DeviceSlotDescriptor.SIGNIFICANT_DIGITS);
        this.trace = new TraceRecorder(queue);
    }

    /** The queue's counters ({@link BlkCounters} or {@link NetCounters} indices). */
    public CounterBlock counters()
    {
        return counters;
    }

    public TraceRecorder trace()
    {
        return trace;
    }

    /** Records one request's latency into the device's histogram (clamped to 1 ns .. 60 s). */
    public void recordLatency(final long nanos)
    {
        latency.recordValue(Math.max(DeviceSlotDescriptor.LOWEST_NANOS,
            Math.min(DeviceSlotDescriptor.HIGHEST_NANOS, nanos)));
    }

    /**
     * A block request accepted: its operation's request and byte counters, in-flight, and the start of a busy
     * period.
     *
     * @param op {@link BlkCounters#READ_REQUESTS}, {@code WRITE_REQUESTS}, {@code FLUSH_REQUESTS} or
     *     {@code DISCARD_REQUESTS}.
     */
    public void blkAccepted(final int op, final long bytes, final long nowNanos)
    {
        counters.add(op, 1);
        final int bytesCounter = BLK_BYTES_OF_OP[op];
        if (bytesCounter >= 0)
        {
            counters.add(bytesCounter, bytes);
        }
        if (inFlight++ == 0)
        {
            busySince = nowNanos;
        }
        counters.set(BlkCounters.IN_FLIGHT, inFlight);
    }

    /**
     * A block request answered: completions, latency (counter and histogram), in-flight and busy time (accrued at
     * each completion, so a long busy period shows in util as it goes). Error counters are the caller's: it knows
     * the kind.
     */
    public void blkCompleted(final long latencyNanos, final long nowNanos)
    {
        counters.add(BlkCounters.COMPLETIONS, 1);
        counters.add(BlkCounters.LATENCY_NANOS, latencyNanos);
        recordLatency(latencyNanos);
        if (inFlight > 0)
        {
            counters.add(BlkCounters.BUSY_NANOS, nowNanos - busySince);
            busySince = nowNanos;
            inFlight--;
        }
        counters.set(BlkCounters.IN_FLIGHT, inFlight);
    }

    SingleWriterRecorder latency()
    {
        return latency;
    }
}
