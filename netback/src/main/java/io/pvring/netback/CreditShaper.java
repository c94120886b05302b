package io.pvring.netback;

/**
 * Linux netback's credit-based TX shaping ({@code tx_credit_exceeded}, the xenstore {@code rate} key
 * "bytes,usec"): every {@code usec} the remaining credit is topped up by {@code bytes}, capped at a burst of
 * {@code max(131072, bytes)} so one maximum-size packet always fits; a packet larger than the remaining credit
 * waits for the next top-up. Single-threaded (the queue's agent); allocation-free.
 */
public final class CreditShaper
{
    public static final long MIN_BURST = 131_072;

    private final long creditBytes;
    private final long periodNanos;
    private final long maxBurst;
    private long remaining;
    private long nextReplenishNanos;
    private boolean started;

    /** @param creditBytes 0 for unlimited. */
    public CreditShaper(final long creditBytes, final long creditUsec)
    {
        this.creditBytes = creditBytes;
        this.periodNanos = creditUsec * 1000L;
        this.maxBurst = Math.max(MIN_BURST, creditBytes);
        this.remaining = creditBytes;
    }

    public boolean isUnlimited()
    {
        return creditBytes == 0;
    }

    /**
     * Takes {@code bytes} of credit if available at {@code nowNanos}.
     *
     * @return false when the packet must wait: see {@link #nanosUntilCredit(long)}.
     */
    public boolean tryConsume(final long bytes, final long nowNanos)
    {
        if (creditBytes == 0)
        {
            return true;
        }
        if (!started)
        {
            started = true;
            nextReplenishNanos = nowNanos + periodNanos;
        }
        if (nowNanos - nextReplenishNanos >= 0)
        {
            final long periods = 1 + (nowNanos - nextReplenishNanos) / periodNanos;
            // top-ups that were missed while idle count, but never beyond the burst cap
            remaining = Math.min(maxBurst, remaining + Math.min(periods, maxBurst / creditBytes + 1) * creditBytes);
            nextReplenishNanos += periods * periodNanos;
        }
        if (bytes > remaining)
        {
            return false;
        }
        remaining -= bytes;
        return true;
    }

    /** Time until the next top-up. */
    public long nanosUntilCredit(final long nowNanos)
    {
        return Math.max(0, nextReplenishNanos - nowNanos);
    }

    public long remaining()
    {
        return remaining;
    }
}
