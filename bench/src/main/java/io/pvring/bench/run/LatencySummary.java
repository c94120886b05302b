package io.pvring.bench.run;

import org.HdrHistogram.Histogram;

/**
 * Latency percentiles of one run in microseconds, as the JSON record carries them ({@code latency_us}).
 */
public record LatencySummary(double p50, double p99, double p999, double max, double mean, long samples)
{
    public static final LatencySummary NONE = new LatencySummary(0, 0, 0, 0, 0, 0);

    /** Summarises a histogram recorded in nanoseconds. */
    public static LatencySummary ofNanos(final Histogram histogram)
    {
        if (histogram.getTotalCount() == 0)
        {
            return NONE;
        }
        return new LatencySummary(
            micros(histogram.getValueAtPercentile(50)),
            micros(histogram.getValueAtPercentile(99)),
            micros(histogram.getValueAtPercentile(99.9)),
            micros(histogram.getMaxValue()),
            histogram.getMean() / 1000.0,
            histogram.getTotalCount());
    }

    private static double micros(final long nanos)
    {
        return nanos / 1000.0;
    }
}
