package io.pvring.event;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Idle strategies for device agent runners, by the name a user configures:
 * <ul>
 *     <li>{@value #POLL}: busy spin (Agrona {@link BusySpinIdleStrategy}), lowest latency, one core per runner;</li>
 *     <li>{@value #BACKOFF}: spin, yield, then park 1 us..1 ms (Agrona {@link BackoffIdleStrategy} defaults);
 *     ignores event wake-ups, so latency after a quiet spell is up to the longest park;</li>
 *     <li>{@value #NOTIFY} or {@value #BLOCK}: park until an event channel notification ({@link BlockingIdleStrategy}),
 *     lowest CPU.</li>
 * </ul>
 * Register {@link #waiter(IdleStrategy)} on the runner's event ports: it is the strategy itself when the strategy
 * sleeps until woken, and null for the polling ones.
 */
public final class IdleStrategies
{
    public static final String POLL = "poll";
    public static final String BACKOFF = "backoff";
    public static final String NOTIFY = "notify";
    public static final String BLOCK = "block";

    private IdleStrategies()
    {
    }

    /** A new strategy (strategies keep per-thread state: one per runner). */
    public static IdleStrategy create(final String name)
    {
        switch (name)
        {
            case POLL:
                return new BusySpinIdleStrategy();
            case BACKOFF:
                return new BackoffIdleStrategy();
            case NOTIFY:
            case BLOCK:
                return new BlockingIdleStrategy();
            default:
                throw new IllegalArgumentException(
                    "idle strategy=" + name + " is not one of " + POLL + ", " + BACKOFF + ", " + NOTIFY + ", " + BLOCK);
        }
    }

    /** The waiter to register on event ports for {@code strategy}, or null when it polls. */
    public static EventWaiter waiter(final IdleStrategy strategy)
    {
        return strategy instanceof EventWaiter ? (EventWaiter)strategy : null;
    }
}
