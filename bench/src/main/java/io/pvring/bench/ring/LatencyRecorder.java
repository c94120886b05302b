package io.pvring.bench.ring;

import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * The front thread's latency histogram, with runs of equal values recorded once. Responses read together share
 * their read time and requests sent together share their stamp, so equal latencies come in runs; a run goes into
 * the histogram with its count when the value changes or at {@link #flush()}, which leaves the front a compare per
 * response, about what the C baseline's plain array histogram costs.
 *
 * <p>The front thread creates its recorder itself: the histogram and the run are written on every batch of
 * responses, and allocated from the front thread's own allocation buffer they cannot share a cache line with
 * anything the back thread reads every turn (the run control, the handoff's fields).
 */
final class LatencyRecorder
{
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Histogram histogram = new Histogram(MAX_LATENCY_NANOS, 3);
    private long runNanos = Long.MIN_VALUE;
    private long runCount;

    void record(final long nanos)
    {
        if (nanos == runNanos)
        {
            runCount++;
            return;
        }
        flush();
        runNanos = nanos;
        runCount = 1;
    }

    void flush()
    {
        if (runCount > 0)
        {
            // A value beyond the histogram (a minute) is clamped, never an exception.
            histogram.recordValueWithCount(Math.max(0, Math.min(runNanos, MAX_LATENCY_NANOS)), runCount);
            runCount = 0;
            runNanos = Long.MIN_VALUE;
        }
    }

    /** Forget everything recorded so far (the warm-up). */
    void reset()
    {
        runCount = 0;
        runNanos = Long.MIN_VALUE;
        histogram.reset();
    }

    Histogram histogram()
    {
        return histogram;
    }
}
