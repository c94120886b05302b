package io.pvring.bench.ring;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import io.pvring.event.BlockingIdleStrategy;

/**
 * How a ring side waits when its final check finds nothing: spin (lowest latency, burns the core), yield, Agrona's
 * spin-yield-park backoff, or notify: sleep on an event channel until the peer sends an event, which it does only
 * when {@code RING_PUSH_*_AND_CHECK_NOTIFY} says so, as a Xen driver sleeps. The event-index protocol runs the same
 * in every case, so under the first three the notification counts say how often a sleeping peer would have needed
 * a wake-up, and under notify they are the wake-ups sent.
 */
public enum IdleKind
{
    SPIN, YIELD, BACKOFF, NOTIFY;

    public IdleStrategy newStrategy()
    {
        switch (this)
        {
            case YIELD:
                return new YieldingIdleStrategy();
            case BACKOFF:
                return new BackoffIdleStrategy();
            case NOTIFY:
                return new BlockingIdleStrategy();
            default:
                return new BusySpinIdleStrategy();
        }
    }

    /** Whether a side sleeps until its peer notifies it (only rings with event indices can). */
    public boolean sleeps()
    {
        return this == NOTIFY;
    }

    public String label()
    {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
