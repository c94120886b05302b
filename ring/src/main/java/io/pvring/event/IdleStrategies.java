package io.pvring.event;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Idle strategies for a thread that runs its own agents (an Agrona {@code AgentRunner}), by {@link WaitMode}:
 * <ul>
 *     <li>{@value #POLL}: busy spin (Agrona {@link BusySpinIdleStrategy}), lowest latency, one core per runner;</li>
 *     <li>{@value #BACKOFF}: spin, yield, then park 1 us..1 ms (Agrona {@link BackoffIdleStrategy} defaults);
 *     ignores event wake-ups, so latency after a quiet spell is up to the longest park;</li>
 *     <li>{@value #NOTIFY} or {@value #BLOCK}: park until an event channel notification ({@link BlockingIdleStrategy}),
 *     lowest CPU.</li>
 * </ul>
 * {@link WaitMode#ADAPTIVE} has no idle strategy: it needs the runner to arm each ring just before it sleeps, which
 * an idle strategy cannot do; ring agents get it on an {@code io.pvring.runner.RunnerPool}.
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

    /**
     * A new strategy (strategies keep per-thread state: one per runner) for a {@link WaitMode} name.
     *
     * @throws IllegalArgumentException for an unknown name, or {@code adaptive} (it needs a runner pool).
     */
    public static IdleStrategy create(final String name)
    {
        return create(WaitMode.parse(name));
    }

    /** A new strategy for {@code mode}; see {@link #create(String)}. */
    public static IdleStrategy create(final WaitMode mode)
    {
        switch (mode)
        {
            case POLL:
                return new BusySpinIdleStrategy();
            case BACKOFF:
                return new BackoffIdleStrategy();
            case NOTIFY:
                return new BlockingIdleStrategy();
            default:
                throw new IllegalArgumentException("wait mode=" + mode + " arms each ring just before the runner " +
                    "sleeps: run the ring agents on an io.pvring.runner.RunnerPool, not with an idle strategy");
        }
    }

    /** The waiter to register on event ports for {@code strategy}, or null when it polls. */
    public static EventWaiter waiter(final IdleStrategy strategy)
    {
        return strategy instanceof EventWaiter ? (EventWaiter)strategy : null;
    }
}
