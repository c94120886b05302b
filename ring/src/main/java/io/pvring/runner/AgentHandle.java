package io.pvring.runner;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;

import io.pvring.event.KickWatcher;
import io.pvring.event.WaitMode;

/**
 * One agent on one {@link Runner}: its waker (handed to the agent, see {@link RingAgent#waker}), its idle state and
 * its counters, and the way to take it off the runner ({@link #remove()}).
 *
 * <p>Counters, written by the runner thread only (plain read, release store) and readable from any thread:
 * {@link #pollWindowNanos()} (the current adaptive window), {@link #pollNanos()} (time spent polling after running
 * dry, in all), {@link #sleeps()} (times the agent armed its rings and slept) and {@link #wakeups()} (times it was
 * woken from a sleep). {@code poll} and {@code backoff} agents never sleep and are not timed (a clock read per spin
 * would cost more than the spin): their counters stay 0.
 */
public final class AgentHandle extends AgentHandleTail implements AgentWaker
{
    private static final VarHandle SIGNALLED;
    private static final VarHandle POLL_WINDOW_NANOS;
    private static final VarHandle POLL_NANOS;
    private static final VarHandle SLEEPS;
    private static final VarHandle WAKEUPS;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            SIGNALLED = lookup.findVarHandle(AgentHandleFields.class, "signalled", int.class);
            POLL_WINDOW_NANOS = lookup.findVarHandle(AgentHandleFields.class, "pollWindowNanos", long.class);
            POLL_NANOS = lookup.findVarHandle(AgentHandleFields.class, "pollNanos", long.class);
            SLEEPS = lookup.findVarHandle(AgentHandleFields.class, "sleeps", long.class);
            WAKEUPS = lookup.findVarHandle(AgentHandleFields.class, "wakeups", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final RingAgent agent;
    private final WaitMode mode;
    private final Runner runner;
    private final AgentErrorListener errorListener;
    /** Null unless the mode is {@link WaitMode#ADAPTIVE}. */
    private final AdaptivePollWindow window;
    private final CompletableFuture<Void> removal = new CompletableFuture<>();
    private volatile boolean removed;

    AgentHandle(
        final RingAgent agent,
        final WaitMode mode,
        final AgentErrorListener errorListener,
        final Runner runner,
        final AdaptivePollWindow window)
    {
        this.agent = agent;
        this.mode = mode;
        this.errorListener = errorListener;
        this.runner = runner;
        this.window = mode == WaitMode.ADAPTIVE ? window : null;
    }

    public RingAgent agent()
    {
        return agent;
    }

    public WaitMode mode()
    {
        return mode;
    }

    /** The runner the agent was assigned to, for pinning a device's other rings next to it. */
    public Runner runner()
    {
        return runner;
    }

    /**
     * Notes that the agent has work and wakes its runner if it sleeps. Any thread, after the work is visible.
     *
     * <p>An atomic swap rather than a read-then-store: the runner's swap back to 0 then orders this caller's work
     * before the agent's next look at it, even when the flag was already set by another waker.
     */
    @Override
    public void wake()
    {
        if (0 == (int)SIGNALLED.getAndSet(this, 1))
        {
            runner.wakeRunner();
        }
    }

    /** The runner reads the agent's kick eventfds itself, in its io_uring, where it can. */
    @Override
    public KickWatcher kickWatcher()
    {
        return runner.kickWatcher();
    }

    @Override
    public void wakeWithin(final long nanos)
    {
        final long due = runner.nanoTime() + Math.max(0, nanos);
        if (deadline == Runner.NONE || due - deadline < 0)
        {
            deadline = due;
        }
    }

    /**
     * Takes the agent off its runner: the runner calls its {@code onClose()} and {@code waker(null)} and never runs
     * it again. Any thread; idempotent. Do not wait for the result on the runner thread itself (the runner applies
     * the removal after the current pass).
     *
     * @return completed once the agent is off the runner (at once if it already is, after an error for example).
     */
    public CompletableFuture<Void> remove()
    {
        if (!removed)
        {
            runner.requestRemove(this);
        }
        return removal;
    }

    /** True once the agent is off its runner (removed, failed, or the pool closed). */
    public boolean isRemoved()
    {
        return removed;
    }

    /** True while the agent sleeps with its rings armed (as last published by the runner thread). */
    public boolean isAsleep()
    {
        return 0 != asleep;
    }

    public long pollWindowNanos()
    {
        return (long)POLL_WINDOW_NANOS.getAcquire(this);
    }

    public long pollNanos()
    {
        return (long)POLL_NANOS.getAcquire(this);
    }

    public long sleeps()
    {
        return (long)SLEEPS.getAcquire(this);
    }

    public long wakeups()
    {
        return (long)WAKEUPS.getAcquire(this);
    }

    @Override
    public String toString()
    {
        return "AgentHandle{" + agent.roleName() + ", mode=" + mode + ", runner=" + runner.name() +
            ", asleep=" + isAsleep() + ", window=" + pollWindowNanos() + "ns, polled=" + pollNanos() + "ns, sleeps=" +
            sleeps() + ", wakeups=" + wakeups() + ", removed=" + removed + '}';
    }

    // ---------------------------------------------------------------- runner thread only

    AgentErrorListener errorListener()
    {
        return errorListener;
    }

    /** Consumes a wake-up; the plain read keeps a pass over sleeping agents free of locked instructions. */
    boolean consumeSignal()
    {
        return 0 != (int)SIGNALLED.getVolatile(this) && 0 != (int)SIGNALLED.getAndSet(this, 0);
    }

    /** An idle spell ended with work found (while polling, or just after arming): adapt and count the poll time. */
    void endIdleSpell(final long now)
    {
        final long blocked = now - idleSince;
        idleSince = Runner.NONE;
        if (null != window)
        {
            POLL_NANOS.setRelease(this, pollNanos + blocked);
            POLL_WINDOW_NANOS.setRelease(this, window.onBlocked(blocked));
        }
    }

    /** True while an adaptive agent that ran dry at {@link #idleSince} is still inside its window. */
    boolean inPollWindow(final long now)
    {
        return null != window && now - idleSince < window.windowNanos();
    }

    boolean adaptive()
    {
        return null != window;
    }

    /** The agent armed its rings and nothing was waiting: it sleeps until signalled or due. */
    void fallAsleep(final long now)
    {
        asleep = 1;
        if (null != window)
        {
            POLL_NANOS.setRelease(this, pollNanos + (now - idleSince));
        }
        SLEEPS.setRelease(this, sleeps + 1);
    }

    /** Signalled or due while asleep: the whole spell, polling plus sleep, is the block time QEMU adapts to. */
    void wakeUp(final long now)
    {
        asleep = 0;
        deadline = Runner.NONE;
        WAKEUPS.setRelease(this, wakeups + 1);
        if (null != window)
        {
            final long blocked = now - idleSince;
            POLL_WINDOW_NANOS.setRelease(this, window.onBlocked(blocked));
        }
        idleSince = Runner.NONE;
    }

    void markRemoved()
    {
        removed = true;
        removal.complete(null);
    }
}
