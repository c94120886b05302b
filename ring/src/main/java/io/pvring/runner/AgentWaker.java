package io.pvring.runner;

import io.pvring.event.EventWaiter;

/**
 * Wakes one agent on its runner: the {@link io.pvring.event.EventWaiter} an agent registers on its event ports and
 * gives to its completion sources. {@link #wake()} may be called from any thread, after the work it announces is
 * visible; it costs one atomic swap, plus an {@code unpark} only when the runner sleeps.
 */
public interface AgentWaker extends EventWaiter
{
    /**
     * Asks to be woken within {@code nanos} even if no event arrives (a timer due: a rate limiter's next credit, a
     * periodic purge). Call on the runner thread only, from {@code doWork()} or {@code armAndCheck()}; the earliest
     * request wins and is forgotten when the agent next wakes.
     */
    void wakeWithin(long nanos);
}
