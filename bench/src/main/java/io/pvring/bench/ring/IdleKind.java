package io.pvring.bench.ring;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/**
 * How a ring side waits when its final check finds nothing: spin (lowest latency, burns the core), yield, or
 * Agrona's spin-yield-park backoff. The event-index protocol runs the same in every case, so notification counts
 * say how often a sleeping peer would have needed a wake-up.
 */
public enum IdleKind
{
    SPIN, YIELD, BACKOFF;

    public IdleStrategy newStrategy()
    {
        switch (this)
        {
            case YIELD:
                return new YieldingIdleStrategy();
            case BACKOFF:
                return new BackoffIdleStrategy();
            default:
                return new BusySpinIdleStrategy();
        }
    }

    public String label()
    {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
