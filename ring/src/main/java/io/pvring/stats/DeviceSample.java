package io.pvring.stats;

import org.HdrHistogram.Histogram;

/**
 * One device as a reader saw it in a counters file: its counters summed over its queues, indexed as its
 * {@link CounterSet}, and its cumulative latency histogram.
 *
 * @param guest the guest's name, or {@code "dom<id>"} when the file does not name it.
 * @param registeredMicros when the device registered (wall clock, microseconds since the epoch).
 * @param latency cumulative latencies in nanoseconds, null when none were published.
 */
public record DeviceSample(
    DeviceId id, String guest, int queues, long registeredMicros, long[] totals, Histogram latency)
{
    public CounterSet set()
    {
        return CounterSet.of(id.kind());
    }

    /** The total of the counter named {@code name} in {@link #set()}. */
    public long total(final String name)
    {
        final int index = set().indexOf(name);
        if (index < 0)
        {
            throw new IllegalArgumentException("no counter '" + name + "' for a " + id.kind().label());
        }
        return totals[index];
    }
}
