package io.pvring.blkback.qos;

import java.util.Arrays;

/**
 * One device's leaky buckets (QEMU's {@code throttle.c} model, docs/throttle.txt): each limited bucket fills by a
 * request's units (1 operation, or its bytes) and leaks at its average rate. A request may start while every bucket
 * it fills is at most its size: one tenth of a second at the average rate, or with a burst {@code max} the burst
 * rate for {@code max-length} seconds; with a burst longer than one second a second level, leaking at the burst
 * rate, keeps the burst itself to {@code max} per second. Otherwise {@link #admit} says how long until it may, and
 * the ring holds the request and asks its runner to wake it then: nothing sleeps a thread.
 *
 * <p>Limits change at any time ({@link #limits(ThrottleLimits)}, from the xenbus thread): the next admission takes
 * them and, as QEMU's {@code throttle_config} does, empties the buckets.
 *
 * <p>A device's rings may run on different runners, so {@link #admit} locks: only a limited device pays that (its
 * rings first read {@link #limited()}, one volatile read), as QEMU's throttle groups lock theirs. Nothing allocates.
 */
public final class BlkThrottle
{
    private static final double NANOS_PER_SECOND = 1e9;

    private final double[] level = new double[ThrottleBucket.ALL.length];
    private final double[] burstLevel = new double[ThrottleBucket.ALL.length];
    private volatile ThrottleLimits pending;
    private volatile boolean limited;
    private ThrottleLimits limits = ThrottleLimits.NONE;
    private long leakedAt;
    private boolean started;

    public BlkThrottle(final ThrottleLimits limits)
    {
        limits(limits);
    }

    /** Takes new limits (any thread); the caller wakes the device's rings so that a held request sees them. */
    public void limits(final ThrottleLimits next)
    {
        pending = next;
        limited = next.limited();
    }

    /** The limits set last. */
    public ThrottleLimits limits()
    {
        return pending;
    }

    /** True when some limit is set: otherwise a ring starts requests without asking. */
    public boolean limited()
    {
        return limited;
    }

    /**
     * Asks to start a read or write of {@code bytes} at {@code nowNs}: 0 when it may (its units are then counted
     * in its buckets), otherwise the nanoseconds until the fullest bucket it fills has leaked enough (nothing is
     * counted; ask again then).
     */
    public synchronized long admit(final boolean write, final long bytes, final long nowNs)
    {
        final ThrottleLimits next = pending;
        if (next != limits)
        {
            limits = next;
            Arrays.fill(level, 0);
            Arrays.fill(burstLevel, 0);
            started = false;
        }
        leak(nowNs);
        long wait = 0;
        for (final ThrottleBucket b : ThrottleBucket.ALL)
        {
            if (b.counts(write) && limits.avg(b) != 0)
            {
                wait = Math.max(wait, waitNanos(b));
            }
        }
        if (wait > 0)
        {
            return wait;
        }
        for (final ThrottleBucket b : ThrottleBucket.ALL)
        {
            if (b.counts(write) && limits.avg(b) != 0)
            {
                final double units = b.bytes() ? bytes : operations(bytes);
                level[b.ordinal()] += units;
                if (limits.maxLength(b) > 1)
                {
                    burstLevel[b.ordinal()] += units;
                }
            }
        }
        return 0;
    }

    private double operations(final long bytes)
    {
        final long size = limits.iopsSize();
        return size != 0 && bytes > size ? (double)bytes / size : 1;
    }

    private void leak(final long nowNs)
    {
        if (!started)
        {
            started = true;
            leakedAt = nowNs;
            return;
        }
        final long delta = nowNs - leakedAt;
        if (delta <= 0)
        {
            return;
        }
        leakedAt = nowNs;
        for (final ThrottleBucket b : ThrottleBucket.ALL)
        {
            final int i = b.ordinal();
            level[i] = Math.max(level[i] - limits.avg(b) * (double)delta / NANOS_PER_SECOND, 0);
            if (limits.maxLength(b) > 1)
            {
                burstLevel[i] = Math.max(burstLevel[i] - limits.max(b) * (double)delta / NANOS_PER_SECOND, 0);
            }
        }
    }

    /** QEMU's {@code throttle_compute_wait} for one limited bucket, rounded up to whole nanoseconds. */
    private long waitNanos(final ThrottleBucket b)
    {
        final long avg = limits.avg(b);
        final long max = limits.max(b);
        // Without a burst, a tenth of a second at the average rate may still start at once: throttling from an
        // empty bucket would admit one request at a time and fall short of the limit itself.
        final double size = max == 0 ? avg / 10.0 : (double)max * limits.maxLength(b);
        final double extra = level[b.ordinal()] - size;
        if (extra > 0)
        {
            return (long)Math.ceil(extra * NANOS_PER_SECOND / avg);
        }
        if (limits.maxLength(b) > 1)
        {
            final double burstExtra = burstLevel[b.ordinal()] - max / 10.0;
            if (burstExtra > 0)
            {
                return (long)Math.ceil(burstExtra * NANOS_PER_SECOND / max);
            }
        }
        return 0;
    }

    @Override
    public String toString()
    {
        return "BlkThrottle{" + pending + '}';
    }
}
