package io.pvring.bench.run;

/**
 * Constant-rate schedule for open-loop load (the wrk2 method): request {@code k} is due at
 * {@code start + k / rate}. A request is stamped with that intended time, not the time it actually left, so a
 * stall that delays sending is charged to latency and coordinated omission cannot hide it.
 */
public final class Pacer
{
    private final double intervalNanos;
    private long startNanos;
    private long scheduled;

    /** @param ratePerSec operations per second; 0 or less means no pacing (closed loop). */
    public Pacer(final double ratePerSec)
    {
        intervalNanos = ratePerSec > 0 ? 1e9 / ratePerSec : 0;
    }

    public boolean paced()
    {
        return intervalNanos > 0;
    }

    /** Restarts the schedule at {@code nowNanos} (start of the measured interval). */
    public void start(final long nowNanos)
    {
        startNanos = nowNanos;
        scheduled = 0;
    }

    /** Requests due by {@code nowNanos} and not yet sent. */
    public long due(final long nowNanos)
    {
        final long dueTotal = (long)((nowNanos - startNanos) / intervalNanos) + 1;
        return Math.max(0, dueTotal - scheduled);
    }

    /** How long until the next request falls due; 0 or less when one is due now. */
    public long nanosUntilNext(final long nowNanos)
    {
        return startNanos + (long)(scheduled * intervalNanos) - nowNanos;
    }

    /** Intended send time of the next request; advances the schedule by one. */
    public long nextIntended()
    {
        return startNanos + (long)(scheduled++ * intervalNanos);
    }
}
